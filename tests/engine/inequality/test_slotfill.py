"""`_slotfill.SlotFiller`: a slots dataclass built by filling its slots is the instance its
class builds (fields, type, `__post_init__` checks, frozenness, reference counts), and the
grammar's candidates built that way equal `Match.to_candidate`."""
from __future__ import annotations

import dataclasses
import gc
import sys
from decimal import Decimal

import pytest

from entrec.engine.entity import Candidate
from entrec.engine.inequality import InequalityExtractor, compiled_status

from .test_fast_paths import _conformance, _generated

pytestmark = pytest.mark.skipif(not compiled_status().uses("_slotfill"),
                                reason=f"no current compiled build ({compiled_status().reason})")


@pytest.fixture(scope="module")
def slotfill():
    from entrec.engine.inequality import _slotfill

    return _slotfill


def _fields(c) -> tuple:
    return tuple(getattr(c, f.name) for f in dataclasses.fields(c))


def test_filled_candidates_equal_the_class_built_ones(slotfill):
    fill = slotfill.SlotFiller(Candidate)
    rows = [(0, 1, "X", "rule", None, 0, 1.0, None, None),
            (3, 9, "INEQUALITY", "grammar", "inequality.cmp", 7, 1.0, None, {"op": "le", "high": 5}),
            (10, 12, "SE", "model", "m", -4, 0.25, "ons:SE:1", {}),
            (2**40, 2**40 + 1, "", "rule", "", 10**6, float("nan"), "", {"k": [1]})]
    for row in rows:
        a, b = fill(*row), Candidate(*row)
        assert type(a) is Candidate
        assert _fields(a) == _fields(b) or row[6] != row[6]  # nan != nan: compared below
        assert [x is y for x, y in zip(_fields(a), row)] == [True] * len(row)
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.start = 0  # still frozen: the class's own __setattr__


@pytest.mark.parametrize("row", [(-1, 2, "X", "rule"), (5, 5, "X", "rule"), (6, 2, "X", "rule"),
                                 (0, 1, "X", "parser")])
def test_post_init_checks_run_and_raise_as_the_class_does(slotfill, row):
    fill = slotfill.SlotFiller(Candidate)
    full = (*row, None, 0, 1.0, None, None)
    with pytest.raises(ValueError) as want:
        Candidate(*full)
    with pytest.raises(ValueError) as got:
        fill(*full)
    assert str(got.value) == str(want.value)


def test_wrong_number_of_values_is_a_type_error(slotfill):
    fill = slotfill.SlotFiller(Candidate)
    with pytest.raises(TypeError, match="9 values expected, got 4"):
        fill(0, 1, "X", "rule")


def test_values_are_released_with_the_instance(slotfill):
    fill = slotfill.SlotFiller(Candidate)
    label, value = "L-" + str(id(object())), {"op": "lt"}
    before = sys.getrefcount(label), sys.getrefcount(value)
    made = [fill(0, 1, label, "rule", None, 0, 1.0, None, value) for _ in range(100)]
    assert (sys.getrefcount(label), sys.getrefcount(value)) == (before[0] + 100, before[1] + 100)
    ref = [Candidate(0, 1, "X", "rule")]  # held the same way: one list
    assert sys.getrefcount(made[0]) == sys.getrefcount(ref[0])
    del made
    gc.collect()
    assert (sys.getrefcount(label), sys.getrefcount(value)) == before


@dataclasses.dataclass
class _NoSlots:
    a: int


@dataclasses.dataclass(slots=True)
class _NotInit:
    a: int
    b: int = dataclasses.field(init=False, default=0)


@dataclasses.dataclass(slots=True)
class _OwnInit:
    a: int

    def __init__(self, a):  # noqa: D401 - not the generated one
        self.a = a * 2


@dataclasses.dataclass(slots=True)
class _WithInitVar:
    a: int
    scale: dataclasses.InitVar[int] = 1


@dataclasses.dataclass(slots=True)
class _Plain:
    a: int
    b: Decimal = Decimal(0)


@pytest.mark.parametrize("cls, why", [(int, "not a dataclass class"),
                                      (_NoSlots, "instances have a __dict__ (no slots)"),
                                      (_NotInit, "a field is not set by __init__"),
                                      (_OwnInit, "__init__ is not the dataclass-generated one"),
                                      (_WithInitVar, "__init__ is not the dataclass-generated one")])
def test_classes_it_cannot_build_exactly_are_refused(slotfill, cls, why):
    assert slotfill.fillable(cls) == why
    with pytest.raises(TypeError, match="cannot fill its slots"):
        slotfill.SlotFiller(cls)


def test_a_plain_slots_dataclass_without_post_init(slotfill):
    assert slotfill.fillable(_Plain) is None
    got = slotfill.SlotFiller(_Plain)(1, Decimal("2.5"))
    assert got == _Plain(1, Decimal("2.5")) and type(got) is _Plain


def test_extract_builds_what_to_candidate_builds():
    from entrec.engine.inequality import extractor

    assert extractor._fill_candidate is not None  # the compiled build fills the slots
    texts = _generated(400) + _conformance()
    found = 0
    for half_open in (False, True):
        ext = InequalityExtractor.load(half_open=half_open, priority=7)
        for text, lang in texts:
            want = [m.to_candidate(7) for m in ext.matches(text, lang)]
            got = ext.extract(text, lang)
            assert got == want, text
            assert all(type(c) is Candidate for c in got)
            found += len(got)
    assert found > 500


def test_slot_codes_equal_the_joined_look_ups(slotfill):
    from types import SimpleNamespace

    from entrec.engine.inequality.parser import _type_code_string_py
    from entrec.engine.inequality.scanner import Tok

    codes = {"NUMBER": "n", "CMP": "a", "UNIT": "b", "OTHER": "o"}
    read = slotfill.SlotCodes(Tok, "type")
    toks = [Tok(t, 0, 1) for t in ("CMP", "NUMBER", "UNIT", "OTHER", "AND", "NUMBER")]
    assert read(toks, codes, "x") == _type_code_string_py(toks, codes, "x") == "anboxn"
    assert read([], codes, "x") == ""
    # another class is read by attribute; codes that are not one ASCII character still join
    mixed = [*toks[:2], SimpleNamespace(type="UNIT"), Tok("OTHER", 0, 1)]
    assert read(mixed, codes, "x") == "anbo"
    odd = {**codes, "UNIT": "é", "OTHER": "oo"}
    assert read(toks, odd, "?") == _type_code_string_py(toks, odd, "?") == "anéoo?n"
    # values seen earlier in a call are reused by identity: equal strings that are other
    # objects, str subclasses, more distinct values than the cache holds, a code that
    # changes the path midway
    class Name(str):
        pass

    many = {f"T{k}": chr(ord("a") + k) for k in range(12)}
    for values, table in ((["NUMBER", "".join(["NUM", "BER"]), Name("NUMBER"), "CMP", "NUMBER"], codes),
                          ([f"T{k % 12}" for k in range(40)], many),
                          (["CMP", "UNIT", "CMP", "OTHER", "UNIT"], odd)):
        objs = [Tok(v, 0, 1) for v in values]
        assert read(objs, table, "x") == _type_code_string_py(objs, table, "x"), values
    with pytest.raises(TypeError, match="no slots to read"):
        slotfill.SlotCodes(_NoSlots, "a")


def test_slot_codes_remember_codes_only_while_the_table_is_unchanged(slotfill):
    # codes are remembered between calls (by the value's identity): a changed, another or a
    # replaced table, another default, and keys that are not plain strings all answer as the
    # look-up does; the remembered values are held while remembered and released with it
    from entrec.engine.inequality.parser import _type_code_string_py
    from entrec.engine.inequality.scanner import Tok

    read = slotfill.SlotCodes(Tok, "type")
    codes = {"NUMBER": "n", "CMP": "a"}
    toks = [Tok(t, 0, 1) for t in ("CMP", "NUMBER", "UNIT", "NUMBER")]

    def same(table, default="x"):
        got = read(toks, table, default)
        assert got == _type_code_string_py(toks, table, default), (table, default)
        return got

    assert same(codes) == same(codes) == "anxn"
    codes["UNIT"] = "b"  # changed in place: its version moves on
    assert same(codes) == "anbn"
    codes["NUMBER"] = "m"
    assert same(codes) == "ambm"
    assert same(dict(codes), "y") == "ambm" and same({"CMP": "c"}, "y") == "cyyy"
    assert same(codes, "?") == "ambm" and same({}, "?") == "????"

    class Switch(str):  # a key whose equality is its own (and changes): never remembered
        on = True

        def __eq__(self, other):
            return Switch.on and str.__eq__(self, other)

        __hash__ = str.__hash__

    switch = {Switch("NUMBER"): "n"}
    assert read(toks, switch, "x") == "xnxn"
    Switch.on = False  # the table is unchanged; its answer is not
    assert read(toks, switch, "x") == "xxxx"

    value = "".join(["TY", "PE-", str(id(object()))])  # a string no one else holds
    held = sys.getrefcount(value)
    mine = [Tok(value, 0, 1)]
    base = sys.getrefcount(value)
    assert read(mine, {value: "t"}, "x") == "t"
    table = {value: "t"}
    assert read(mine, table, "x") == "t" and sys.getrefcount(value) == base + 2  # table, memory
    del read
    gc.collect()
    assert sys.getrefcount(value) == base + 1  # the table's own
    del mine, table
    assert sys.getrefcount(value) == held
