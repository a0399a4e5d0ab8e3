"""The inequality value (DESIGN §3) and how bounds combine.

A `Bound` is one parsed condition with its span. Grammar productions build bounds; `merge`
joins a lower-only and an upper-only bound written together ("maior que 10 e menor que 20"
-> (10, 20)) when the result is a non-empty interval with a consistent unit; contradictory
pairs ("more than 40 and less than 10") and "ou"/"or" lists stay separate.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple


__all__ = ["Bound", "from_op", "negate_op", "union_ops", "merge", "merge_list", "make_range"]

_NEGATE = {"gt": "le", "ge": "lt", "lt": "ge", "le": "gt", "eq": "ne", "ne": "eq"}
# op -> set of relations it admits: "<", "=", ">"
_RELS = {"gt": frozenset(">"), "ge": frozenset(">="), "lt": frozenset("<"),
         "le": frozenset("<="), "eq": frozenset("="), "ne": frozenset("<>")}
_FROM_RELS = {v: k for k, v in _RELS.items()}


class Bound(NamedTuple):
    """Immutable; a named tuple because the parser makes one per candidate (a frozen
    dataclass costs several times as much to build)."""

    op: str
    low: Decimal | None
    high: Decimal | None
    low_inclusive: bool
    high_inclusive: bool
    unit: str | None
    negated: bool
    start: int
    end: int
    production: str
    #: end of the span without a trailing unit (for scoring suites that have no units)
    core_end: int

    @property
    def one_sided(self) -> str | None:
        """'lower' (only a low bound), 'upper' (only a high bound) or None."""
        if self.op in ("gt", "ge"):
            return "lower"
        if self.op in ("lt", "le"):
            return "upper"
        return None

    def value(self) -> dict[str, Any]:
        # `to_json_number` written out (this runs once per candidate; in a compiled build a
        # call to another module's function costs as much as the test itself)
        op, low, high, low_inclusive, high_inclusive, unit, negated = self[:7]
        if low is not None:
            low = int(low) if low == low.to_integral_value() else float(low)
        if high is not None:
            high = int(high) if high == high.to_integral_value() else float(high)
        return {"op": op, "low": low, "high": high, "low_inclusive": low_inclusive,
                "high_inclusive": high_inclusive, "unit": unit, "negated": negated}


#: `Bound(*fields)` as the named tuple's own `__new__` builds it (tuple.__new__ of the class
#: and the fields' tuple), without running that `__new__`, a Python function, per bound
_new_bound = tuple.__new__


def negate_op(op: str) -> str:
    return _NEGATE[op]


def union_ops(a: str, b: str) -> str | None:
    """'maior que X ou igual' = gt ∪ eq = ge; None when the union is not one comparator."""
    return _FROM_RELS.get(_RELS[a] | _RELS[b])


def from_op(op: str, v: Decimal, unit: str | None, negated: bool, start: int, end: int,
            production: str, core_end: int) -> Bound:
    if op in ("gt", "ge"):
        return _new_bound(Bound, (op, v, None, op == "ge", False, unit, negated, start, end, production,
                                  core_end))
    if op in ("lt", "le"):
        return _new_bound(Bound, (op, None, v, False, op == "le", unit, negated, start, end, production,
                                  core_end))
    incl = op == "eq"
    return _new_bound(Bound, (op, v, v, incl, incl, unit, negated, start, end, production, core_end))


def make_range(a: Decimal, b: Decimal, unit: str | None, *, half_open: bool, negated: bool,
               start: int, end: int, production: str, core_end: int) -> Bound:
    lo, hi = (a, b) if a <= b else (b, a)
    return _new_bound(Bound, ("between", lo, hi, True, not half_open, unit, negated, start, end,
                              production, core_end))


def merge(a: Bound, b: Bound) -> Bound | None:
    """Join a lower-only and an upper-only bound into one interval, or None."""
    sides = {a.one_sided, b.one_sided}
    if sides != {"lower", "upper"}:
        return None
    lower, upper = (a, b) if a.one_sided == "lower" else (b, a)
    if a.unit and b.unit:
        # each side states its own quantity ("> 2,3 kV e < 69 kV", "acima de 1 kV e abaixo
        # de 35 kV"): two conditions as written; one range is "entre 1 e 35 kV"
        return None
    lo, hi = lower.low, upper.high
    if lo > hi or (lo == hi and not (lower.low_inclusive and upper.high_inclusive)):
        return None
    first, last = (a, b) if a.start <= b.start else (b, a)
    return _new_bound(Bound, ("between", lo, hi, lower.low_inclusive, upper.high_inclusive,
                              a.unit or b.unit, a.negated or b.negated, first.start, last.end,
                              "compound", last.core_end))


def merge_list(bounds: list[Bound]) -> list[Bound]:
    """Merge adjacent compatible pairs left to right; everything else stays separate."""
    out: list[Bound] = []
    pending: Bound | None = None
    for b in bounds:
        if pending is None:
            pending = b
            continue
        m = merge(pending, b)
        if m is not None:
            out.append(m)
            pending = None
        else:
            out.append(pending)
            pending = b
    if pending is not None:
        out.append(pending)
    return out


def with_unit(b: Bound, unit: str | None) -> Bound:
    return b._replace(unit=unit)
