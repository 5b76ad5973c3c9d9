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

The wave name becomes the folder ``data/processed/<wave>/`` (replaced as a whole), so it must be
a plain name (:func:`analysis.names.name_problem`); file paths must stay inside the wave folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import AfterValidator, BeforeValidator, model_validator

from analysis.config import SafeName, Strict, Text, load_yaml, reference, top_mapping, validate
from analysis.errors import InputFileError
from analysis.names import name_problem

DATA_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls", ".xlsm", ".sav")
# The readers of analysis.io (``read_table``'s format names).
Format = Literal["csv", "xlsx", "wjx", "qualtrics", "sav"]
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class FileSpec:
    """One input file of a wave and the instrument it follows.

    Attributes
    ----------
    path : the file, inside the wave folder.
    instrument : the instrument id.
    format : the reader (``Format``), or None to tell it by the suffix.

    Examples
    --------
    >>> staff = load_wave("data/raw/sample", ["branches", "staff", "customer", "kpi", "ratings360"]).files[1]
    >>> staff.path.name, staff.instrument, staff.format
    ('staff_survey.csv', 'staff', None)
    """

    path: Path
    instrument: str
    format: str | None = None


@dataclass(frozen=True)
class WaveSpec:
    """A wave's input files, as :func:`load_wave` finds them.

    Attributes
    ----------
    name : the wave name (``data/processed/<name>/``).
    directory : the wave folder.
    months : the wave's months ``YYYY-MM`` (empty without a period in ``wave.yml``).
    files : the input files, in the order listed (else by name).

    Examples
    --------
    >>> wave = load_wave("data/raw/sample", ["branches", "staff", "customer", "kpi", "ratings360"])
    >>> wave.name, wave.months, wave.instruments()[:2]
    ('sample', ('2026-07', '2026-08', '2026-09'), ['branches', 'staff'])
    """

    name: str
    directory: Path
    months: tuple[str, ...]
    files: tuple[FileSpec, ...]

    def instruments(self) -> list[str]:
        """The instrument ids of the files, each once, in file order."""
        return list(dict.fromkeys(f.instrument for f in self.files))


def months_between(start: str, end: str) -> tuple[str, ...]:
    """Inclusive list of ``YYYY-MM`` months.

    Parameters
    ----------
    start, end : the first and the last month (``YYYY-MM``).

    Examples
    --------
    >>> months_between("2026-11", "2027-01")
    ('2026-11', '2026-12', '2027-01')
    """
    return tuple(str(p) for p in pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M"))


# --- the delivery note's format ------------------------------------------------------------

def _month(value: object) -> str:
    text = value if isinstance(value, str) else None
    match = _MONTH.fullmatch(text.strip()) if text else None
    if not match:
        raise ValueError(f"must be a month YYYY-MM (e.g. 2026-07), not {value!r}")
    if not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{value!r}: month {int(match.group(2))} is not 1-12")
    return f"{match.group(1)}-{match.group(2)}"


def _inside_folder(value: str) -> str:
    """A path relative to the wave folder that cannot leave it (``..``) or name another root."""
    parts = re.split(r"[/\\]", value)
    if not value.strip() or "\0" in value:
        raise ValueError(f"{value!r} is not a file name")
    if value.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", value):
        raise ValueError(f"{value!r} is absolute (give the path relative to the wave folder)")
    if ".." in parts:
        raise ValueError(f"{value!r} leaves the wave folder (the exports must be inside it)")
    return value


Month = Annotated[str, BeforeValidator(_month)]
RelativePath = Annotated[Text, AfterValidator(_inside_folder)]


class PeriodSpec(Strict):
    """The ``period`` of ``wave.yml``: the wave's first and last month.

    Attributes
    ----------
    start, end : months ``YYYY-MM``, ``start`` not after ``end``.

    Examples
    --------
    >>> from analysis.config import validate
    >>> validate(PeriodSpec, {"start": "2026-09", "end": "2026-07"}, source="wave.yml", error=InputFileError)
    Traceback (most recent call last):
    ...
    analysis.errors.InputFileError: wave.yml: start 2026-09 is after end 2026-07
    """

    start: Month
    end: Month

    @model_validator(mode="after")
    def _in_order(self) -> PeriodSpec:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class FileEntry(Strict):
    """One entry of ``files`` in ``wave.yml``.

    Attributes
    ----------
    path : the file, relative to the wave folder (it may not leave it).
    instrument : the instrument id (checked against the known ones when given as ``instruments``
        in the validation context).
    format : the reader, or None to tell it by the suffix.

    Examples
    --------
    >>> from analysis.config import validate
    >>> validate(FileEntry, {"path": "../kpi.csv", "instrument": "kpi"}, source="wave.yml", error=InputFileError)
    Traceback (most recent call last):
    ...
    analysis.errors.InputFileError: wave.yml: path: '../kpi.csv' leaves the wave folder (the exports must be inside it)
    """

    path: RelativePath
    instrument: Annotated[Text, reference("instruments", "instrument")]
    format: Format | None = None


class WaveNote(Strict):
    """The content of ``wave.yml``.

    Attributes
    ----------
    wave : the wave name (a plain name), or None for the folder's name.
    period : the wave's months, or None.
    files : the input files and their instruments.

    Examples
    --------
    >>> note = WaveNote.model_validate({"wave": "2026Q3", "files": [{"path": "kpi_07.csv", "instrument": "kpi"}]})
    >>> note.files[0].instrument, note.period
    ('kpi', None)
    """

    wave: SafeName | None = None
    period: PeriodSpec | None = None
    files: list[FileEntry] = []


def read_wave_note(path: str | Path, instrument_ids: list[str] | None = None) -> WaveNote:
    """The validated ``wave.yml``; :class:`InputFileError` naming the file and every problem.

    With ``instrument_ids``, every file's instrument must be one of them.

    Parameters
    ----------
    path : the ``wave.yml`` file.
    instrument_ids : the known instrument ids, or None not to check the files' instruments.

    Examples
    --------
    >>> note = read_wave_note("data/raw/sample/wave.yml")
    >>> note.wave, note.period.end, len(note.files)
    ('sample', '2026-09', 5)
    >>> read_wave_note("data/raw/sample/wave.yml", ["branches", "staff", "customer", "kpi"])
    Traceback (most recent call last):
    ...
    analysis.errors.InputFileError: data/raw/sample/wave.yml: files[4].instrument: unknown instrument 'ratings360' (known: branches, customer, kpi, staff)
    """
    raw = top_mapping(load_yaml(path, InputFileError, "wave.yml"), path, InputFileError, "wave, period, files")
    context = {"instruments": set(instrument_ids)} if instrument_ids is not None else None
    return validate(WaveNote, raw, source=path, error=InputFileError, context=context)


def _folder_name(directory: Path) -> str:
    name = directory.resolve().name  # resolve(): the folder "." has no name of its own
    problem = name_problem(name)
    if problem:
        raise InputFileError(f"{directory}: the folder name {name!r} cannot be the wave name ({problem}), "
                             "name the wave in wave.yml (wave: NAME)")
    return name


def wave_name(directory: str | Path) -> str:
    """The name of the wave in ``directory``: wave.yml's ``wave:``, else the folder's name.

    Parameters
    ----------
    directory : the wave folder (``data/raw/<wave>``).

    Examples
    --------
    >>> wave_name("data/raw/sample")  # its wave.yml says wave: sample
    'sample'
    """
    directory = Path(directory)
    spec_path = directory / "wave.yml"
    note = read_wave_note(spec_path) if spec_path.exists() else None
    return (note.wave if note else None) or _folder_name(directory)


def load_wave(directory: str | Path, instrument_ids: list[str]) -> WaveSpec:
    """The wave in ``directory``: the files ``wave.yml`` lists, else every data file named after an
    instrument (the longest id its name starts with); :class:`InputFileError` if there are none.

    Parameters
    ----------
    directory : the wave folder (``data/raw/<wave>``).
    instrument_ids : the known instrument ids.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     folder = pathlib.Path(tmp, "2026Q3")
    ...     folder.mkdir()
    ...     for name in ("staff_survey.csv", "kpi_07.csv", "notes.docx"):
    ...         _ = (folder / name).write_text("")
    ...     wave = load_wave(folder, ["staff", "kpi"])
    >>> wave.name, [(f.path.name, f.instrument) for f in wave.files], wave.months
    ('2026Q3', [('kpi_07.csv', 'kpi'), ('staff_survey.csv', 'staff')], ())
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputFileError(f"{directory}: wave folder not found")
    spec_path = directory / "wave.yml"
    name, months, files = None, (), []
    if spec_path.exists():
        note = read_wave_note(spec_path, instrument_ids)
        files = [FileSpec(directory / entry.path, entry.instrument, entry.format) for entry in note.files]
        name = note.wave
        months = months_between(note.period.start, note.period.end) if note.period else ()
    else:
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() not in DATA_SUFFIXES:
                continue
            match = [i for i in instrument_ids if path.stem.lower().startswith(i.lower())]
            if match:
                files.append(FileSpec(path, max(match, key=len)))
    if name is None:
        name = _folder_name(directory)
    if not files:
        raise InputFileError(f"{directory}: no input files found (add a wave.yml listing them)")
    return WaveSpec(name=name, directory=directory, months=months, files=tuple(files))
