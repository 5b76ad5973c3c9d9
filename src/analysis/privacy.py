"""Keyed pseudonyms for respondent ids, the project secret they are keyed with, and the minimum
reporting group size.

Pseudonyms are HMAC-SHA256 of the raw id under a project secret (RFC 2104): the same staff
id gets the same pseudonym in the staff survey and the KPI records, so they can be linked,
while nobody without the secret can recompute or reverse them.

The secret is one per project, so that waves link: ``HALLPERF_SECRET`` (or its older name
``HALLPERF_SECRET_FILE``) names the key file; otherwise it is ``.hallperf/secret.key`` in the
project root (:func:`analysis.project.project_root`: the nearest folder at or above the working
directory that holds ``surveys/``, so running from ``output/`` finds the same key). It lives outside ``data/processed/`` and
``output/``. A key is at least 32 random bytes, written as hex; an empty, short, non-hex or
visibly non-random key file is refused, never used: with a guessable key the pseudonyms of
known ids can be recomputed. A new key is written atomically (temporary file, fsync, link), so
an interrupted first run leaves no key rather than a broken one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import InputFileError, OutputWriteError
from analysis.project import PROJECT_MARKER, project_root

SECRET_ENV = ("HALLPERF_SECRET", "HALLPERF_SECRET_FILE")
KEY_LOCATION = Path(".hallperf") / "secret.key"
MIN_KEY_BYTES = 32
# 32 random bytes take about 30 distinct values; fewer than 16 means a typed or patterned key
# (the chance for a random key is far below 1e-10).
MIN_DISTINCT_BYTES = 16
MIN_GROUP_SIZE = 5
MIN_GROUP_SIZE_FLOOR = 3


def secret_path(path: str | Path | None = None, *, start: str | Path | None = None) -> Path | None:
    """Where the key is: ``path``, else ``$HALLPERF_SECRET``, else the project root's ``.hallperf/secret.key``.

    ``start`` is where the project root is looked for (default: the working directory). None
    when no project root is found.

    Parameters
    ----------
    path : an explicit key file (``--secret``).
    start : where the project root is looked for.

    Examples
    --------
    >>> secret_path("keys/project.key").as_posix()
    'keys/project.key'
    """
    if path:
        return Path(path)
    for name in SECRET_ENV:
        if os.environ.get(name):
            return Path(os.environ[name])
    root = project_root(start)
    return root / KEY_LOCATION if root else None


def read_secret(path: Path) -> bytes:
    """The key in ``path``; refuses (one line naming the file) a key that is not ≥ 32 random bytes as hex.

    Parameters
    ----------
    path : the key file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "secret.key")
    ...     _ = path.write_text("00" * 32)
    ...     read_secret(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.InputFileError: .../secret.key: pseudonymisation key is not random (only 1 distinct byte values); ...
    """
    where = f"{path}: pseudonymisation key"
    keep = "restore the key file from a backup, or, if nothing was ever ingested with it, delete it to make a new one"
    try:
        text = path.read_text(encoding="ascii").strip()
    except UnicodeDecodeError:
        raise InputFileError(f"{where} is not hex text; {keep}") from None
    except OSError as exc:
        raise InputFileError(f"{where} cannot be read ({exc.strerror or exc})") from None
    if not text:
        raise InputFileError(f"{where} is empty (an interrupted first run?); {keep}")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise InputFileError(f"{where} is not hex text; {keep}") from None
    if len(key) < MIN_KEY_BYTES:
        raise InputFileError(f"{where} has {len(key)} bytes, fewer than {MIN_KEY_BYTES}: pseudonyms under it could be "
                             f"reversed; {keep}")
    if len(set(key)) < MIN_DISTINCT_BYTES:
        raise InputFileError(f"{where} is not random (only {len(set(key))} distinct byte values); {keep}")
    return key


def create_secret(path: Path) -> bytes:
    """Write a new random key to ``path`` atomically (mode 600); an existing key is read, never replaced.

    Parameters
    ----------
    path : where the key is written (its folder is created, mode 700).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, ".hallperf", "secret.key")
    ...     key = create_secret(path)
    ...     len(key), read_secret(path) == key, oct(path.stat().st_mode & 0o777)
    (32, True, '0o600')
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_bytes(MIN_KEY_BYTES)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: mode 600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key.hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # fails if another run made the key meanwhile: then use that one
            except FileExistsError:
                return read_secret(path)
            directory = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    return key


def load_secret(path: str | Path | None = None, *, start: str | Path | None = None) -> bytes:
    """The project secret (see the module docstring), created on first use.

    Parameters
    ----------
    path : an explicit key file (``--secret``); created there if missing.
    start : where to look for the project root instead of the working directory.

    Keep the file: a new secret gives new pseudonyms, and waves can no longer be linked.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder, "secret.key")
    ...     load_secret(path) == load_secret(path)  # created on the first call, read on the second
    True
    """
    where = secret_path(path, start=start)
    if where is None:
        raise InputFileError(f"no project folder (one holding {PROJECT_MARKER}/) at or above {Path.cwd()}, so no place "
                             "for the pseudonymisation key: run hallperf from the project folder, or set HALLPERF_SECRET "
                             "to the key file")
    if where.exists():
        return read_secret(where)
    return create_secret(where)


def key_id(secret: bytes) -> str:
    """A short fingerprint of the key, safe to record: two waves with one ``key_id`` can be linked.

    Parameters
    ----------
    secret : the project key.

    Examples
    --------
    >>> key_id(bytes(range(32)))
    '5542ca6b8925'
    """
    return hashlib.sha256(b"hallperf key id\x1f" + secret).hexdigest()[:12]


def pseudonymise(ids: pd.Series, secret: bytes, namespace: str) -> pd.Series:
    """Replace each id by ``P`` + 16 hex digits of HMAC-SHA256(secret, namespace + id).

    ``namespace`` is the canonical column name (e.g. ``staff_id``), so the same person links
    across instruments but a staff id and a customer id never collide.

    Parameters
    ----------
    ids : raw ids (missing stays missing).
    secret : the project key (:func:`load_secret`).
    namespace : the canonical id column, e.g. ``staff_id``.

    Examples
    --------
    >>> import hashlib, hmac
    >>> import pandas as pd
    >>> secret = bytes(range(32))
    >>> pseudonymise(pd.Series(["1001", None, "1001"]), secret, "staff_id").tolist()
    ['Padba31c5ae12e29b', <NA>, 'Padba31c5ae12e29b']
    >>> "P" + hmac.new(secret, b"staff_id\\x1f1001", hashlib.sha256).hexdigest()[:16]  # RFC 2104 HMAC
    'Padba31c5ae12e29b'
    """
    prefix = f"{namespace}\x1f".encode()

    def one(value: object) -> object:
        if pd.isna(value):
            return pd.NA
        digest = hmac.new(secret, prefix + str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return "P" + digest[:16]

    return ids.map(one).astype("string")


def check_min_group_size(k: int) -> int:
    """Validate a minimum reporting group size (never below 3).

    Parameters
    ----------
    k : the minimum reporting group size asked for.

    Examples
    --------
    >>> check_min_group_size(5)
    5
    >>> check_min_group_size(2)
    Traceback (most recent call last):
    ...
    ValueError: minimum reporting group size k=2 is below the floor of 3; use k >= 3
    """
    if k < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(f"minimum reporting group size k={k} is below the floor of {MIN_GROUP_SIZE_FLOOR}; use k >= 3")
    return k


def reporting_k(provenance: dict) -> int:
    """The minimum reporting size recorded in a results.json provenance (default 5, never below 3).

    Parameters
    ----------
    provenance : the parsed ``results.json``.

    Examples
    --------
    >>> reporting_k({"parameters": {"min_group_size": 8}}), reporting_k({}), reporting_k({"parameters": {"min_group_size": 1}})
    (8, 5, 3)
    """
    try:
        k = int((provenance.get("parameters") or {}).get("min_group_size", MIN_GROUP_SIZE))
    except (TypeError, ValueError):
        k = MIN_GROUP_SIZE
    return max(MIN_GROUP_SIZE_FLOOR, k)


def suppress_small_groups(table: pd.DataFrame, k: int, *, group: str = "group", n: str = "n") -> pd.DataFrame:
    """Drop the rows of a per-group table whose group has fewer than ``k`` respondents.

    Tables without both a ``group`` and an ``n`` column are returned unchanged. The rows are
    dropped rather than blanked so that no count of a small group survives either.

    Parameters
    ----------
    table : one row per group.
    k : minimum reporting size.
    group, n : the group and the respondent-count columns.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"group": ["b1", "b2"], "n": [12, 3], "mean": [3.9, 4.4]})
    >>> print(suppress_small_groups(table, 5).to_string(index=False))
    group  n  mean
       b1 12   3.9
    """
    if group not in table.columns or n not in table.columns:
        return table
    return table[table[n] >= k].reset_index(drop=True)
