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
    ("Tensões de 230 kV e acima.", "pt", ("230 kV e acima", "ge", Decimal(230), None, "kV")),
    ("Cargas de 10 MW e abaixo.", "pt", ("10 MW e abaixo", "le", None, Decimal(10), "MW")),
    ("Outages of 30 minutes or longer.", "en", ("30 minutes or longer", "ge", Decimal(30), None, "min")),
    ("Pulses of 2 seconds or shorter.", "en", ("2 seconds or shorter", "le", None, Decimal(2), "s")),
    ("Frequency must remain within 59.95 Hz and 60.05 Hz.", "en",
     ("within 59.95 Hz and 60.05 Hz", "between", Decimal("59.95"), Decimal("60.05"), "Hz")),
])
def test_more_comparator_phrasings(ext, text, lang, expected):
    assert _found(ext, text, lang) == [expected]


def _sides(ext, text, lang="pt"):
    """(span, op, low, low_inclusive, high, high_inclusive, unit) of each match."""
    out = []
    for m in ext.matches(text, lang):
        v = m.value
        out.append((text[m.start:m.end], v["op"], v["low"], v["low_inclusive"], v["high"],
                    v["high_inclusive"], v["unit"]))
    return out


@pytest.mark.parametrize("text,lang,expected", [
    ("Manter 0,95 pu ≤ V ≤ 1,05 pu na barra.", "pt",
     ("0,95 pu ≤ V ≤ 1,05 pu", "between", 0.95, True, 1.05, True, "pu")),
    ("Faixa 500 kV < V < 550 kV.", "pt", ("500 kV < V < 550 kV", "between", 500, False, 550, False, "kV")),
    ("Se 2.000 MW < FNS <= 3.500 MW, reduzir.", "pt",
     ("2.000 MW < FNS <= 3.500 MW", "between", 2000, False, 3500, True, "MW")),
    ("Com 550 kV > V >= 500 kV", "pt", ("550 kV > V >= 500 kV", "between", 500, True, 550, False, "kV")),
    # one unit after the chain applies to both sides, as after a range
    ("0,95 ≤ Vbarra ≤ 1,05 pu", "pt", ("0,95 ≤ Vbarra ≤ 1,05 pu", "between", 0.95, True, 1.05, True, "pu")),
    ("Keep 59.9 Hz <= f <= 60.1 Hz.", "en", ("59.9 Hz <= f <= 60.1 Hz", "between", 59.9, True, 60.1, True, "Hz")),
])
def test_a_chained_comparison_is_one_range(ext, text, lang, expected):
    got = _sides(ext, text, lang)
    assert got == [expected]
    assert [m.rule_id for m in ext.matches(text, lang)] == ["inequality.chain"]


@pytest.mark.parametrize("text,expected", [
    # directions that disagree, or an empty interval: the right-hand comparison as read
    ("5 < x > 3", [("> 3", "gt")]),
    ("20 < x < 10", [("< 10", "lt")]),
    # no variable between the comparisons, or a phrase instead of a symbol
    ("x>10 and y<20", [(">10", "gt"), ("<20", "lt")]),
    ("10 menor que x < 20", [("< 20", "lt")]),
])
def test_what_is_not_a_chain(ext, text, expected):
    assert [g[:2] for g in _found(ext, text, "en" if " and " in text else "pt")] == expected


@pytest.mark.parametrize("text,lang,expected", [
    ("Tensões acima de 230 kV, inclusive.", "pt",
     ("acima de 230 kV, inclusive", "ge", 230, True, None, False, "kV")),
    ("Cargas até 100 MW (exclusive) são atendidas.", "pt",
     ("até 100 MW (exclusive)", "lt", None, False, 100, False, "MW")),
    ("Valores entre 10 e 20 MW, exclusive", "pt",
     ("entre 10 e 20 MW, exclusive", "between", 10, False, 20, False, "MW")),
    ("Tensões de 1 a 10 kV inclusive; demais a seguir.", "pt",
     ("de 1 a 10 kV inclusive", "between", 1, True, 10, True, "kV")),
    ("Abaixo de 59,5 Hz inclusive", "pt", ("Abaixo de 59,5 Hz inclusive", "le", None, False, 59.5, True, "Hz")),
    ("Loads above 230 kV, inclusive, are listed.", "en",
     ("above 230 kV, inclusive", "ge", 230, True, None, False, "kV")),
])
def test_a_trailing_inclusive_or_exclusive_closes_or_opens_the_bound(ext, text, lang, expected):
    assert _sides(ext, text, lang) == [expected]


@pytest.mark.parametrize("text,expected", [
    ("níveis de tensão entre 69 kV (inclusive) e 230 kV (exclusive)",
     ("entre 69 kV (inclusive) e 230 kV (exclusive)", "between", 69, True, 230, False, "kV")),
    ("de 69 kV, inclusive, a 230 kV, exclusive.",
     ("de 69 kV, inclusive, a 230 kV, exclusive", "between", 69, True, 230, False, "kV")),
    ("entre 69 kV (exclusive) e 230 kV", ("entre 69 kV (exclusive) e 230 kV", "between", 69, False, 230, True, "kV")),
    ("entre 69 (inclusive) e 230 kV", ("entre 69 (inclusive) e 230 kV", "between", 69, True, 230, True, "kV")),
])
def test_a_mark_on_a_range_s_first_end_is_read_off_it(ext, text, expected):
    assert _sides(ext, text) == [expected]


def test_a_range_with_a_unit_after_a_numbering_noun_is_a_quantity(ext):
    assert [g[:2] for g in _found(ext, "a tensão das barras entre 10 e 20 kV")] == [
        ("entre 10 e 20 kV", "between")]
    # without a unit the numbers stay identifiers
    assert _found(ext, "as barras 10 e 20 e os itens 4.2 a 4.9") == []
    assert _found(ext, "artigos 5º a 10º") == []


def test_a_trailing_word_that_closes_a_range_in_half_open_mode():
    half = InequalityExtractor.load(half_open=True)
    assert _sides(half, "entre 10 e 20 MW, inclusive")[0][1:6] == ("between", 10, True, 20, True)
    assert _sides(half, "entre 10 e 20 MW")[0][1:6] == ("between", 10, True, 20, False)


@pytest.mark.parametrize("text,expected", [
    # "inclusive" before more words of the clause means "even": the bound stays as read
    ("Manter abaixo de 550 kV, inclusive durante manobras.", ("abaixo de 550 kV", "lt")),
    ("Acima de 100 MW inclusive nas barras de 500 kV.", ("Acima de 100 MW", "gt")),
    # no one-sided or range bound to close
    ("Fator igual a 5, inclusive.", ("igual a 5", "eq")),
])
def test_an_inclusive_that_does_not_end_the_clause_changes_nothing(ext, text, expected):
    assert [g[:2] for g in _found(ext, text)][:1] == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("entre 4 e 5 mil MW", "pt", ("entre 4 e 5 mil MW", "between", 4000, True, 5000, True, "MW")),
    ("de 1,5 a 2 mil MW", "pt", ("de 1,5 a 2 mil MW", "between", 1500, True, 2000, True, "MW")),
    ("entre quatro e cinco mil megawatts", "pt",
     ("entre quatro e cinco mil megawatts", "between", 4000, True, 5000, True, "MW")),
    ("between 2 and 3 million", "en", ("between 2 and 3 million", "between", 2000000, True, 3000000, True, None)),
    ("between 4 and 5k MW", "en", ("between 4 and 5k MW", "between", 4000, True, 5000, True, "MW")),
    # the first end is larger than the second's mantissa: as written
    ("entre 500 e 5 mil MW", "pt", ("entre 500 e 5 mil MW", "between", 500, True, 5000, True, "MW")),
    ("entre 10 e 500 MW", "pt", ("entre 10 e 500 MW", "between", 10, True, 500, True, "MW")),
])
def test_a_scale_word_on_the_second_end_of_a_range_scales_the_first(ext, text, lang, expected):
    assert _sides(ext, text, lang) == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    # "4 mil e 5" is 4005 only when no scale as large follows the 5
    ("entre 4 mil e 5 mil MW", "pt", ("entre 4 mil e 5 mil MW", "between", 4000, 5000)),
    ("between 4 thousand and 5 thousand MW", "en",
     ("between 4 thousand and 5 thousand MW", "between", 4000, 5000)),
    ("acima de 2 mil e 500 MW", "pt", ("acima de 2 mil e 500 MW", "gt", 2500, None)),
    ("acima de 2 milhões e 500 mil", "pt", ("acima de 2 milhões e 500 mil", "gt", 2500000, None)),
    ("acima de 2 milhões e 500", "pt", ("acima de 2 milhões e 500", "gt", 2000500, None)),
])
def test_digits_with_scales_joined_by_e(ext, text, lang, expected):
    assert [(g[0], g[1], g[2], g[4]) for g in _sides(ext, text, lang)] == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("A vazão afluente for inferior a 30 m³/s.", "pt", ("inferior a 30 m³/s", "m³/s")),
    ("vazão defluente mínima de 1.300 m3/s", "pt", ("mínima de 1.300 m3/s", "m³/s")),
    ("acima de 5 metros cúbicos por segundo", "pt", ("acima de 5 metros cúbicos por segundo", "m³/s")),
    ("volume útil acima de 500 hm³", "pt", ("acima de 500 hm³", "hm³")),
    ("cota do reservatório inferior a 250,00 m", "pt", ("inferior a 250,00 m", "m")),
    ("outflow above 1,000 m3/s", "en", ("above 1,000 m3/s", "m³/s")),
    ("at least 500 cubic meters", "en", ("at least 500 cubic meters", "m³")),
])
def test_flow_volume_and_level_units(ext, text, lang, expected):
    assert [(g[0], g[6]) for g in _sides(ext, text, lang)] == [expected]


@pytest.mark.parametrize("text,lang,expected", [
    ("por mais de 1 hora e 30 minutos", "pt", ("mais de 1 hora e 30 minutos", "gt", 1.5, None, "h")),
    ("no máximo 2 minutos e 30 segundos", "pt", ("no máximo 2 minutos e 30 segundos", "le", None, 2.5, "min")),
    ("mais de 1 hora e 20 minutos", "pt", ("mais de 1 hora e 20 minutos", "gt", 1 + 1 / 3, None, "h")),
    ("more than 1 hour and 30 minutes", "en", ("more than 1 hour and 30 minutes", "gt", 1.5, None, "h")),
])
def test_a_duration_in_two_units_is_one_quantity(ext, text, lang, expected):
    assert [(g[0], g[1], g[2], g[4], g[6]) for g in _sides(ext, text, lang)] == [expected]


@pytest.mark.parametrize("text,expected", [
    ("La tensión debe mantenerse entre 500 kV y 550 kV.", ("entre 500 kV y 550 kV", "between", 500, 550, "kV")),
    ("La frecuencia no debe ser inferior a 59,5 Hz.", ("no debe ser inferior a 59,5 Hz", "ge", 59.5, None, "Hz")),
    ("El flujo no puede superar los 1.200 MW.", ("no puede superar los 1.200 MW", "le", None, 1200, "MW")),
    ("Entre diez y veinte megavatios.", ("Entre diez y veinte megavatios", "between", 10, 20, "MW")),
    ("Más de dos mil quinientos MW.", ("Más de dos mil quinientos MW", "gt", 2500, None, "MW")),
    ("Temperaturas de 40 °C o más.", ("40 °C o más", "ge", 40, None, "°C")),
    ("Al menos 3 horas y 30 minutos.", ("Al menos 3 horas y 30 minutos", "ge", 3.5, None, "h")),
])
def test_the_spanish_lexicon(ext, text, expected):
    assert [(g[0], g[1], g[2], g[4], g[6]) for g in _sides(ext, text, "es")] == [expected]


def test_spanish_dates_and_article_numbers_are_not_conditions(ext):
    assert ext.matches("El 15 de marzo de 2024 a las 10 horas.", "es") == []
    assert ext.matches("Los artículos 5 a 10 de la ley.", "es") == []


def test_a_postfix_with_e_still_yields_to_a_comparator_before_a_number(ext):
    # "e acima" is a postfix only when no number follows "acima de"
    got = _found(ext, "maior que 10 e acima de 20")
    assert [g[:2] for g in got] == [("maior que 10", "gt"), ("acima de 20", "gt")]
    assert [g[:2] for g in _found(ext, "mais de 10 e abaixo de 20 MW")] == [
        ("mais de 10 e abaixo de 20 MW", "between")]


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
