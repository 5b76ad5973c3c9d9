r"""LaTeX tables and documents that compile with XeLaTeX (ctex) without hand repair.

Each table is a float with ``\caption`` and ``\label{tab:<name>}``: booktabs rules (the three
lines), notes in a ``threeparttable`` ``tablenotes``, numbers in siunitx ``S`` columns aligned on
the decimal point (each column's ``table-format`` read from its cells, leading zeros kept as
rendered), symbols in math mode (α → ``$\alpha$``, χ² → ``$\chi^{2}$``, ≥, ′, −, ×, …) so no font
drops them. Width is estimated from the cells (CJK = 2 units); a table too wide for the portrait
text width goes on a landscape page (pdflscape), and ``adjustbox``'s ``max width`` scales a table
down only when it is still wider than the line. A table with more rows than a page holds is a
``longtable`` (notes through threeparttablex, the header repeated as 续表).

Packages: ctex (ctexart), geometry, array, booktabs, threeparttable, threeparttablex, longtable,
makecell, siunitx (v3), pdflscape, graphicx, adjustbox, caption — :func:`latex_preamble`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .tables_cells import display_units, header_lines, split_number, text_units
from .tables_format import ITALIC_HEADERS, TEXT, RenderedTable, caption_lines

__all__ = ["PACKAGES", "latex_document", "latex_figure", "latex_preamble", "latex_table", "tex_text"]

PACKAGES = ("array", "booktabs", "threeparttable", "threeparttablex", "longtable", "makecell", "siunitx",
            "pdflscape", "graphicx", "adjustbox", "caption")
TEXT_WIDTH_PT = {"portrait": 455.0, "landscape": 702.0}  # A4 less 2.5 cm margins
TEXT_HEIGHT_PT = {"portrait": 702.0, "landscape": 455.0}
FONT_PT = 9.0          # \small in ctexart zihao=5 (小五)
LINE_PT = 13.5         # a table row of one line at \small, booktabs spacing
NOTE_UNITS = 200       # units of a note line at \footnotesize across the text width
TABCOLSEP_PT = 6.0
WRAP_UNITS = 24        # a text column longer than 40 units wraps at this many
_UNIT_EM = 0.5         # one unit: half a CJK character (0.5 em)
PORTRAIT_MAX = 1.2     # a table up to this many text widths stays portrait, scaled down by adjustbox

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_MATH = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "η": r"\eta",
    "θ": r"\theta", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "π": r"\pi", "ρ": r"\rho",
    "σ": r"\sigma", "τ": r"\tau", "φ": r"\varphi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega",
    "Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Π": r"\Pi", "Σ": r"\Sigma",
    "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
    "¹": "^{1}", "²": "^{2}", "³": "^{3}", "′": "'", "″": "''", "≥": r"\geq", "≤": r"\leq", "≠": r"\neq",
    "≈": r"\approx", "±": r"\pm", "×": r"\times", "−": "-", "→": r"\rightarrow", "←": r"\leftarrow",
    "∞": r"\infty", "√": r"\surd", "<": "<", ">": ">", "|": r"\vert",
}


def tex_text(text: str) -> str:
    r"""Escape text for LaTeX and set its symbols in math mode (adjacent symbols share one ``$…$``).

    Examples
    --------
    >>> tex_text("α 系数 ≥ .70; χ²/df & 50%")
    '$\\alpha$ 系数 $\\geq$ .70; $\\chi ^{2}$/df \\& 50\\%'
    >>> tex_text("-0.081"), tex_text("c′")
    ('$-$0.081', "c$'$")
    """
    out: list[str] = []
    math: list[str] = []
    for i, ch in enumerate(text):
        after = text[i + 1: i + 2]
        minus = ch == "-" and (i == 0 or text[i - 1] in " ([") and (after.isdigit() or after == ".")
        if ch in _MATH or minus:
            math.append("-" if minus else _MATH[ch])
            continue
        if math:  # any other character ends a run of symbols (a space stays a text space)
            out.append("$" + " ".join(math) + "$")
            math = []
        out.append(_SPECIAL.get(ch, ch))
    if math:
        out.append("$" + " ".join(math) + "$")
    return "".join(out)


def _header_tex(text: str) -> str:
    if text in ITALIC_HEADERS:
        return f"${text}$" if len(text) == 1 else "\\textit{" + tex_text(text) + "}"
    lines = header_lines(text)
    if len(lines) == 1:
        return tex_text(text)
    return "\\makecell{" + "\\\\".join(tex_text(line) for line in lines) + "}"


# --------------------------------------------------------------------------- columns
def _number_column(values: Sequence[str]) -> tuple[str, list[str]] | None:
    """The siunitx column spec and the cells of a column of numbers, or None when S cannot hold it.

    The format reserves sign, integer and decimal digits, a comparator (``< .001``) before the
    number and stars after it; a value in parentheses (a diagonal) is set as centred text. Leading
    zeros are printed as rendered: a column whose numbers drop them (``.25``) prints none.
    """
    parts = [(v, split_number(v)) for v in (str(x).strip() for x in values)]
    nums = [p for _, p in parts if p is not None and not p[0]]
    if not nums:
        return None
    ints = [n[2].lstrip("-−").split(".")[0] for n in nums]
    decs = [n[2].split(".")[1] if "." in n[2] else "" for n in nums]
    bounded = any(i == "" for i in ints)
    if bounded and any(i == "0" for i in ints):
        return None  # ".25" beside "0.98": siunitx would print both alike
    negative = any(n[2].startswith(("-", "−")) for n in nums)
    comparator = max((n[1] for n in nums), key=len, default="")
    if comparator and negative:
        return None
    post = max((n[3] for n in nums), key=len, default="")
    fmt = ("{$<$ }" if comparator else "") + ("-" if negative else "") + str(max(len(i) for i in ints))
    fmt += f".{max(len(d) for d in decs)}" if any(decs) else ""
    fmt += f"{{{post}}}" if post else ""
    options = [f"table-format={fmt}"] + (["print-zero-integer=false"] if bounded else [])
    cells = []
    for v, p in parts:
        if not v:
            cells.append("")
        elif p is None or p[0]:
            cells.append("{" + tex_text(v) + "}")
        else:
            cells.append((f"{{${p[1]}$ }}" if p[1] else "") + p[2].replace("−", "-") + (f"{{{p[3]}}}" if p[3] else ""))
    return "S[" + ",".join(options) + "]", cells


def _width_pt(units: float) -> float:
    return units * _UNIT_EM * FONT_PT


def _columns(t: RenderedTable) -> tuple[list[str], list[list[str]], list[str], float, float]:
    """Column specs, cells by column, header cells, the estimated natural width and height (pt)."""
    specs, columns, headers = [], [], []
    width = 0.0
    lines = [1] * len(t.cells)
    header_rows = 1
    kinds = t.kinds
    for j, col in enumerate(t.cells.columns):
        values = [str(v) for v in t.cells[col]]
        header = str(t.header[j])
        units = max([display_units(v) for v in values] + [max(display_units(x) for x in header_lines(header)), 1])
        header_rows = max(header_rows, len(header_lines(header)))
        number = _number_column(values) if kinds[j] == "number" else None
        if number is not None:
            spec, cells = number
            headers.append("{" + _header_tex(header) + "}")
            units += 2 if "-" in spec.split(",")[0] else 0  # the reserved minus sign
        else:
            if kinds[j] == "text" and units > 40:  # a long text column wraps
                units = WRAP_UNITS
                spec = f">{{\\raggedright\\arraybackslash}}p{{{_width_pt(WRAP_UNITS):.0f}pt}}"
                lines = [max(n, -(-text_units(v) // WRAP_UNITS)) for n, v in zip(lines, values)]
            else:
                spec = "l" if kinds[j] == "text" else "c"
            cells = [tex_text(v) for v in values]
            headers.append(_header_tex(header))
        specs.append(spec)
        columns.append(cells)
        width += _width_pt(units) + 2 * TABCOLSEP_PT
    note_lines = -(-text_units(t.note or "") // NOTE_UNITS)
    height = (sum(lines) + header_rows) * LINE_PT + note_lines * 10.0 + 50.0  # + caption and rules
    return specs, columns, headers, width, height


def _rows(columns: list[list[str]]) -> list[str]:
    return [" & ".join(col[i] for col in columns) + r" \\" for i in range(len(columns[0]) if columns else 0)]


def _notes(note: str | None, lang: str, env: str = "tablenotes") -> list[str]:
    if not note:
        return []
    label = r"\textit{Note.} " if lang == "en" else tex_text(TEXT[lang]["note"])
    return [f"\\begin{{{env}}}[flushleft]", r"\footnotesize", r"\item[] " + label + tex_text(note), f"\\end{{{env}}}"]


def latex_table(t: RenderedTable, *, lang: str = "zh", layout: str = "three_line") -> tuple[str, str]:
    r"""One table as LaTeX, and the orientation it was set in (``"portrait"`` or ``"landscape"``).

    ``t.name`` gives the label ``tab:<name>``; LaTeX numbers the tables in the order they appear.
    The layout changes only the caption (set in the preamble); the rules are booktabs' three.
    """
    specs, columns, headers, width, height = _columns(t)
    orientation = "portrait" if width <= TEXT_WIDTH_PT["portrait"] * PORTRAIT_MAX else "landscape"
    label = f"\\label{{tab:{t.name}}}" if t.name else ""
    caption = caption_lines(layout, lang, t.title, None)[-1]
    head = [r"\toprule", " & ".join(headers) + r" \\", r"\midrule"]
    rows = _rows(columns)
    tight = width > TEXT_WIDTH_PT[orientation]
    out: list[str] = []
    if height > TEXT_HEIGHT_PT[orientation] * 0.9:
        size = r"\small" if width <= TEXT_WIDTH_PT[orientation] else r"\footnotesize"
        out += [r"\begingroup", size, r"\setlength{\tabcolsep}{4pt}" if tight else "", r"\begin{ThreePartTable}"]
        out += _notes(t.note, lang, "TableNotes")
        out += [f"\\begin{{longtable}}{{{''.join(specs)}}}",
                f"\\caption{{{tex_text(caption)}}}{label}" + r" \\", *head, r"\endfirsthead",
                f"\\caption[]{{{tex_text(caption + TEXT[lang]['continued'])}}}" + r" \\", *head, r"\endhead",
                r"\bottomrule", r"\insertTableNotes" if t.note else "", r"\endlastfoot", *rows,
                r"\end{longtable}", r"\end{ThreePartTable}", r"\endgroup"]
    else:
        full = width <= TEXT_WIDTH_PT[orientation] * 0.8
        begin = (f"\\begin{{tabular*}}{{\\linewidth}}{{@{{\\extracolsep{{\\fill}}}}{''.join(specs)}}}" if full
                 else f"\\begin{{tabular}}{{{''.join(specs)}}}")
        out += [r"\begin{table}[htbp]", r"\centering", r"\small", f"\\caption{{{tex_text(caption)}}}{label}"]
        out += [r"\setlength{\tabcolsep}{4pt}"] if tight else []
        out += [r"\begin{adjustbox}{max width=\linewidth}", r"\begin{threeparttable}", begin, *head, *rows,
                r"\bottomrule", r"\end{tabular*}" if full else r"\end{tabular}", *_notes(t.note, lang),
                r"\end{threeparttable}", r"\end{adjustbox}", r"\end{table}"]
    body = "\n".join(line for line in out if line)
    if orientation == "landscape":
        body = "\\begin{landscape}\n" + body + "\n\\end{landscape}"
    return body + "\n", orientation


def latex_figure(path: str, title: str, name: str, *, lang: str = "zh", layout: str = "three_line") -> str:
    r"""A figure float: ``\includegraphics`` of a (vector PDF) file, caption and ``\label{fig:<name>}``."""
    caption = f"\\caption{{{tex_text(caption_lines(layout, lang, title, None, kind='figure')[-1])}}}\\label{{fig:{name}}}"
    image = f"\\includegraphics[width=\\linewidth,height=0.7\\textheight,keepaspectratio]{{{path}}}"
    lines = [r"\begin{figure}[htbp]", r"\centering"]
    lines += [caption, image] if layout == "apa" else [image, caption]
    return "\n".join(lines + [r"\end{figure}"]) + "\n"


def latex_preamble(*, lang: str = "zh", layout: str = "three_line") -> str:
    """The preamble every table of this module needs: ctexart on A4, the packages, caption styles."""
    scheme = "" if lang == "zh" else ",scheme=plain"
    if layout == "apa":
        caption = ("\\captionsetup{labelsep=newline,labelfont=bf,justification=raggedright,singlelinecheck=false"
                   + (",textfont=it}" if lang == "en" else "}"))
    else:
        caption = "\\captionsetup{labelsep=quad,labelfont=bf}"
    zh_label = "\\DeclareCaptionLabelFormat{zh}{#1#2}\n\\captionsetup{labelformat=zh}\n" if lang == "zh" else ""
    return (f"\\documentclass[UTF8,a4paper,zihao=5{scheme}]{{ctexart}}\n"
            "\\usepackage[margin=2.5cm]{geometry}\n"
            f"\\usepackage{{{','.join(PACKAGES)}}}\n"
            "\\IfFontExistsTF{Times New Roman}{\\setmainfont{Times New Roman}}"
            "{\\IfFontExistsTF{TeX Gyre Termes}{\\setmainfont{TeX Gyre Termes}}{}}\n"
            "\\sisetup{group-digits=false}\n"
            # a document of floats only: let several share a page instead of one per float page
            "\\renewcommand{\\topfraction}{0.9}\\renewcommand{\\bottomfraction}{0.8}"
            "\\renewcommand{\\textfraction}{0.05}\\renewcommand{\\floatpagefraction}{0.8}\n"
            "\\setcounter{topnumber}{4}\\setcounter{bottomnumber}{4}\\setcounter{totalnumber}{8}\n"
            "\\captionsetup{font=small,skip=4pt}\n"
            f"{caption}\n{zh_label}"
            "\\setlength{\\LTcapwidth}{\\linewidth}\n")


def latex_document(blocks: Sequence[str], *, lang: str = "zh", layout: str = "three_line",
                   title: str | None = None) -> str:
    """A complete document: the preamble, an optional title, then the blocks (tables, figures) in order."""
    body = [r"\begin{document}"]
    blocks = [b.rstrip("\n") for b in blocks]
    if title:  # on the first page, turned with it when the first table is landscape
        heading = f"\\begin{{center}}\\large\\bfseries {tex_text(title)}\\end{{center}}"
        if blocks and blocks[0].startswith("\\begin{landscape}"):
            blocks[0] = blocks[0].replace("\\begin{landscape}", "\\begin{landscape}\n" + heading, 1)
        else:
            body.append(heading)
    body += blocks
    body.append(r"\end{document}")
    return "% Compile with XeLaTeX: xelatex paper.tex (run twice for cross-references)\n" + \
        latex_preamble(lang=lang, layout=layout) + "\n".join(body) + "\n"
