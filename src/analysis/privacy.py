"""Keyed pseudonyms for respondent ids, and the minimum reporting group size.

Pseudonyms are HMAC-SHA256 of the raw id under a project secret (RFC 2104): the same staff
id gets the same pseudonym in the staff survey and the KPI records, so they can be linked,
while nobody without the secret can recompute or reverse them. The secret lives outside
``data/processed/`` and ``output/`` and is created on first use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pandas as pd

DEFAULT_SECRET = Path(".hallperf") / "secret.key"
MIN_GROUP_SIZE = 5
MIN_GROUP_SIZE_FLOOR = 3


def load_secret(path: str | Path | None = None) -> bytes:
    """Read the project secret, creating it (32 random bytes, mode 600) on first use.

    The path comes from the argument, else ``$HALLPERF_SECRET_FILE``, else ``.hallperf/secret.key``.
    Keep this file: a new secret gives new pseudonyms, and waves can no longer be linked.
    """
    path = Path(path or os.environ.get("HALLPERF_SECRET_FILE") or DEFAULT_SECRET)
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def pseudonymise(ids: pd.Series, secret: bytes, namespace: str) -> pd.Series:
    """Replace each id by ``P`` + 16 hex digits of HMAC-SHA256(secret, namespace + id).

    ``namespace`` is the canonical column name (e.g. ``staff_id``), so the same person links
    across instruments but a staff id and a customer id never collide.
    """
    prefix = f"{namespace}\x1f".encode()

    def one(value: object) -> object:
        if pd.isna(value):
            return pd.NA
        digest = hmac.new(secret, prefix + str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return "P" + digest[:16]

    return ids.map(one).astype("string")


def check_min_group_size(k: int) -> int:
    """Validate a minimum reporting group size (never below 3)."""
    if k < MIN_GROUP_SIZE_FLOOR:
        raise ValueError(f"minimum reporting group size k={k} is below the floor of {MIN_GROUP_SIZE_FLOOR}; use k >= 3")
    return k


def reporting_k(provenance: dict) -> int:
    """The minimum reporting size recorded in a results.json provenance (default 5, never below 3)."""
    try:
        k = int((provenance.get("parameters") or {}).get("min_group_size", MIN_GROUP_SIZE))
    except (TypeError, ValueError):
        k = MIN_GROUP_SIZE
    return max(MIN_GROUP_SIZE_FLOOR, k)


def suppress_small_groups(table: pd.DataFrame, k: int, *, group: str = "group", n: str = "n") -> pd.DataFrame:
    """Drop the rows of a per-group table whose group has fewer than ``k`` respondents.

    Tables without both a ``group`` and an ``n`` column are returned unchanged. The rows are
    dropped rather than blanked so that no count of a small group survives either.
    """
    if group not in table.columns or n not in table.columns:
        return table
    return table[table[n] >= k].reset_index(drop=True)
