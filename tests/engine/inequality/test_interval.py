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
