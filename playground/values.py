"""Entity values written for people: an INEQUALITY value (DESIGN §3) as "≥ 120 MW" or
"[525, 550] kV", numbers with the text's decimal separator ("[0,95; 1,05] pu" in Portuguese)."""
from __future__ import annotations

import json
from typing import Any

__all__ = ["value_text"]

_OPS = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤", "eq": "=", "ne": "≠"}


def _num(x: Any, lang: str) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    s = f"{x:.10g}" if isinstance(x, float) else str(x)
    if "e" in s:
        s = f"{x:f}".rstrip("0").rstrip(".")
    return s.replace(".", ",") if lang == "pt" else s


def value_text(value: dict | None, lang: str = "pt") -> str | None:
    """A short human rendering of an entity value; None when there is no value."""
    if not value:
        return None
    op = value.get("op")
    if op in _OPS or op == "between":
        unit = value.get("unit")
        tail = f" {unit}" if unit else ""
        low, high = value.get("low"), value.get("high")
        if op == "between":
            left = "[" if value.get("low_inclusive") else "("
            right = "]" if value.get("high_inclusive") else ")"
            lo = _num(low, lang) if low is not None else "−∞"
            hi = _num(high, lang) if high is not None else "∞"
            sep = "; " if "," in lo + hi else ", "  # Brazilian style when decimals use commas
            return f"{left}{lo}{sep}{hi}{right}{tail}"
        bound = high if op in ("lt", "le") else low
        if bound is None:
            bound = low if bound is high else high
        return f"{_OPS[op]} {_num(bound, lang)}{tail}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
