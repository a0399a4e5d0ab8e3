"""`_streq.h`: the string equality setup.py forces into every compiled grammar module
(`-include`) in place of Cython's own helper. It must answer exactly what Python's `==`
answers, for strings of every storage kind, equal strings that are distinct objects, str
subclasses and non-strings."""
from __future__ import annotations

import random

import pytest

from entrec.engine.inequality import compiled_status

pytestmark = pytest.mark.skipif(not compiled_status().uses("_slotfill"),
                                reason=f"no current compiled build ({compiled_status().reason})")


@pytest.fixture(scope="module")
def slotfill():
    from entrec.engine.inequality import _slotfill

    return _slotfill


class Shouty(str):
    """A str subclass with its own equality (rich comparison must reach it)."""

    def __eq__(self, other):
        return str.__eq__(self.upper(), str(other).upper())

    __hash__ = str.__hash__


def _strings(rnd: random.Random, n: int) -> list[str]:
    alphabets = ["ab", "abcNUMBER", "éçãõ", "≤≥–—", "𝔸𝔹", "a\x00b", "aé≤𝔸"]
    out = ["", "a", "NUMBER", "OTHER", "UNIT", "COMMA", "NUMBE", "NUMBERS", "número", "numero"]
    for _ in range(n):
        alpha = rnd.choice(alphabets)
        out.append("".join(rnd.choice(alpha) for _ in range(rnd.randint(0, 6))))
    return out


def test_every_compiled_module_gets_the_forced_header(slotfill):
    assert slotfill.forced_streq() is True


def test_compiled_equality_is_pythons(slotfill):
    rnd = random.Random(7)
    strings = _strings(rnd, 400)
    checked = equal = 0
    for _ in range(40_000):
        a, b = rnd.choice(strings), rnd.choice(strings)
        if rnd.random() < 0.3:
            b = "".join(list(a))  # equal content, (usually) another object
        if rnd.random() < 0.1:
            b = a[:-1] + chr(ord(a[-1]) + 1) if a else "x"  # differs in the last unit only
        want = a == b
        assert slotfill.str_compare(a, b) == (want, not want) * 2, (a, b)
        assert slotfill.str_compare_typed(a, b) == (want, not want) * 2, (a, b)
        checked += 1
        equal += want
    assert equal > 10_000 and checked - equal > 10_000  # both answers exercised


def test_subclasses_and_non_strings_compare_as_python_does(slotfill):
    loud = Shouty("number")
    # the subclass's own __eq__ decides (and str's __ne__, which it does not override)
    assert slotfill.str_compare(loud, "NUMBER")[::2] == (True, True)
    assert slotfill.str_compare(Shouty("abc"), "ABD") == (False, True, False, True)
    for other in (1, 1.0, None, b"NUMBER", ("NUMBER",)):
        assert slotfill.str_compare(other, "NUMBER") == (False, True, False, True)
    got = slotfill.str_compare("NUMBER", "NUMBER")
    assert got == (True, False, True, False) and all(type(v) is bool for v in got)
