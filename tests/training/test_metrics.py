"""Scoring: exact and partial P/R/F1, confusion, error kinds, worst misses, renderings."""
import json

import pytest

from entrec.engine.entity import Candidate, Entity
from entrec.engine.errors import InputError
from entrec.training.importers import LabeledDocument, Span
from entrec.training.metrics import MISSED, SPURIOUS, compare_reports, score_documents

T = "A SE Xingu e a UHE Belo Monte e a CHESF e o ONS."


def span(sub, label, text=T):
    i = text.index(sub)
    return Span(i, i + len(sub), label)


GOLD = [LabeledDocument(T, (span("SE Xingu", "SUBESTACAO"), span("UHE Belo Monte", "USINA"),
                            span("CHESF", "AGENTE"), span("ONS", "AGENTE")), id="d1")]


def test_perfect_prediction():
    rep = score_documents(GOLD, [list(GOLD[0].spans)])
    assert rep.overall.precision == rep.overall.recall == rep.overall.f1 == 1.0
    assert rep.errors == [] and rep.macro_f1 == 1.0


def test_exact_partial_and_error_kinds():
    s = span("SE Xingu", "USINA")  # same offsets, wrong label
    pred = [Entity(s.start, s.end, "USINA", "SE Xingu", "rule"),
            Candidate(span("Belo Monte", "USINA").start, span("Belo Monte", "USINA").end,
                      "USINA", "model"),  # boundary
            (span("CHESF", "AGENTE").start, span("CHESF", "AGENTE").end, "AGENTE"),  # correct
            {"start": 0, "end": 1, "label": "AGENTE"}]  # spurious; ONS missed
    rep = score_documents(GOLD, [pred])
    o = rep.overall
    assert (o.support, o.predicted, o.tp) == (4, 4, 1)
    assert o.precision == pytest.approx(0.25) and o.recall == pytest.approx(0.25)
    # partial: predictions overlapping same-label gold: Belo Monte, CHESF -> 2/4;
    # gold overlapped by same-label prediction: UHE Belo Monte, CHESF -> 2/4
    assert o.partial_precision == pytest.approx(0.5) and o.partial_recall == pytest.approx(0.5)
    assert rep.labels["USINA"].partial_recall == 1.0 and rep.labels["USINA"].recall == 0.0
    kinds = {(e.kind, e.text) for e in rep.errors}
    assert kinds == {("wrong-label", "SE Xingu"), ("boundary", "UHE Belo Monte"),
                     ("missed", "ONS"), ("spurious", "A"), ("spurious", "Belo Monte")}
    assert rep.confusion["SUBESTACAO"] == {"USINA": 1}
    assert rep.confusion["AGENTE"] == {"AGENTE": 1, MISSED: 1}
    assert rep.confusion[SPURIOUS] == {"AGENTE": 1, "USINA": 1}
    worst = rep.worst_misses()
    assert {(w["text"], w["kind"]) for w in worst} == {
        ("SE Xingu", "wrong-label"), ("UHE Belo Monte", "boundary"), ("ONS", "missed")}
    assert next(w for w in worst if w["kind"] == "boundary")["predicted"] == 'USINA "Belo Monte"'


def test_worst_misses_are_grouped_and_sorted():
    t = "O ONS chamou."
    gold = [LabeledDocument(t, (span("ONS", "AGENTE", t),), id=str(i)) for i in range(3)]
    gold.append(LabeledDocument("A CHESF.", (Span(2, 7, "AGENTE"),), id="x"))
    rep = score_documents(gold, [[], [], [], []])
    assert rep.worst_misses()[0] == {"text": "ONS", "label": "AGENTE", "kind": "missed",
                                     "count": 3, "example": "0", "predicted": None}


def test_labels_filter_and_length_mismatch():
    rep = score_documents(GOLD, [[span("CHESF", "AGENTE"), Span(0, 1, "OTHER")]],
                          labels={"AGENTE"})
    assert set(rep.labels) == {"AGENTE"}
    assert rep.overall.predicted == 1 and rep.overall.support == 2
    with pytest.raises(InputError) as e:
        score_documents(GOLD, [])
    assert e.value.code == "length-mismatch"


def test_renderings_and_comparison():
    rep = score_documents(GOLD, [[span("CHESF", "AGENTE")]], name="rules-only")
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["overall"]["tp"] == 1 and d["labels"]["AGENTE"]["recall"] == 0.5
    assert d["error_counts"] == {"missed": 3}
    text = rep.format()
    assert "overall (micro)" in text and "Worst misses" in text and "rules-only" in text
    md = rep.to_markdown()
    assert md.startswith("# Evaluation: rules-only") and "| AGENTE | 2 | 1 | 1 |" in md
    other = score_documents(GOLD, [list(GOLD[0].spans)], name="hybrid")
    table = compare_reports({"rules-only": rep, "hybrid": other})
    assert "1.000/1.000/1.000" in table and "rules-only P/R/F1" in table
    assert compare_reports({"a": rep}, markdown=True).startswith("| label |")


def test_empty_inputs_do_not_divide_by_zero():
    rep = score_documents([LabeledDocument("nada", ())], [[]])
    assert rep.overall.f1 == 0.0 and rep.macro_f1 == 0.0 and "0 gold" in rep.format()
