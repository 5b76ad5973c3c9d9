"""Names that become file or folder names: wave names, instrument ids, hypothesis ids.

A wave name is joined to ``data/processed/`` and the folder is replaced atomically, so a name
like ``../raw/sample`` would replace the raw exports. Every name that becomes a path is checked
here, once: an identifier of ASCII letters, digits, ``_``, ``.`` and ``-``, not starting or
ending with ``.``, without ``..``, and not a device name that Windows reserves (``CON``,
``NUL``, ``COM1``, ...; also with an extension, ``CON.txt``).
"""

from __future__ import annotations

import re

from analysis.errors import HallperfError

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
MAX_LENGTH = 64
# Windows opens a device for these names in any folder and with any extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def name_problem(value: object) -> str | None:
    """Why ``value`` cannot name a file or folder, or ``None`` when it can.

    Examples
    --------
    >>> name_problem("2026Q3") is None
    True
    >>> name_problem("../raw/sample")
    "only letters, digits, '_', '.' and '-' are allowed"
    >>> name_problem("con")
    "'CON' is a reserved device name on Windows"
    """
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if not value:
        return "must not be empty"
    if len(value) > MAX_LENGTH:
        return f"is longer than {MAX_LENGTH} characters"
    if not _NAME.fullmatch(value):
        return "only letters, digits, '_', '.' and '-' are allowed"
    if value.startswith("."):
        return "must not start with '.'"
    if ".." in value:
        return "must not contain '..'"
    if value.endswith("."):
        return "must not end with '.'"
    stem = value.split(".", 1)[0].upper()
    if stem in _RESERVED:
        return f"'{stem}' is a reserved device name on Windows"
    return None


def safe_name(value: object, what: str, error: type[HallperfError] = HallperfError) -> str:
    """Return ``value`` if it can name a file or folder; else raise ``error`` in one line.

    Parameters
    ----------
    value : the name, e.g. a wave name from the command line or a ``wave.yml``.
    what : how the message names it, e.g. ``--wave`` or ``wave.yml: wave``.
    error : the exception class to raise (an :class:`analysis.errors.HallperfError`).

    Examples
    --------
    >>> safe_name("sample", "--wave")
    'sample'
    >>> safe_name("a/b", "--wave")
    Traceback (most recent call last):
    ...
    analysis.errors.HallperfError: --wave 'a/b': not a valid name (only letters, digits, '_', '.' and '-' are allowed)
    """
    problem = name_problem(value)
    if problem:
        raise error(f"{what} {value!r}: not a valid name ({problem})")
    return value  # type: ignore[return-value]  # a str: name_problem checked it


def file_name(value: object, *, prefix: str = "x", taken: tuple[str, ...] = ("index", "study")) -> str:
    """The file name of a thing named by data (a branch id, a district): the value when it is a safe
    name (:func:`name_problem`) and not one of ``taken``, else ``<prefix>_`` + 12 hex digits of its
    SHA-256, so a hostile or odd id (``../x``, ``厅/1``, ``CON``) still gets a stable, harmless name.

    Examples
    --------
    >>> file_name("B0001")
    'B0001'
    >>> file_name("../evil", prefix="branch")
    'branch_2d6afc710923'
    """
    import hashlib

    text = str(value)
    if name_problem(text) is None and text not in taken and not text.startswith("_"):
        return text
    return f"{prefix}_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
