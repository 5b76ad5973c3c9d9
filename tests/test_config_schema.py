"""The configuration schemas: codebooks, wave.yml and the study file fail in ONE line naming the
file and the path of every problem; names that become paths are refused everywhere.

The malformed files live in ``tests/fixtures/bad_configs/<kind>/``; the first line of each says
the message it must produce (``# expect: ...``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analysis import cli
from analysis.errors import HallperfError, InputFileError, InstrumentError, StudyError
from analysis.instrument import load_instrument, load_instruments
from analysis.names import name_problem, safe_name
from analysis.study import load_study
from analysis.wave import load_wave
from conftest import ROOT, SURVEYS

BAD = Path(__file__).parent / "fixtures" / "bad_configs"
INSTRUMENT_IDS = ["staff", "kpi", "customer", "branches", "ratings360", "actions_register"]


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


def one_line(err: pytest.ExceptionInfo, name: str) -> str:
    """The message, checked to be one line that starts with the file (``…/name: ``)."""
    message = str(err.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.split(": ")[0].endswith(name), message
    return message


def problem_of(path: Path, message: str) -> str:
    """The fixture's expected problem, without the file name it starts with."""
    return expected(path).removeprefix(f"{message.split(': ')[0].rsplit('/', 1)[-1]}: ")


def cases(kind: str) -> list:
    return [pytest.param(p, id=p.stem) for p in sorted((BAD / kind).glob("*.yml"))]


# --- the malformed-config corpus ------------------------------------------------------------

@pytest.mark.parametrize("path", cases("codebook"))
def test_bad_codebook(path):
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    assert problem_of(path, one_line(err, path.name)) in str(err.value)


@pytest.mark.parametrize("path", cases("wave"))
def test_bad_wave_note(path, tmp_path):
    shutil.copy(path, tmp_path / "wave.yml")
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        load_wave(tmp_path, INSTRUMENT_IDS)
    assert problem_of(path, one_line(err, "wave.yml")) in str(err.value)


@pytest.mark.parametrize("path", cases("study"))
def test_bad_study_file(path, tmp_path):
    target = tmp_path / "study.yml"
    shutil.copy(path, target)
    with pytest.raises(StudyError) as err:
        load_study(target)
    assert problem_of(path, one_line(err, "study.yml")) in str(err.value)


def test_corpus_covers_every_kind():
    assert {p.name for p in BAD.iterdir()} == {"codebook", "wave", "study"}
    assert all(len(cases(kind)) >= 20 for kind in ("codebook", "wave", "study"))


# --- codebooks ------------------------------------------------------------------------------

def test_every_codebook_problem_in_one_line(tmp_path):
    text = (SURVEYS / "staff.yml").read_text(encoding="utf-8")
    text = text.replace("items: [TS1, TS2, TS3, TS4]", "items: [TS1, TS2, TS9, TS4]").replace("    reverse: true", "    revers: true", 1)
    text = text.replace("  longstring_max: 20", "  longstring_max: 0")
    path = tmp_path / "staff.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    message = one_line(err, "staff.yml")
    parts = message.removeprefix(f"{path}: ").split("; ")
    assert any(p.startswith("scales.TS.items[2]: unknown item 'TS9' (did you mean") for p in parts)
    assert "items.TS4: unknown key 'revers' (did you mean 'reverse'?)" in parts
    assert "careless.longstring_max: must be greater than or equal to 1, not 0" in parts
    assert len(parts) == 3


def test_bundled_files_pass_the_schema():
    assert set(load_instruments(SURVEYS)) == set(INSTRUMENT_IDS)
    study = load_study(SURVEYS / "study.yml")
    assert [h.id for h in study.hypotheses] == [f"H{i}" for i in range(1, 10)]
    wave = load_wave(ROOT / "data" / "raw" / "sample", INSTRUMENT_IDS)
    assert (wave.name, wave.months) == ("sample", ("2026-07", "2026-08", "2026-09"))


def test_malformed_yaml_in_an_instruments_folder(tmp_path):
    shutil.copy(SURVEYS / "staff.yml", tmp_path / "staff.yml")
    (tmp_path / "notes.yml").write_text("kind: survey\nid: [x\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instruments(tmp_path)
    assert "notes.yml: line 3: not valid YAML" in one_line(err, "notes.yml")


def test_two_codebooks_with_one_id(tmp_path):
    shutil.copy(SURVEYS / "kpi.yml", tmp_path / "a.yml")
    shutil.copy(SURVEYS / "kpi.yml", tmp_path / "b.yml")
    with pytest.raises(InstrumentError) as err:
        load_instruments(tmp_path)
    assert "b.yml: id: instrument 'kpi' is already defined in" in one_line(err, "b.yml")


def test_a_misspelt_kind_is_not_skipped_silently(tmp_path):
    text = (SURVEYS / "kpi.yml").read_text(encoding="utf-8").replace("kind: records", "knd: records")
    (tmp_path / "kpi.yml").write_text(text, encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instruments(tmp_path)
    message = one_line(err, "kpi.yml")
    assert "missing required key 'kind'" in message and "unknown key 'knd' (did you mean 'kind'?)" in message


def test_other_yaml_files_in_the_folder_are_not_codebooks():
    # The study file, the action library and the simulation model sit beside the codebooks.
    assert {p.stem for p in SURVEYS.glob("*.yml")} - set(load_instruments(SURVEYS)) == {"study", "actions", "simulation", "appraisal", "comment_themes"}


# --- wave.yml -------------------------------------------------------------------------------

def test_a_wave_name_cannot_replace_the_raw_exports(tmp_path):
    """``wave: ../raw/sample`` once made ingest replace data/raw/sample with its output."""
    from analysis.pipeline import run_ingest

    raw = tmp_path / "data" / "raw" / "sample"
    shutil.copytree(ROOT / "data" / "raw" / "sample", raw)
    note = (raw / "wave.yml").read_text(encoding="utf-8")
    (raw / "wave.yml").write_text(note.replace("wave: sample", "wave: ../raw/sample"), encoding="utf-8")
    before = sorted(p.name for p in raw.iterdir())
    with pytest.raises(InputFileError) as err:
        run_ingest(raw, processed_root=tmp_path / "data" / "processed", instruments_dir=SURVEYS, secret_file=tmp_path / "k")
    assert "wave.yml: wave: '../raw/sample' is not a valid name" in one_line(err, "wave.yml")
    assert sorted(p.name for p in raw.iterdir()) == before
    assert not (tmp_path / "data" / "processed").exists()


def test_folder_name_as_wave_name(tmp_path, monkeypatch):
    folder = tmp_path / "2026Q3"
    folder.mkdir()
    (folder / "kpi.csv").write_text("工号\nS1\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    assert load_wave(".", ["kpi"]).name == "2026Q3"  # ".", resolved: never an empty name
    odd = tmp_path / "my wave"
    shutil.copytree(folder, odd)
    with pytest.raises(InputFileError) as err:
        load_wave(odd, ["kpi"])
    assert "the folder name 'my wave' cannot be the wave name" in str(err.value) and "\n" not in str(err.value)


def test_period_and_paths_that_are_fine(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "k.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "wave.yml").write_text(
        "wave: 2026Q4.b\nperiod: {start: 2026-11, end: 2027-01}\nfiles:\n  - {path: sub/k.csv, instrument: kpi, format: csv}\n",
        encoding="utf-8")
    spec = load_wave(tmp_path, ["kpi"])
    assert spec.months == ("2026-11", "2026-12", "2027-01")
    assert spec.files[0].path == tmp_path / "sub" / "k.csv" and spec.files[0].format == "csv"


def test_wave_formats_are_the_reader_names(tmp_path):
    import typing

    from analysis.io import read_table
    from analysis.wave import Format

    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(InputFileError) as err:
        read_table(tmp_path / "a.csv", "nope")
    known = str(err.value).rsplit("(known: ", 1)[1].rstrip(")").split(", ")
    assert sorted(typing.get_args(Format)) == sorted(known)


# --- the study file -------------------------------------------------------------------------

def test_minimal_study(tmp_path):
    path = tmp_path / "study.yml"
    path.write_text("datasets: {respondents: staff}\nhypotheses:\n  - {id: H1, model: regression, y: EN, x: [TS, CO]}\n"
                    "  - {id: H2, model: moderation, x: TS, w: CO, y: EN}\n", encoding="utf-8")
    study = load_study(path)
    assert [h.id for h in study.hypotheses] == ["H1", "H2"]
    assert study.hypotheses[0].roles == {"y": "EN", "x": ["TS", "CO"]}
    assert (study.dimensions, study.performance, study.targets, study.kpis) == ((), None, None, ())
    assert study.datasets.groups is None and study.datasets.records is None and study.datasets.ratings is None


@pytest.mark.parametrize("hypotheses", ["hypotheses: []\n", "hypotheses:\n", ""])
def test_a_study_without_hypotheses(tmp_path, hypotheses):
    path = tmp_path / "study.yml"
    path.write_text("datasets: {respondents: staff}\n" + hypotheses, encoding="utf-8")
    assert load_study(path).hypotheses == ()


def test_every_study_problem_at_once(tmp_path):
    path = tmp_path / "study.yml"
    path.write_text("datasets: {respondents: staff}\nseed: -1\nhypotheses:\n  - {id: H1, model: anova, y: EN}\n"
                    "  - {id: H2, model: mediation, x: [TS], y: EN, covars: [age]}\n", encoding="utf-8")
    with pytest.raises(StudyError) as err:
        load_study(path)
    parts = one_line(err, "study.yml").removeprefix(f"{path}: ").split("; ")
    assert parts == [
        "seed: must be greater than or equal to 0, not -1",
        "hypotheses[H1]: unknown model 'anova' (known: regression, hierarchical_regression, multilevel, mediation, "
        "moderation, moderated_mediation, relative_weights)",
        "hypotheses[H2] (mediation): 'covars' is not a role of this model (did you mean 'covar'?)",
        "hypotheses[H2] (mediation): missing required key 'm'",
    ]


# --- names that become paths ----------------------------------------------------------------

HOSTILE = ["../x", "../../x", "..", ".", "a/b", "a\\b", "/abs", "CON", "nul.txt", "com1", "a\nb", "a\0b", ".hidden",
           "a..b", "end.", "", " ", "名字", "x" * 65]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused(name):
    assert name_problem(name)
    with pytest.raises(HallperfError) as err:
        safe_name(name, "--wave")
    assert str(err.value).startswith("--wave ") and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["sample", "2026Q3", "w-1_b.2", "H1", "staff", "CONSOLE", "x" * 64])
def test_plain_names_are_accepted(name):
    assert safe_name(name, "--wave") == name


def run_cli(*args):
    result = CliRunner().invoke(cli.app, list(args))
    assert isinstance(result.exception, HallperfError), result.output
    message = str(result.exception)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["simulate", "--wave", "../raw/sample"], "--wave"),
        (["score", "--wave", "../x"], "--wave"),
        (["analyze", "--study", "surveys/study.yml", "--wave", "a/b"], "--wave"),
        (["report", "--wave", "CON"], "--wave"),
        (["report", "--wave", "sample", "--previous", ".."], "--previous"),
        (["compare", "--wave", "sample", "--previous", "../../x"], "--previous"),
        (["compare", "--wave", "a\nb", "--previous", "sample"], "--wave"),
        (["export", "--wave", "x/../../y"], "--wave"),
        (["paper", "--wave", "../sample"], "--wave"),
        (["run", "--wave", "../sample"], "--wave"),
        (["run", "--wave", "sample", "--previous", "a\0b"], "--previous"),
    ],
)
def test_cli_refuses_wave_names_that_are_paths(args, option, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be created, even by accident
    message = run_cli(*args)
    assert message.startswith(f"{option} ") and "not a valid name" in message
    assert list(tmp_path.iterdir()) == []


def test_cli_ingest_refuses_the_wave_name_of_wave_yml(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "data" / "raw" / "sample", raw)
    note = (raw / "wave.yml").read_text(encoding="utf-8")
    (raw / "wave.yml").write_text(note.replace("wave: sample", "wave: ../../x"), encoding="utf-8")
    message = run_cli("ingest", "--wave", str(raw), "--out", str(tmp_path / "out"), "--instruments", str(SURVEYS),
                      "--secret", str(tmp_path / "k"))
    assert message.startswith(f"{raw / 'wave.yml'}: wave: '../../x' is not a valid name")
    assert not (tmp_path / "out").exists()


def test_cli_analyze_refuses_an_instrument_id_that_is_a_path(tmp_path):
    text = (BAD / "codebook" / "id_parent.yml").read_text(encoding="utf-8")
    (tmp_path / "tiny.yml").write_text(text, encoding="utf-8")
    (tmp_path / "data.csv").write_text("rid,A1,A2,A3\n1,1,2,3\n", encoding="utf-8")
    message = run_cli("analyze", "--instrument", str(tmp_path / "tiny.yml"), "--data", str(tmp_path / "data.csv"),
                      "--out", str(tmp_path / "out"))
    assert "tiny.yml: id: '../x' is not a valid name" in message
    assert not (tmp_path / "out").exists()


def test_main_exits_2_with_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["hallperf", "score", "--wave", "../x"])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hallperf: error: --wave '../x': not a valid name")


# --- the documented examples pass the schemas -----------------------------------------------

def yaml_blocks(path: Path) -> list:
    import re

    import yaml

    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", path.read_text(encoding="utf-8"), re.S)]


def test_documented_codebook_keys_are_accepted():
    from analysis.codebook import InstrumentSpec

    merged = {"id": "doc", "version": "1", "kind": "survey", "respondent": "rid"}
    for block in yaml_blocks(ROOT / "docs" / "codebook.md"):
        merged.update(block)
    spec = InstrumentSpec.model_validate(merged)  # without a context: references are not resolved
    assert {"agree5", "half_points", "score"} <= set(spec.response_scales) and "TC4" in spec.items


def test_documented_study_keys_are_accepted(tmp_path):
    from analysis.study import StudyModel

    blocks = yaml_blocks(ROOT / "docs" / "study.md")
    merged = {k: v for block in blocks for k, v in block.items()}
    assert StudyModel.model_validate(merged).targets.assigned == "assigned_target"
    import yaml

    (tmp_path / "study.yml").write_text(yaml.safe_dump(blocks[0]), encoding="utf-8")
    assert len(load_study(tmp_path / "study.yml").hypotheses) == 1


def test_readme_examples_pass_the_schemas(tmp_path):
    import yaml

    from analysis.wave import read_wave_note

    note, codebook = yaml_blocks(ROOT / "README.md")[:2]
    (tmp_path / "wave.yml").write_text(yaml.safe_dump(note), encoding="utf-8")
    assert read_wave_note(tmp_path / "wave.yml", INSTRUMENT_IDS).wave == "2026Q3"
    (tmp_path / "climate.yml").write_text(yaml.safe_dump(codebook, allow_unicode=True), encoding="utf-8")
    assert load_instrument(tmp_path / "climate.yml").scales["SUP"].min_answered == 2
