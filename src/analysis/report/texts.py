"""Fixed report texts: each key's Chinese and English side by side, looked up by language.

A report's table is written as ``key -> (zh, en)`` so that a missing or stale translation shows at
its key; :func:`by_language` turns it into ``{lang: {key: text}}`` for lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LANGS", "by_language", "check_lang", "fill"]

LANGS = ("zh", "en")


def check_lang(lang: str) -> str:
    """``lang`` if the reports are written in it, else a ValueError naming the choices.

    Parameters
    ----------
    lang : a language code.

    Examples
    --------
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ValueError: lang='fr' is not supported; use one of ('zh', 'en')
    """
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not supported; use one of {LANGS}")
    return lang


def by_language(pairs: Mapping[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``{lang: {key: text}}`` from ``key -> (zh, en)``.

    Parameters
    ----------
    pairs : each key's text in the languages of :data:`LANGS`, in that order.

    Examples
    --------
    >>> by_language({"title": ("报告", "Report"), "n": ("{n} 份", "{n} answers")})["en"]
    {'title': 'Report', 'n': '{n} answers'}
    """
    return {lang: {key: texts[i] for key, texts in pairs.items()} for i, lang in enumerate(LANGS)}


def fill(table: Mapping[str, Mapping[str, str]], lang: str, key: str, **values: Any) -> str:
    """Text ``key`` of ``table`` in ``lang`` with ``values`` filled in (values are NOT escaped here).

    Parameters
    ----------
    table : :func:`by_language` output.
    lang : ``"zh"`` or ``"en"``.
    key : the text's key.
    **values : the placeholders' values.

    Examples
    --------
    >>> fill(by_language({"n": ("{n} 份", "{n} answers")}), "zh", "n", n=12)
    '12 份'
    """
    text = table[check_lang(lang)][key]
    return text.format(**values) if values else text
