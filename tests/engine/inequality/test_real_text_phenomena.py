"""Real-text phenomena of the inequality grammar (refine.py + lexicon context sections):
dates, clock times, identifier ranges and changes are not conditions; post-posed and
comma-separated comparators, spelled-out duplicates and glued units are read."""
from __future__ import annotations

from decimal import Decimal

import pytest

from entrec.engine import Engine
from entrec.engine.inequality import InequalityExtractor


@pytest.fixture(scope="module")
def ext() -> InequalityExtractor:
    return InequalityExtractor.load()


def _found(ext, text, lang="pt"):
    return [(text[m.start:m.end], m.value["op"],
             None if m.value["low"] is None else Decimal(str(m.value["low"])),
             None if m.value["high"] is None else Decimal(str(m.value["high"])), m.value["unit"])
            for m in ext.matches(text, lang)]


@pytest.mark.parametrize("text,lang", [
    ("Os dados devem ser enviados até 15 de março de 2024.", "pt"),
    ("A regra vale a partir de 1º de julho.", "pt"),
    ("Vigência de 2019 a 30 de abril de 2021.", "pt"),
    ("Conforme os itens 4.2 a 4.9 do submódulo.", "pt"),
    ("As etapas de 120 a 130 foram canceladas; os lotes de 10 a 13 também.", "pt"),
    ("O atendimento funciona das 8 às 17 horas.", "pt"),
    ("A carga, passando de 300 MW para 450 MW, foi atendida.", "pt"),
    ("O ciclo 2018-2019 foi seco.", "pt"),
    ("Consultar a especificação CNC-XY- 20 - 0976.", "pt"),
    ("Comments are due no earlier than January 1, 2016.", "en"),
    ("The outage lasted between 1200 hrs and 1355 hrs.", "en"),
    ("See sections 3 to 5 of the standard.", "en"),
])
def test_not_conditions(ext, text, lang):
    assert _found(ext, text, lang) == []


@pytest.mark.parametrize("text,expected", [
    ("Aguardar trinta segundos, no mínimo, antes de religar.",
     ("trinta segundos, no mínimo", "ge", Decimal(30), None, "s")),
    ("Religar em no máximo, 2 minutos.", ("em no máximo, 2 minutos", "le", None, Decimal(2), "min")),
    ("Prazo no limite de 80 (oitenta) HORAS EQUIVALENTES por ano.",
     ("no limite de 80 (oitenta) HORAS EQUIVALENTES", "le", None, Decimal(80), "h")),
    ("Concluir em até 10 (dez) dias.", ("em até 10 (dez) dias", "le", None, Decimal(10), "d")),
    ("A corrente acima de 80A dispara a proteção.", ("acima de 80A", "gt", Decimal(80), None, "A")),
    ("Desvio inferior a 50 mHz.", ("inferior a 50 mHz", "lt", None, Decimal(50), "mHz")),
    ("Tensão superior a 1,045 pu.", ("superior a 1,045 pu", "gt", Decimal("1.045"), None, "pu")),
    ("A obra leva no máximo 18 meses.", ("no máximo 18 meses", "le", None, Decimal(18), "mês")),
    ("Perdas de menos de 5 por cento.", ("menos de 5 por cento", "lt", None, Decimal(5), "%")),
    ("Frequência no mínimo de 59,5 Hz.", ("no mínimo de 59,5 Hz", "ge", Decimal("59.5"), None, "Hz")),
])
def test_real_text_conditions(ext, text, expected):
    assert _found(ext, text) == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("Limite: 2.000 MW (dois mil megawatts) ou menos.", "pt",
     ("2.000 MW (dois mil megawatts) ou menos", "le", None, Decimal(2000), "MW")),
    ("Carga de 2.000 MW (dois mil MW) no máximo.", "pt",
     ("2.000 MW (dois mil MW) no máximo", "le", None, Decimal(2000), "MW")),
    ("Prazo de 30 dias (trinta dias) ou mais.", "pt",
     ("30 dias (trinta dias) ou mais", "ge", Decimal(30), None, "d")),
    ("Geração de 2.000 MW (dois mil) ou menos.", "pt",
     ("2.000 MW (dois mil) ou menos", "le", None, Decimal(2000), "MW")),
    ("Tensão de 500 kV (quinhentos quilovolts), no mínimo.", "pt",
     ("500 kV (quinhentos quilovolts), no mínimo", "ge", Decimal(500), None, "kV")),
    ("Manter entre 10 MW (dez megawatts) e 20 MW (vinte megawatts).", "pt",
     ("entre 10 MW (dez megawatts) e 20 MW", "between", Decimal(10), Decimal(20), "MW")),
    ("Keep 5 MW (five megawatts) or more in reserve.", "en",
     ("5 MW (five megawatts) or more", "ge", Decimal(5), None, "MW")),
])
def test_a_value_restated_with_its_unit_is_read_through(ext, text, lang, expected):
    assert _found(ext, text, lang) == [expected]


@pytest.mark.parametrize("text", [
    "Tensão de 5 kV (5 V) ou mais.",          # another unit inside: no duplicate
    "Carga de 2.000 MW (3.000 MW) ou menos.",  # another value inside
    "Prazo de 30 (trinta dias) ou mais.",      # a unit only inside stays inside
])
def test_a_parenthesis_that_is_no_duplicate_stays(ext, text):
    assert _found(ext, text) == []


@pytest.mark.parametrize("text,expected", [
    ("Reduzir 10% ou mais da carga.", [("10% ou mais", "ge", Decimal(10), None, "%")]),
    ("Perdas de 5% ou menos da energia.", [("5% ou menos", "le", None, Decimal(5), "%")]),
    ("Despachar 20 MW ou mais de geração.", [("20 MW ou mais", "ge", Decimal(20), None, "MW")]),
    # a comparator with its number after the postfix's last word still wins
    ("Valor de 10 ou mais de 20 MW.", [("mais de 20 MW", "gt", Decimal(20), None, "MW")]),
])
def test_a_postfix_before_a_noun_phrase_stays_a_postfix(ext, text, expected):
    assert _found(ext, text) == expected


@pytest.mark.parametrize("text,lang,expected", [
    ("Geração superior ao valor de 4.000 MW.", "pt", ("superior ao valor de 4.000 MW", "gt", Decimal(4000), None, "MW")),
    ("Fluxo inferior ao limite de 1.200 MW.", "pt", ("inferior ao limite de 1.200 MW", "lt", None, Decimal(1200), "MW")),
    ("O fluxo não deve ultrapassar o limite de 1.200 MW.", "pt",
     ("não deve ultrapassar o limite de 1.200 MW", "le", None, Decimal(1200), "MW")),
    ("Tensão abaixo do patamar de 0,95 pu.", "pt", ("abaixo do patamar de 0,95 pu", "lt", None, Decimal("0.95"), "pu")),
    ("Carga igual ou superior ao montante de 300 MW.", "pt",
     ("igual ou superior ao montante de 300 MW", "ge", Decimal(300), None, "MW")),
    ("Keep the flow below the limit of 1,200 MW.", "en", ("below the limit of 1,200 MW", "lt", None, Decimal(1200), "MW")),
    ("Loads that exceed the threshold of 5% trip.", "en", ("that exceed the threshold of 5%", "gt", Decimal(5), None, "%")),
])
def test_a_comparator_may_name_the_quantity_before_its_number(ext, text, lang, expected):
    assert _found(ext, text, lang) == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("Manter a geração de reativos entre -100 Mvar e +100 Mvar.", "pt",
     ("entre -100 Mvar e +100 Mvar", "between", Decimal(-100), Decimal(100), "Mvar")),
    ("Reactive output from −30 to +30 MVAr.", "en", ("from −30 to +30 MVAr", "between", Decimal(-30), Decimal(30), "Mvar")),
    ("Tensão acima de +5%.", "pt", ("acima de +5%", "gt", Decimal(5), None, "%")),
])
def test_an_explicit_plus_sign_is_part_of_the_number(ext, text, lang, expected):
    assert _found(ext, text, lang) == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("Tensão acima ou igual a 525 kV.", "pt", ("acima ou igual a 525 kV", "ge", Decimal(525), None, "kV")),
    ("Fluxo abaixo ou igual a 4.000 MW.", "pt", ("abaixo ou igual a 4.000 MW", "le", None, Decimal(4000), "MW")),
    ("Intercâmbio limitado em 3.000 MW.", "pt", ("limitado em 3.000 MW", "le", None, Decimal(3000), "MW")),
    ("Geração restrita a 200 MW.", "pt", ("restrita a 200 MW", "le", None, Decimal(200), "MW")),
    ("Temperatura máxima 95 °C.", "pt", ("máxima 95 °C", "le", None, Decimal(95), "°C")),
    ("Tempo mínimo 10 minutos.", "pt", ("mínimo 10 minutos", "ge", Decimal(10), None, "min")),
    ("Carga máx. 1.200 MW.", "pt", ("máx. 1.200 MW", "le", None, Decimal(1200), "MW")),
    ("Keep the voltage at or above 0.95 pu.", "en", ("at or above 0.95 pu", "ge", Decimal("0.95"), None, "pu")),
    ("Keep the flow at or below 1,200 MW.", "en", ("at or below 1,200 MW", "le", None, Decimal(1200), "MW")),
    ("Loads up to and including 10 MW.", "en", ("up to and including 10 MW", "le", None, Decimal(10), "MW")),
])
def test_more_comparator_phrasings(ext, text, lang, expected):
    assert _found(ext, text, lang) == [expected]


def test_each_side_with_its_unit_is_two_conditions(ext):
    got = _found(ext, "Média tensão: > 2,3 kV e < 69 kV.")
    assert [g[:2] for g in got] == [("> 2,3 kV", "gt"), ("< 69 kV", "lt")]
    # without units on both sides the compound still reads as one range (Recognizers-Text)
    got = _found(ext, "Este número é maior que vinte e menor ou igual a trinta e cinco.")
    assert [g[1] for g in got] == ["between"]


def test_engine_span_conventions():
    eng = Engine.load(components=("grammar",))
    ents = eng.extract("O prazo varia de 24 a 43 meses; fator K igual a 1.", "pt")
    assert [(e.text, e.value["op"], e.value["unit"]) for e in ents] == [
        ("varia de 24 a 43 meses", "between", "mês")]
    # the extractor alone keeps "igual a" and ends the range span at "de" (conformance suites)
    ext = InequalityExtractor.load()
    assert [m.value["op"] for m in ext.matches("fator K igual a 1", "pt")] == ["eq"]
