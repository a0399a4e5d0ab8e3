"""`interval`'s constructors build real `Bound` named tuples (made without running the named
tuple's Python `__new__`: the same class, fields and behaviour)."""
from __future__ import annotations

from decimal import Decimal

from entrec.engine.inequality.interval import Bound, from_op, make_range, merge


def test_constructed_bounds_are_the_named_tuples_the_class_builds():
    made = [from_op("gt", Decimal(5), "kV", False, 0, 9, "prefix", 6),
            from_op("le", Decimal("2.5"), None, True, 3, 12, "postfix", 12),
            from_op("eq", Decimal(7), "%", False, 1, 4, "eq", 3),
            make_range(Decimal(20), Decimal(10), "MW", half_open=True, negated=False, start=0,
                       end=15, production="between", core_end=12)]
    for b in made:
        assert type(b) is Bound
        assert b == Bound(*b) and b._asdict() == Bound(*b)._asdict()
    assert made[0].one_sided == "lower" and made[1].one_sided == "upper"
    assert (made[3].low, made[3].high, made[3].high_inclusive) == (Decimal(10), Decimal(20), False)
    joined = merge(from_op("ge", Decimal(1), None, False, 0, 5, "prefix", 5),
                   from_op("lt", Decimal(3), None, False, 8, 14, "prefix", 14))
    assert type(joined) is Bound and joined.value()["op"] == "between"
    assert (joined.low, joined.high, joined.start, joined.end) == (Decimal(1), Decimal(3), 0, 14)
    assert joined._replace(unit="V").unit == "V"


def test_value_writes_numbers_as_to_json_number_does():
    """`Bound.value` inlines `numbers.to_json_number`: integral values are ints (4000, not
    4000.0), the rest floats, whatever the Decimal's exponent or sign."""
    from entrec.engine.inequality.numbers import to_json_number

    values = ["4000", "4.000E+3", "4E+3", "525.000", "0.95", "-0", "-0.0", "-12.50", "1E-7",
              "123456789012345678901234567890", "1.5E+30", "0.1", "59.9", "3"]
    for a in values:
        for b in values:
            lo, hi = Decimal(a), Decimal(b)
            for bound in (from_op("gt", lo, None, False, 0, 3, "prefix", 3),
                          from_op("le", hi, "kV", True, 0, 3, "prefix", 3),
                          make_range(lo, hi, "MW", half_open=False, negated=False, start=0, end=9,
                                     production="between", core_end=9)):
                v = bound.value()
                for side, d in (("low", bound.low), ("high", bound.high)):
                    want = None if d is None else to_json_number(d)
                    assert v[side] == want and type(v[side]) is type(want), (a, b, side)
                assert list(v) == ["op", "low", "high", "low_inclusive", "high_inclusive", "unit",
                                   "negated"]
                assert (v["op"], v["unit"], v["negated"]) == (bound.op, bound.unit, bound.negated)
