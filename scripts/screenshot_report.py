"""Write a report and look at it in a real headless browser (Chromium), as a person would.

    python scripts/screenshot_report.py [ACTIVATION] [--out DIR]

Saves DIR/screenshot.png next to the report. Needs Debian's chromium (apt-get install chromium).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from verify.cli import main as verify_main

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def screenshot(html: Path, png: Path, height: int = 3200) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size=1100,{height}",
                f"--screenshot={png}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


#: Injected into a copy of the page: records console errors and uncaught exceptions, and after
#: the load event whether every <img> decoded, into a <pre id="browser-check"> as JSON.
PROBE = """<script>
(function () {
  var errors = [];
  var report = console.error.bind(console);
  console.error = function () {
    errors.push(Array.from(arguments).join(' '));
    report.apply(null, arguments);
  };
  window.addEventListener('error', function (e) {
    errors.push(String(e.message || e.type));
  }, true);
  window.addEventListener('load', function () {
    var imgs = Array.from(document.images);
    var pre = document.createElement('pre');
    pre.id = 'browser-check';
    var page = document.documentElement.clientWidth;
    pre.textContent = JSON.stringify({
      errors: errors,
      images: imgs.length,
      broken: imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                  .map(function (i) { return i.alt; }),
      page_width: page,
      sizes: imgs.map(function (i) {
        var r = i.getBoundingClientRect();
        return {alt: i.alt, natural: [i.naturalWidth, i.naturalHeight],
                shown: [r.width, r.height], left: r.left, right: r.right};
      }),
      styled: Array.from(document.querySelectorAll('td[class], span[class]')).map(function (e) {
        return {cls: e.className, text: e.textContent, color: getComputedStyle(e).color};
      })
    });
    document.body.appendChild(pre);
  });
})();
</script>"""


def browser_check(html: Path) -> dict:
    """Load ``html`` in headless Chromium: {"errors": console errors and uncaught exceptions,
    "images": how many <img>, "broken": the alt text of those that did not decode,
    "page_width": the viewport's width, "sizes": each image's natural and shown size and its
    left and right edges (CSS pixels), "styled": each table cell or span with a class, with its
    text and computed colour}."""
    import json
    import re

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    page = html.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1)
    probe = html.with_name(".browser-check.html")  # beside the report: relative links resolve
    probe.write_text(page, encoding="utf-8")
    try:
        with tempfile.TemporaryDirectory() as profile:
            dom = subprocess.run(
                [
                    browser,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                    probe.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=120,
            ).stdout
    finally:
        probe.unlink(missing_ok=True)
    found = re.search(r'<pre id="browser-check">(.*?)</pre>', dom, re.S)
    if found is None:
        raise RuntimeError("the page never finished loading in Chromium")
    import html as html_lib

    return json.loads(html_lib.unescape(found.group(1)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("activation", nargs="?", default="tanh")
    ap.add_argument("--out", default="reports/screenshot")
    args = ap.parse_args()
    verify_main(["activation", args.activation, "--report", args.out, "--quiet"])
    png = Path(args.out) / "screenshot.png"
    screenshot(Path(args.out) / "report.html", png)
    print(png, browser_check(Path(args.out) / "report.html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
