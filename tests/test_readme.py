"""The README's Python example runs as written (on the sample wave's processed data and results)."""

from __future__ import annotations

import os
import re

from conftest import ROOT


def test_readme_python_example_runs(sample_results, tmp_path, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    base = sample_results.parents[2]  # <base>/output/sample/results → <base>
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "processed").symlink_to(base / "processed")
    (tmp_path / "output").symlink_to(base / "output")
    (tmp_path / "surveys").symlink_to(ROOT / "surveys")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = capsys.readouterr().out
    assert "alpha" in printed and "indirect" in printed and "percentile bootstrap, 2000 resamples" in printed


def test_every_file_the_readme_names_exists():
    # screenshots, docs and notebooks the README links to or names (an image missing renders as a broken link)
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\]\(((?:docs|notebooks|benchmarks)/[^)\s]+)\)", text))
    named |= set(re.findall(r"`((?:docs|notebooks|benchmarks)/[\w./-]+\.(?:md|ipynb|py|png))`", text))
    assert {"docs/img/branch_strong.png", "docs/img/district.png", "docs/distributed.md"} <= named
    assert [n for n in sorted(named) if not (ROOT / n).is_file()] == []
