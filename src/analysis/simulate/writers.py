"""The generating model in, a simulated wave's files out: raw exports as delivered, wave.yml, truth.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from analysis.instrument import Instrument

if TYPE_CHECKING:
    from analysis.simulate.wave import SimulatedWave


def load_model(path: str | Path) -> dict:
    """The generating model (``surveys/simulation.yml``).

    Parameters
    ----------
    path : the model file (YAML).

    Examples
    --------
    >>> model = load_model("surveys/simulation.yml")
    >>> model["practices"][:3], model["instruments"]["staff"]
    (['TS', 'CO', 'EF'], 'staff')
    """
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _header(instrument: Instrument, column: str, chinese: bool) -> str:
    """The first Chinese alias of a column when ``chinese``, else its code (as real exports mix)."""
    if not chinese:
        return column
    aliases = instrument.aliases().get(column, [column])
    return aliases[1] if len(aliases) > 1 else column


def write_wave(sim: SimulatedWave, instruments: dict[str, Instrument], names: dict[str, str], out: Path, *, excel_customers: bool = False) -> list[Path]:
    """Write the raw exports as a survey platform and a BSS system would, plus wave.yml and truth.json.

    Staff survey: UTF-8 with BOM (Excel's "CSV UTF-8"); KPI: GB18030 (GBK-compatible, as Chinese
    BSS exports); customers: XLSX when ``excel_customers`` else UTF-8 CSV; branches: UTF-8 CSV.
    Headers are the Chinese aliases for ids and fields and the codes for items, as real exports mix.

    Parameters
    ----------
    sim : the simulated wave (its malformed rows get their file and row).
    instruments : codebooks by id (their aliases are the headers).
    names : dataset -> instrument id (the model's ``instruments``).
    out : the folder to write (created if missing).
    excel_customers : write the customer survey as XLSX.

    Returns
    -------
    The exports written (not wave.yml and the truth files).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from analysis.simulate.examples import example_wave
    >>> instruments, model, sim = example_wave()
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_wave(sim, instruments, model["instruments"], pathlib.Path(folder))
    ...     files = sorted(p.name for p in pathlib.Path(folder).iterdir())
    >>> [p.name for p in written], files[-3:], sim.malformed[0]["row"]
    (['branches.csv', 'staff_survey.csv', 'customer_survey.csv', 'kpi.csv', 'ratings360.csv'], ['truth.json', 'truth_appraisal.json', 'wave.yml'], 24)
    """
    out.mkdir(parents=True, exist_ok=True)
    plan = [
        ("branches", "branches.csv", "utf-8"),
        ("staff", "staff_survey.csv", "utf-8-sig"),
        ("customer", "customer_survey.xlsx" if excel_customers else "customer_survey.csv", "utf-8"),
        ("kpi", "kpi.csv", "gb18030"),
        *((d, f"{d}.csv", "utf-8-sig") for d in ("ratings360", "actions_register")
          if d in sim.tables and names.get(d) in instruments),
    ]
    written = []
    files = []
    for dataset, filename, encoding in plan:
        inst = instruments[names[dataset]]
        frame = sim.tables[dataset].copy()
        frame.columns = [_header(inst, c, chinese=c not in inst.items) for c in frame.columns]
        path = out / filename
        if filename.endswith(".xlsx"):
            frame.to_excel(path, index=False)
        else:
            frame.to_csv(path, index=False, encoding=encoding, lineterminator="\n")
        header_rows = 1
        for entry in sim.truth["malformed"]:
            if entry["dataset"] == dataset:
                entry["file"] = filename
                entry["row"] = entry["position"] + header_rows + 1
        written.append(path)
        files.append({"path": filename, "instrument": names[dataset]})
    spec = {"wave": sim.truth["wave"], "period": {"start": sim.truth["months"][0], "end": sim.truth["months"][-1]}, "files": files}
    (out / "wave.yml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(sim.truth, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8")
    if sim.appraisal:
        (out / "truth_appraisal.json").write_text(json.dumps(sim.appraisal, ensure_ascii=False, indent=1, default=_json_default),
                                                  encoding="utf-8")
    return written


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
