"""A wave's delivery note (``wave.yml`` beside the raw exports): which file follows which instrument.

```yaml
wave: 2026Q3
period: {start: 2026-07, end: 2026-09}
files:
  - {path: branches.csv, instrument: branches}
  - {path: staff_survey.csv, instrument: staff}
  - {path: kpi_07.csv, instrument: kpi}            # several files may share an instrument
  - {path: customers.xlsx, instrument: customer, format: xlsx}
```
Without ``wave.yml`` a file is assigned to the instrument whose id its name starts with.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import InputFileError

DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".xlsm", ".sav")


@dataclass(frozen=True)
class FileSpec:
    path: Path
    instrument: str
    format: str | None = None


@dataclass(frozen=True)
class WaveSpec:
    name: str
    directory: Path
    months: tuple[str, ...]
    files: tuple[FileSpec, ...]

    def instruments(self) -> list[str]:
        return list(dict.fromkeys(f.instrument for f in self.files))


def months_between(start: str, end: str) -> tuple[str, ...]:
    """Inclusive list of ``YYYY-MM`` months."""
    return tuple(str(p) for p in pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M"))


def load_wave(directory: str | Path, instrument_ids: list[str]) -> WaveSpec:
    directory = Path(directory)
    if not directory.is_dir():
        raise InputFileError(f"{directory}: wave folder not found")
    spec_path = directory / "wave.yml"
    if spec_path.exists():
        try:
            raw = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputFileError(f"{spec_path}: not valid YAML ({exc})") from None
        files = []
        for i, entry in enumerate(raw.get("files") or []):
            if not isinstance(entry, dict) or "path" not in entry or "instrument" not in entry:
                raise InputFileError(f"{spec_path}: files[{i}] needs 'path' and 'instrument'")
            if entry["instrument"] not in instrument_ids:
                raise InputFileError(
                    f"{spec_path}: files[{i}]: unknown instrument '{entry['instrument']}' "
                    f"(known: {', '.join(instrument_ids)})"
                )
            files.append(FileSpec(directory / entry["path"], entry["instrument"], entry.get("format")))
        name = str(raw.get("wave", directory.name))
        period = raw.get("period") or {}
        months = months_between(str(period["start"]), str(period["end"])) if period else ()
    else:
        files = []
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() not in DATA_SUFFIXES:
                continue
            match = [i for i in instrument_ids if path.stem.lower().startswith(i.lower())]
            if match:
                files.append(FileSpec(path, max(match, key=len)))
        name, months = directory.name, ()
    if not files:
        raise InputFileError(f"{directory}: no input files found (add a wave.yml listing them)")
    return WaveSpec(name=name, directory=directory, months=months, files=tuple(files))
