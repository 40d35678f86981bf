"""LaTeX exports that pdflatex compiles: a ``tabular`` with booktabs rules, headers written with
LaTeX macros, and every cell (user text included: formula names, file names) escaped.

The file starts with a comment naming the packages it needs (:data:`PACKAGES`); paste it inside
a ``table`` environment or ``\\input`` it. Cells go through :func:`tex_text`: LaTeX's special
characters are escaped, the symbols the tool writes (φ, λ, σ, ², ·, ≥, ∞, —, ...) become the
macros of base LaTeX, accented Latin letters become accent commands, and any other character
that pdflatex could not typeset becomes ``?`` (so the export always compiles).
"""

from __future__ import annotations

import unicodedata

#: The packages an export needs, named in its first line.
PACKAGES = ("booktabs",)

#: LaTeX's special characters in text, and their escapes.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

#: The non-ASCII symbols the tool writes, as base-LaTeX macros (math in ``$...$``).
_SYMBOLS = {
    "φ": r"$\varphi$",
    "ϕ": r"$\phi$",
    "λ": r"$\lambda$",
    "σ": r"$\sigma$",
    "μ": r"$\mu$",
    "ρ": r"$\rho$",
    "η": r"$\eta$",
    "γ": r"$\gamma$",
    "δ": r"$\delta$",
    "θ": r"$\theta$",
    "Θ": r"$\Theta$",
    "Σ": r"$\Sigma$",
    "π": r"$\pi$",
    "²": r"\textsuperscript{2}",
    "³": r"\textsuperscript{3}",
    "ᵀ": r"\textsuperscript{T}",
    "·": r"$\cdot$",
    "×": r"$\times$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "≈": r"$\approx$",
    "±": r"$\pm$",
    "∈": r"$\in$",
    "∞": r"$\infty$",
    "√": r"$\surd$",
    "‖": r"$\|$",
    "→": r"$\to$",
    "∝": r"$\propto$",
    "−": "-",
    "—": "---",
    "–": "--",
    "…": r"\ldots{}",
    "\u00a0": "~",
}

#: Combining accents that base LaTeX writes as accent commands.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030c": "v",
    "\u0327": "c",
}


def _char(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ch in _SYMBOLS:
        return _SYMBOLS[ch]
    if ch.isascii():
        return ch if ch.isprintable() else " "
    base, *marks = unicodedata.normalize("NFD", ch)
    if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
        out = base
        for m in marks:
            out = f"\\{_ACCENTS[m]}{{{out}}}"
        return "{" + out + "}"
    return "?"


def tex_text(text: str) -> str:
    """``text`` as LaTeX text that pdflatex compiles in any document (see the module doc)."""
    return "".join(_char(ch) for ch in text)


def tex_escape(text: str) -> str:
    """Alias of :func:`tex_text` (the study's name for it)."""
    return tex_text(text)


def to_tex(header: list[str], rows: list[list[str]], tex_header: list[str] | None = None) -> str:
    """A booktabs ``tabular`` of ``rows``, each cell escaped with :func:`tex_text`; the header
    is ``tex_header`` (LaTeX already, written with macros) or else ``header`` escaped. The first
    line is a comment naming the packages needed."""
    head = tex_header if tex_header is not None else [tex_text(h) for h in header]
    if len(head) != len(header) or any(len(r) != len(header) for r in rows):
        raise ValueError("every row needs one cell per column")
    spec = "l" * min(2, len(header)) + "r" * max(0, len(header) - 2)
    lines = [
        "% deq-verify export: needs " + ", ".join(rf"\usepackage{{{p}}}" for p in PACKAGES),
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(head) + r" \\",
        "\\midrule",
        *(" & ".join(tex_text(str(c)) for c in row) + r" \\" for row in rows),
        "\\bottomrule",
        "\\end{tabular}",
        "",
    ]
    return "\n".join(lines)


__all__ = ["PACKAGES", "tex_escape", "tex_text", "to_tex"]
