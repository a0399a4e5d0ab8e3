"""INEQUALITY values rendered for people (DESIGN §3 in, short text out)."""
from __future__ import annotations

import pytest

from entrec.playground.values import value_text


def iv(op, low=None, high=None, unit=None, li=False, hi=False):
    return {"op": op, "low": low, "high": high, "low_inclusive": li, "high_inclusive": hi, "unit": unit,
            "negated": False}


@pytest.mark.parametrize("value,lang,text", [
    (iv("ge", 120, None, "MW", li=True), "pt", "≥ 120 MW"),
    (iv("between", 525, 550, "kV", True, True), "pt", "[525, 550] kV"),
    (iv("between", 525, 550, "kV", True, False), "en", "[525, 550) kV"),
    (iv("between", 0.95, 1.05, "pu", True, True), "pt", "[0,95; 1,05] pu"),
    (iv("between", 0.95, 1.05, "pu", True, True), "en", "[0.95, 1.05] pu"),
    (iv("lt", None, 59.5, "Hz"), "pt", "< 59,5 Hz"),
    (iv("le", None, 1800, "MW", hi=True), "pt", "≤ 1800 MW"),
    (iv("eq", 30, 30, "min", True, True), "pt", "= 30 min"),
    (iv("ne", 0, 0, None, True, True), "en", "≠ 0"),
    (iv("gt", 1.2, None, "GW"), "pt", "> 1,2 GW"),
    ({"kind": "other", "x": 1}, "pt", '{"kind": "other", "x": 1}'),
    (None, "pt", None),
])
def test_value_text(value, lang, text):
    assert value_text(value, lang) == text
