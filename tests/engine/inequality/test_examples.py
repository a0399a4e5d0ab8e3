"""Every example of the issue's "what users write" list parses to the right interval, and
none of the "not inequalities" produce one."""
from __future__ import annotations

import pytest

N = None
# text, lang, expected span, (op, low, high, low_inclusive, high_inclusive, unit, negated)
CASES = [
    ("superior a 4.000 MW", "pt", "superior a 4.000 MW", ("gt", 4000, N, False, False, "MW", False)),
    ("acima dos 540 kV", "pt", "acima dos 540 kV", ("gt", 540, N, False, False, "kV", False)),
    ("mais de 30 minutos", "pt", "mais de 30 minutos", ("gt", 30, N, False, False, "min", False)),
    ("no mínimo 5%", "pt", "no mínimo 5%", ("ge", 5, N, True, False, "%", False)),
    ("pelo menos duas unidades", "pt", "pelo menos duas", ("ge", 2, N, True, False, N, False)),
    ("até 15 minutos", "pt", "até 15 minutos", ("le", N, 15, False, True, "min", False)),
    ("a partir de 300 MW", "pt", "a partir de 300 MW", ("ge", 300, N, True, False, "MW", False)),
    ("não deve ultrapassar 95 graus Celsius", "pt", "não deve ultrapassar 95 graus Celsius",
     ("le", N, 95, False, True, "°C", True)),
    ("igual ou inferior a 200 MW", "pt", "igual ou inferior a 200 MW", ("le", N, 200, False, True, "MW", False)),
    ("entre 525 kV e 550 kV", "pt", "entre 525 kV e 550 kV", ("between", 525, 550, True, True, "kV", False)),
    ("entre 525 e 550 kV", "pt", "entre 525 e 550 kV", ("between", 525, 550, True, True, "kV", False)),
    ("na faixa de 8.000 a 9.500 MW", "pt", "na faixa de 8.000 a 9.500 MW",
     ("between", 8000, 9500, True, True, "MW", False)),
    ("de 500 a 525 kV", "pt", "de 500 a 525 kV", ("between", 500, 525, True, True, "kV", False)),
    ("maior que 10 e menor ou igual a 20", "pt", "maior que 10 e menor ou igual a 20",
     ("between", 10, 20, False, True, N, False)),
    ("500 MW ou mais", "pt", "500 MW ou mais", ("ge", 500, N, True, False, "MW", False)),
    ("V ≥ 500 kV", "pt", "≥ 500 kV", ("ge", 500, N, True, False, "kV", False)),
    ("P<=750MW", "pt", "<=750MW", ("le", N, 750, False, True, "MW", False)),
    ("potência maior que 1,2 GW", "pt", "maior que 1,2 GW", ("gt", 1.2, N, False, False, "GW", False)),
    ("acima de 10 mil MWh", "pt", "acima de 10 mil MWh", ("gt", 10000, N, False, False, "MWh", False)),
    ("menos de três", "pt", "menos de três", ("lt", N, 3, False, False, N, False)),
    ("10 kV a 20 kV", "pt", "10 kV a 20 kV", ("between", 10, 20, True, True, "kV", False)),
    ("maior que 10 e menor que 20", "pt", "maior que 10 e menor que 20", ("between", 10, 20, False, False, N, False)),
    ("inferior a 1,2 milhão de MWh", "pt", "inferior a 1,2 milhão", ("lt", N, 1200000, False, False, N, False)),
    ("acima de 59,5 Hz", "pt", "acima de 59,5 Hz", ("gt", 59.5, N, False, False, "Hz", False)),
    ("abaixo de 1.000,5 MW", "pt", "abaixo de 1.000,5 MW", ("lt", N, 1000.5, False, False, "MW", False)),
    ("no máximo dez minutos", "pt", "no máximo dez minutos", ("le", N, 10, False, True, "min", False)),
    ("superior a mil e quinhentos MW", "pt", "superior a mil e quinhentos MW",
     ("gt", 1500, N, False, False, "MW", False)),
    ("entre -10 e 15 °C", "pt", "entre -10 e 15 °C", ("between", -10, 15, True, True, "°C", False)),
    ("não superior a 800", "pt", "não superior a 800", ("le", N, 800, False, True, N, True)),
    ("greater than 4,000 MW", "en", "greater than 4,000 MW", ("gt", 4000, N, False, False, "MW", False)),
    ("at least 5%", "en", "at least 5%", ("ge", 5, N, True, False, "%", False)),
    ("no more than 15 minutes", "en", "no more than 15 minutes", ("le", N, 15, False, True, "min", True)),
    ("not less than 800 MW", "en", "not less than 800 MW", ("ge", 800, N, True, False, "MW", True)),
    ("between 10 and 20 kV", "en", "between 10 and 20 kV", ("between", 10, 20, True, True, "kV", False)),
    ("from 1.2 GW to 1.8 GW", "en", "from 1.2 GW to 1.8 GW", ("between", 1.2, 1.8, True, True, "GW", False)),
    ("up to 20 MW", "en", "up to 20 MW", ("le", N, 20, False, True, "MW", False)),
    ("exceeding 5 %", "en", "exceeding 5 %", ("gt", 5, N, False, False, "%", False)),
    (">= 60.1 Hz", "en", ">= 60.1 Hz", ("ge", 60.1, N, True, False, "Hz", False)),
    ("more than ten", "en", "more than ten", ("gt", 10, N, False, False, N, False)),
    ("less than 1.2 million", "en", "less than 1.2 million", ("lt", N, 1200000, False, False, N, False)),
    ("must not exceed 95 °C", "en", "not exceed 95 °C", ("le", N, 95, False, True, "°C", True)),
]

NEGATIVES = [
    ("LT 500 kV Tucuruí", "pt"),
    ("três transformadores de 500 kV", "pt"),
    ("12/03/2024", "pt"),
    ("em 12/03/2024 às 10h15", "pt"),
    ("1995-01", "pt"),
    ("10h15", "pt"),
    ("IO-ON.NE.2NE", "pt"),
    ("conforme a IO-ON.NE.2NE item 5", "pt"),
    ("10 reais e 50", "pt"),
    ("disjuntor 52-12 aberto", "pt"),
    ("the 500 kV line", "en"),
    ("on 2024-03-12 at 10:15", "en"),
]


def _value(t):
    op, low, high, li, hi, unit, neg = t
    return {"op": op, "low": low, "high": high, "low_inclusive": li, "high_inclusive": hi,
            "unit": unit, "negated": neg}


@pytest.mark.parametrize("text,lang,span,value", CASES, ids=[c[0] for c in CASES])
def test_example(ext, text, lang, span, value):
    cands = ext.extract(text, lang)
    assert len(cands) == 1, [(text[c.start:c.end], c.value) for c in cands]
    c = cands[0]
    assert text[c.start:c.end] == span
    assert c.value == _value(value)
    assert c.label == "INEQUALITY" and c.source == "grammar" and c.rule_id.startswith("inequality.")
    assert c.priority == ext.priority == 20 and c.score == 1.0


def test_year_is_not_a_bound(ext):
    text = "mais de 3000 em 2009"
    cands = ext.extract(text, "pt")
    assert [(text[c.start:c.end], c.value["low"]) for c in cands] == [("mais de 3000", 3000)]


@pytest.mark.parametrize("text,lang", NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_not_an_inequality(ext, text, lang):
    assert ext.extract(text, lang) == []


def test_contradictory_pair_stays_separate(ext):
    text = "More than 40 and less than 10"
    vals = [(text[c.start:c.end], c.value["op"]) for c in ext.extract(text, "en")]
    assert vals == [("More than 40", "gt"), ("less than 10", "lt")]


def test_or_list_stays_separate(ext):
    text = "menores ou iguais a 30 ou maiores que 50"
    ops = [c.value["op"] for c in ext.extract(text, "pt")]
    assert ops == ["le", "gt"]


def test_half_open_between(ext_half):
    c, = ext_half.extract("entre 525 e 550 kV", "pt")
    assert (c.value["low_inclusive"], c.value["high_inclusive"]) == (True, False)
    c, = ext_half.extract("maior ou igual a 10 e menor ou igual a 20", "pt")
    assert (c.value["low_inclusive"], c.value["high_inclusive"]) == (True, True)


def test_rule_ids_name_productions(ext):
    got = {c.rule_id for t, l in [("entre 1 e 2", "pt"), ("500 MW ou mais", "pt"), ("1-5 kV", "en"),
                                  ("de 1 a 2", "pt"), ("> 5", "pt"), ("maior que 1 e menor que 3", "pt")]
           for c in ext.extract(t, l)}
    assert got == {"inequality.between", "inequality.postfix", "inequality.dash_range",
                   "inequality.from_to", "inequality.prefix", "inequality.compound"}


def test_offsets_in_longer_text(ext):
    text = "Manter a tensão da SE Xingu entre 525 kV e 550 kV; a carga não deve ultrapassar 4.000 MW."
    spans = [text[c.start:c.end] for c in ext.extract(text, "pt")]
    assert spans == ["entre 525 kV e 550 kV", "não deve ultrapassar 4.000 MW"]


def test_unknown_language_tries_every_lexicon(ext):
    assert [c.value["op"] for c in ext.extract("at least 5 MW", "xx")] == ["ge"]
    assert [c.value["op"] for c in ext.extract("no mínimo 5 MW", "xx")] == ["ge"]
