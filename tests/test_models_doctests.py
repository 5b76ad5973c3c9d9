"""The Examples sections of analysis.models run as doctests (cheap: a few seconds)."""

import doctest
import importlib
import pkgutil

import pytest

import analysis.models

MODULES = sorted(m.name for m in pkgutil.iter_modules(analysis.models.__path__, "analysis.models."))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
