"""Score the extractor against the shared conformance suites (JSON Lines, one record per
text with its expected intervals; schema in ../shared/conformance/README.md).

Matching criteria (documented in docs/inequalities.md):
- **strict**: same span (start and end offsets) and same bounds (low/high within 1e-9
  relative), and the same inclusivity on every side the suite states (Duckling states none).
- **relaxed**: spans overlap, same bounds and inclusivity.
Each expected interval is matched at most once (greedy, in text order); P = TP/predicted,
R = TP/expected, F1 = harmonic mean.

Two suite conventions are normalised before comparing spans, because they describe other
systems' span policies, not different inequalities:
- suites with no units at all (Recognizers-Text's NumberRange model) end spans at the last
  number ("menos de 174" in "menos de 174 gramas"): our trailing unit is not counted;
- Duckling Quantity spans include the product ("6 lbs of meat", "6 libras de carne"): the
  " of <product>" / " de <product>" tail of the expected span is not counted.
Duckling values are in Duckling's base units ("0.002 kg" -> 2 gram): our value is converted
with the table below before comparing, when the suite gives a unit.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .extractor import InequalityExtractor, Match

__all__ = ["FileScore", "score_file", "load_records", "DUCKLING_UNITS"]

#: our canonical unit -> (Duckling unit id, factor)
DUCKLING_UNITS: dict[str, tuple[str, float]] = {
    "$": ("$", 1), "€": ("EUR", 1), "£": ("GBP", 1), "km": ("kilometre", 1), "m": ("metre", 1),
    "mi": ("mile", 1), "in": ("inch", 1), "mm": ("millimetre", 1), "cm": ("centimetre", 1),
    "g": ("gram", 1), "kg": ("gram", 1000), "lb": ("pound", 1), "oz": ("ounce", 1),
    "cup": ("cup", 1), "°": ("degree", 1), "°C": ("celsius", 1), "°F": ("fahrenheit", 1),
    "L": ("litre", 1), "mL": ("millilitre", 1), "hL": ("hectolitre", 1), "gal": ("gallon", 1),
}


@dataclass
class Miss:
    id: str
    text: str
    kind: str  # "missed" (expected, not found) | "spurious" (found, not expected)
    span: str
    detail: str


@dataclass
class FileScore:
    file: str
    records: int
    skipped: int
    expected: int
    predicted: int
    tp: int
    tp_relaxed: int
    unit_checked: int = 0
    unit_agree: int = 0
    misses: list[Miss] = field(default_factory=list)

    @staticmethod
    def _prf(tp: int, pred: int, exp: int) -> tuple[float, float, float]:
        p = tp / pred if pred else (1.0 if not exp else 0.0)
        r = tp / exp if exp else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def strict(self) -> tuple[float, float, float]:
        return self._prf(self.tp, self.predicted, self.expected)

    @property
    def relaxed(self) -> tuple[float, float, float]:
        return self._prf(self.tp_relaxed, self.predicted, self.expected)

    def to_dict(self) -> dict[str, Any]:
        p, r, f = self.strict
        rp, rr, rf = self.relaxed
        d = asdict(self)
        d.update(precision=p, recall=r, f1=f, relaxed_precision=rp, relaxed_recall=rr,
                 relaxed_f1=rf)
        return d


def load_records(path: str | Path) -> tuple[list[dict], int]:
    """Records of one JSONL file, and how many lines were unusable (counted, not hidden)."""
    recs, bad = [], 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if not isinstance(r, dict) or not isinstance(r.get("text"), str) or not isinstance(
                    r.get("expected"), list):
                bad += 1
                continue
            recs.append(r)
    return recs, bad


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _expected_span(e: dict) -> tuple[int, int]:
    start, end = e["start"], e["end"]
    prod = e.get("product")
    if prod:
        span = e["span"].lower()
        for joiner in (" of ", " de "):  # "6 lbs of meat", "6 libras de carne"
            k = span.rfind(joiner)
            if k > 0 and prod.lower() in span[k:]:
                end = start + k
                break
    return start, end


def _values(m: Match, e: dict) -> tuple[float | None, float | None]:
    low, high = m.value["low"], m.value["high"]
    if e.get("unit") and m.value.get("unit") in DUCKLING_UNITS:
        _, factor = DUCKLING_UNITS[m.value["unit"]]
        low = None if low is None else low * factor
        high = None if high is None else high * factor
    return low, high


def _agrees(m: Match, e: dict) -> bool:
    low, high = _values(m, e)
    if not (_close(low, e.get("low")) and _close(high, e.get("high"))):
        return False
    for side in ("low_inclusive", "high_inclusive"):
        if e.get(side) is not None and m.value[side] != e[side]:
            return False
    return True


def _fmt(m: Match) -> str:
    v = m.value
    lo = "(" if not v["low_inclusive"] else "["
    hi = ")" if not v["high_inclusive"] else "]"
    low = "" if v["low"] is None else v["low"]
    high = "" if v["high"] is None else v["high"]
    unit = f" {v['unit']}" if v["unit"] else ""
    return f"{v['op']} {lo}{low}, {high}{hi}{unit}"


def _fmt_e(e: dict) -> str:
    lo = "[" if e.get("low_inclusive") else ("?" if e.get("low_inclusive") is None else "(")
    hi = "]" if e.get("high_inclusive") else ("?" if e.get("high_inclusive") is None else ")")
    low = "" if e.get("low") is None else e["low"]
    high = "" if e.get("high") is None else e["high"]
    unit = f" {e['unit']}" if e.get("unit") else ""
    return f"{lo}{low}, {high}{hi}{unit}"


def score_records(ext: InequalityExtractor, records: Iterable[dict], file: str,
                  skipped: int = 0) -> FileScore:
    records = list(records)
    unitless = all(e.get("unit") is None for r in records for e in r["expected"])
    sc = FileScore(file=file, records=len(records), skipped=skipped, expected=0, predicted=0,
                   tp=0, tp_relaxed=0)
    for r in records:
        text = r["text"]
        exp = [e for e in r["expected"] if isinstance(e, dict) and "start" in e]
        found = ext.matches(text, r.get("lang") or "pt")
        sc.expected += len(exp)
        sc.predicted += len(found)
        spans = [(m.start, m.core_end if unitless else m.end) for m in found]
        used_s: set[int] = set()
        used_r: set[int] = set()
        for e in exp:
            es, ee = _expected_span(e)
            hit = None
            for k, m in enumerate(found):
                if k not in used_s and spans[k] == (es, ee) and _agrees(m, e):
                    hit = k
                    break
            if hit is not None:
                used_s.add(hit)
                sc.tp += 1
                if e.get("unit") is not None:
                    sc.unit_checked += 1
                    mu = found[hit].value.get("unit")
                    if mu in DUCKLING_UNITS and DUCKLING_UNITS[mu][0] == e["unit"]:
                        sc.unit_agree += 1
            else:
                got = "; ".join(f"{text[m.start:m.end]!r} {_fmt(m)}" for m in found) or "nothing"
                sc.misses.append(Miss(str(r.get("id", "")), text, "missed", e.get("span", ""),
                                      f"expected {_fmt_e(e)}; got {got}"))
            for k, m in enumerate(found):
                if k not in used_r and spans[k][0] < ee and es < spans[k][1] and _agrees(m, e):
                    used_r.add(k)
                    sc.tp_relaxed += 1
                    break
        for k, m in enumerate(found):
            if k not in used_s:
                sc.misses.append(Miss(str(r.get("id", "")), text, "spurious",
                                      text[m.start:m.end], _fmt(m)))
    return sc


def score_file(ext: InequalityExtractor, path: str | Path) -> FileScore:
    recs, bad = load_records(path)
    return score_records(ext, recs, Path(path).name, skipped=bad)
