"""Instrument versions: which items changed between two waves' codebooks, and the trend instrument."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import pandas as pd

from analysis.instrument import Instrument

CHANGE_COLUMNS = ["instrument", "old_version", "new_version", "item", "scale", "change", "old_value", "new_value",
                  "left_out_of_trends"]


def _response_signature(item) -> tuple:
    r = item.response
    return (r.min, r.max, tuple(sorted((lang, tuple(t)) for lang, t in r.labels.items())))


def _describe_response(item) -> str:
    r = item.response
    labels = r.labels.get("zh") or r.labels.get("en") or ()
    return f"{r.code}: {r.min}-{r.max}" + (f" ({'/'.join(labels)})" if labels else "")


def instrument_changes(old: Instrument, new: Instrument) -> pd.DataFrame:
    """Items added, removed or changed between two versions of an instrument.

    Parameters
    ----------
    old, new : the instrument as used in the earlier and in the later wave.

    Returns
    -------
    DataFrame, one row per item and kind of change: instrument, old_version, new_version, item,
    scale, change (``added``, ``removed``, ``reworded_zh``, ``reworded_en``, ``response_scale``,
    ``reverse``, ``moved``), old_value, new_value, left_out_of_trends (always True: any of these
    changes takes the item out of trend scores). Empty (same columns) when nothing changed.

    Notes
    -----
    Texts are compared after stripping surrounding white space; aliases are not compared (they
    only help match export columns). A response scale counts as changed when its range or any
    label differs, whatever its code. ``scale`` is the item's scale in ``new`` (in ``old`` for a
    removed item); ``moved`` items name both scales.

    Examples
    --------
    >>> from analysis.waves.examples import example_instruments
    >>> old, new = example_instruments()  # the later version rewords TS1's English text
    >>> print(instrument_changes(old, new)[["item", "scale", "change", "new_value"]].to_string(index=False))
    item scale      change                    new_value
     TS1    TS reworded_en Targets are split per person
    """
    rows: list[dict] = []

    def add(item: str, scale: str | None, change: str, old_value, new_value) -> None:
        rows.append({"item": item, "scale": scale, "change": change, "old_value": old_value, "new_value": new_value})

    for code, item in new.items.items():
        if code not in old.items:
            add(code, new.scale_of(code), "added", None, item.text.zh or item.text.en)
            continue
        before = old.items[code]
        scale = new.scale_of(code)
        for lang in ("zh", "en"):
            a, b = getattr(before.text, lang).strip(), getattr(item.text, lang).strip()
            if a != b:
                add(code, scale, f"reworded_{lang}", a, b)
        if _response_signature(before) != _response_signature(item):
            add(code, scale, "response_scale", _describe_response(before), _describe_response(item))
        if before.reverse != item.reverse:
            add(code, scale, "reverse", str(before.reverse), str(item.reverse))
        if old.scale_of(code) != scale:
            add(code, scale, "moved", old.scale_of(code), scale)
    for code, item in old.items.items():
        if code not in new.items:
            add(code, old.scale_of(code), "removed", item.text.zh or item.text.en, None)
    out = pd.DataFrame(rows, columns=["item", "scale", "change", "old_value", "new_value"])
    out.insert(0, "instrument", new.id)
    out.insert(1, "old_version", old.version)
    out.insert(2, "new_version", new.version)
    out["left_out_of_trends"] = True
    return out[CHANGE_COLUMNS].reset_index(drop=True)


def trend_items(old: Instrument, new: Instrument) -> dict[str, list[str]]:
    """Per scale present in both versions: its items that are in both and unchanged (``new``'s order).

    Scales left with no such item are omitted. See :func:`instrument_changes` for what counts as
    a change.

    Parameters
    ----------
    old, new : the instrument as used in the earlier and in the later wave.

    Returns
    -------
    dict scale -> unchanged common items.

    Examples
    --------
    >>> from analysis.waves.examples import example_instruments
    >>> old, new = example_instruments()  # the later version rewords TS1's English text
    >>> trend_items(old, new)["TS"]  # TS1 was reworded
    ['TS2', 'TS3', 'TS4']
    """
    changed = set(instrument_changes(old, new)["item"])
    out: dict[str, list[str]] = {}
    for code, scale in new.scales.items():
        if code not in old.scales:
            continue
        keep = [i for i in scale.items if i in old.scales[code].items and i not in changed]
        if keep:
            out[code] = keep
    return out


def trend_instrument(instrument: Instrument, items_by_scale: Mapping[str, Sequence[str]]) -> Instrument:
    """A copy of ``instrument`` whose scales hold only ``items_by_scale`` (other scales dropped).

    ``min_answered`` is capped at the number of items left, so a scale that lost items is
    scored with the same rule on what remains.

    Parameters
    ----------
    instrument : the instrument to copy.
    items_by_scale : scale -> the items it keeps (e.g. :func:`trend_items`).

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> trend = trend_instrument(load_instrument("surveys/staff.yml"), {"TS": ["TS2", "TS3", "TS4"]})
    >>> list(trend.scales), trend.scales["TS"].items, trend.scales["TS"].min_answered
    (['TS'], ('TS2', 'TS3', 'TS4'), 2)
    """
    scales = {}
    for code, items in items_by_scale.items():
        if code not in instrument.scales:
            raise KeyError(f"trend_instrument: scale '{code}' is not in instrument '{instrument.id}' {instrument.version}")
        unknown = [i for i in items if i not in instrument.items]
        if unknown:
            raise KeyError(f"trend_instrument: item(s) {unknown} of scale '{code}' are not in instrument '{instrument.id}'")
        scale = instrument.scales[code]
        scales[code] = replace(scale, items=tuple(items), min_answered=min(scale.min_answered, len(items)))
    return replace(instrument, scales=scales)
