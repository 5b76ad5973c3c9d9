"""One publication theme for every figure: bundled CJK fonts, seaborn theme, reproducible files.

The fonts are the SIL-OFL Noto Sans SC / Noto Serif SC shipped by the PyPI package
``pylopdf-fonts-zh-cn``; they are registered with matplotlib's font manager at first use, so
figures render Chinese on machines without system CJK fonts.

Reproducibility: :func:`save_figure` strips the metadata that carries a date or a software
version (PNG ``Software``, SVG ``Date``, PDF ``CreationDate``), SVG ids use a fixed
``svg.hashsalt``, and SVG text is stored as paths, so the same figure gives the same bytes on
every run and every machine with the same package versions.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import font_manager

from .texts import check_lang

__all__ = [
    "FONT_FILES",
    "SANS_FAMILY",
    "SERIF_FAMILY",
    "register_fonts",
    "save_figure",
    "style_rc",
    "use_style",
]

FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILES = ("NotoSansSC-Regular.otf", "NotoSerifSC-Regular.otf")
SANS_FAMILY = "Noto Sans SC"
SERIF_FAMILY = "Noto Serif SC"
SVG_HASHSALT = "hallperf"
DPI = 300
_FORMATS = ("png", "svg", "pdf")

# Metadata keys whose default values change between runs or versions; None removes them.
_STRIP_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}

_registered: tuple[str, ...] | None = None


def register_fonts() -> tuple[str, ...]:
    """Register the bundled Noto Sans SC and Noto Serif SC fonts with matplotlib.

    Idempotent: the font files are added once per process.

    Returns
    -------
    tuple of str
        The family names now available (``("Noto Sans SC", "Noto Serif SC")``).

    Raises
    ------
    ModuleNotFoundError
        If the font package ``pylopdf-fonts-zh-cn`` is not installed.

    Examples
    --------
    >>> register_fonts()
    ('Noto Sans SC', 'Noto Serif SC')
    """
    global _registered
    if _registered is not None:
        return _registered
    try:
        root = resources.files(FONT_PACKAGE)
    except ModuleNotFoundError as err:  # pragma: no cover - dependency is declared
        raise ModuleNotFoundError(
            f"font package {FONT_PACKAGE!r} is not installed; install 'pylopdf-fonts-zh-cn' "
            "(it ships the SIL-OFL Noto Sans SC / Noto Serif SC used for Chinese figures)"
        ) from err
    names = []
    for filename in FONT_FILES:
        with resources.as_file(root / filename) as path:
            font_manager.fontManager.addfont(str(path))
            names.append(font_manager.FontProperties(fname=str(path)).get_name())
    _registered = tuple(names)
    return _registered


def style_rc(lang: str = "zh", *, serif: bool = False) -> dict[str, Any]:
    """The rcParams of the house style (without the seaborn theme), for inspection or reuse.

    Parameters
    ----------
    lang : {"zh", "en"}
        Report language. Both use the Noto SC fonts, which carry Latin glyphs too, so Chinese
        and English figures share one typeface.
    serif : bool
        Use Noto Serif SC instead of Noto Sans SC.
    """
    check_lang(lang)
    return {
        "font.family": "serif" if serif else "sans-serif",
        "font.sans-serif": [SANS_FAMILY, "DejaVu Sans"],
        "font.serif": [SERIF_FAMILY, "DejaVu Serif"],
        "mathtext.fontset": "dejavusans",
        "axes.unicode_minus": False,  # the CJK fonts lack U+2212 in some weights
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "figure.facecolor": "white",
        "figure.constrained_layout.use": True,
        "savefig.dpi": DPI,
        "savefig.facecolor": "white",
        "savefig.bbox": "standard",
        "svg.fonttype": "path",  # Chinese renders without the font installed
        "svg.hashsalt": SVG_HASHSALT,  # deterministic ids
        "pdf.fonttype": 42,  # TrueType/OpenType embedding, editable text
        "ps.fonttype": 42,
        "axes.titleweight": "normal",  # the bundled fonts have one weight (Regular)
        "axes.titlelocation": "left",
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def use_style(lang: str = "zh", *, serif: bool = False, context: str = "paper",
              font_scale: float = 1.2) -> None:
    """Apply the one publication theme of hallperf reports.

    Resets matplotlib to its defaults first (``matplotlib.rcdefaults()``), so the result does
    not depend on whatever state came before: two calls in any state give identical rcParams.

    Parameters
    ----------
    lang : {"zh", "en"}
        Report language (see :func:`style_rc`).
    serif : bool
        Serif typeface (Noto Serif SC) instead of the default sans (Noto Sans SC).
    context : str
        seaborn plotting context (``"paper"``, ``"notebook"``, ``"talk"``).
    font_scale : float
        seaborn font scale.

    Examples
    --------
    >>> import matplotlib
    >>> with matplotlib.rc_context():  # leaves the global style as it was
    ...     use_style("en")
    ...     matplotlib.rcParams["font.sans-serif"][0]
    'Noto Sans SC'
    """
    import seaborn as sns

    rc = style_rc(lang, serif=serif)
    register_fonts()
    matplotlib.rcdefaults()
    sns.set_theme(context=context, style="ticks", palette="colorblind",
                  font="serif" if serif else "sans-serif", font_scale=font_scale, rc=rc)
    matplotlib.rcParams.update(rc)


def save_figure(fig: Any, path_stem: str | os.PathLike[str],
                formats: Sequence[str] | str = _FORMATS, *, dpi: int = DPI) -> list[Path]:
    """Write a figure as PNG (``dpi``), SVG and PDF, atomically and byte-for-byte reproducibly.

    Each file is written to a temporary file in the target folder and renamed into place, so a
    reader never sees half a file. Metadata carrying dates or versions is removed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : path without suffix, e.g. ``out/figures/profile``; parents are created.
    formats : iterable of {"png", "svg", "pdf"}
    dpi : int
        Resolution of the PNG (300 by default).

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 2], [3, 4])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = save_figure(fig, pathlib.Path(folder, "figures", "line"), ("png", "svg"))
    ...     first = [f.read_bytes() for f in files]
    ...     again = [f.read_bytes() for f in save_figure(fig, pathlib.Path(folder, "figures", "line"), ("png", "svg"))]
    >>> [f.name for f in files], first == again  # byte for byte the same
    (['line.png', 'line.svg'], True)
    >>> plt.close(fig)
    """
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in _FORMATS]
    if bad:
        raise ValueError(f"formats {bad} are not supported by save_figure; use any of {_FORMATS}")
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
            _atomic_savefig(fig, target, fmt, dpi)
        written.append(target)
    return written


def _atomic_savefig(fig: Any, target: Path, fmt: str, dpi: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt, dpi=dpi, metadata=dict(_STRIP_METADATA[fmt]))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

