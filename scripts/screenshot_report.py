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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("activation", nargs="?", default="tanh")
    ap.add_argument("--out", default="reports/screenshot")
    args = ap.parse_args()
    verify_main(["activation", args.activation, "--report", args.out, "--quiet"])
    png = Path(args.out) / "screenshot.png"
    screenshot(Path(args.out) / "report.html", png)
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
