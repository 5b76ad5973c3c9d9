"""What the ``hallperf`` verbs say on the console (stderr): what each stage read, wrote, left out and why.

One function per stage, used by its verb and by ``run`` alike.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

console = Console(stderr=True)


def say(message: str) -> None:
    console.print(message, highlight=False, soft_wrap=True, markup=False)


def say_simulated(wave: str, branches: int, seed: int, target: Path) -> None:
    say(f"simulated wave '{wave}' ({branches} branches, seed {seed}) → {target}")


def say_ingested(manifest: dict, out: Path) -> None:
    t = manifest["totals"]
    say(f"ingested '{manifest['wave']}': {t['rows_read']} rows read = {t['rows_accepted']} accepted + "
        f"{t['rows_quarantined']} quarantined → {out / manifest['wave']}")
    for entry in manifest["inputs"]:
        say_input(entry)


def say_input(entry: dict) -> None:
    """What ingest did with one file, beyond the counts: quarantine by reason, columns, labels."""
    name = entry["file"]
    if not entry["rows_read"]:
        say(f"  {name}: no data rows (header only)")
    if entry["rows_quarantined"]:
        reasons = ", ".join(f"{k} {v}" for k, v in entry["quarantined_by_reason"].items())
        say(f"  {name}: {entry['rows_quarantined']} of {entry['rows_read']} rows quarantined ({reasons})")
    if entry.get("respondents_numbered_by_row"):
        say(f"  {name}: no respondent column '{entry['respondents_numbered_by_row']}': respondents numbered by their row")
    if entry.get("unmatched_columns"):
        say(f"  {name}: instrument columns not found: {', '.join(entry['unmatched_columns'])}")
    if entry.get("duplicate_ip"):
        say(f"  {name}: {entry['duplicate_ip']} answers share an IP address with another (flagged, kept)")
    for column, codes in (entry.get("value_labels_recoded") or {}).items():
        moved = ", ".join(f"{a}→{b}" for a, b in codes.items())
        say(f"  {name}: {column} recoded by its value labels ({moved})")
    for note in entry.get("value_label_notes") or []:
        say(f"  {name}: {note}")


def say_scored(info: dict) -> None:
    for inst_id, entry in info["datasets"].items():
        say(f"scored {inst_id}: {entry['rows']} respondents, {entry['careless']} flagged as careless")


def say_analysed(info: dict, target: Path, *, report: bool = False) -> None:
    say(f"wrote {len(info['tables'])} result tables → {target}" + (f" and the report {target / 'report.html'}" if report else ""))
    report_problems(target, info)
    for note in info.get("notes") or []:
        say(f"  note: {note}")


def instrument_summary(target: Path) -> None:
    """Per scale k, n, alpha, omega (and ICCs), then CFA fit and KMO: the table of analyze --instrument."""
    from rich.table import Table

    from analysis.project import Results
    from analysis.report.instrument import summary_rows

    head, rows, lines = summary_rows(Results(target))
    if not rows:
        return
    table = Table(*head, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        table.add_row(*row)
    console.print(table, highlight=False, soft_wrap=False)
    for line in lines:
        say(line)


def report_problems(target: Path, info: dict) -> None:
    """Echo the rows of every ``*problems`` table: scales that could not be computed and why."""
    import pandas as pd

    for name in sorted(n for n in info["tables"] if n.endswith("problems")):
        problems = pd.read_parquet(target / f"{name}.parquet")
        for row in problems.itertuples(index=False):
            say(f"  {name.removesuffix('problems').rstrip('_') or 'psychometrics'}: {row.scale}: {row.message}")


def say_reported(summary) -> None:
    say(summary.line())
    for name, reason in summary.failed:
        say(f"  failed: {name}: {reason}")


def say_compared(info: dict, wave: str, previous: str, out: Path) -> None:
    added = [n for n in info.get("tables", []) if n.startswith("waves_") or n == "branch_trends"]
    say(f"compared '{wave}' with '{previous}' → {out / wave / 'compare'} ({', '.join(added)})")
