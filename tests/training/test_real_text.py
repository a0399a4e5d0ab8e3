"""Scoring on hand-annotated real text (training/real_text.py), the CLI entry points, and a
regression floor on the shared real-text development set."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.cli.main import main
from entrec.engine.errors import InputError
from entrec.training.real_text import (
    is_inequality_value_file, is_real_text_file, load_real_text, score_entities,
    score_inequalities, select_half)

REAL_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real-dev"

#: floors reached on real-dev (see README "Real text"); the issue's targets are 0.92 / 0.92 /
#: 0.93 / 0.80. A rule change that drops below them fails here.
FLOORS = {"overlap_f1": 0.95, "overlap_p": 0.97, "en_recall": 0.85, "value_f1": 0.93}


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _rec(text, spans, lang="pt", **kw):
    exp = []
    for s, label in spans:
        i = text.index(s)
        exp.append({"span": s, "start": i, "end": i + len(s), "label": label})
    return {"text": text, "lang": lang, "source": kw.pop("source", "http://x"), "expected": exp, **kw}


def test_overlap_and_exact_scores_one_to_one(tmp_path):
    f = _write(tmp_path / "e.jsonl", [_rec("A SE Xingu e a CHESF.", [("SE Xingu", "SUBESTACAO"), ("CHESF", "AGENTE")])])
    recs = load_real_text(f)
    text = recs[0].text
    pred = [{"start": text.index("Xingu"), "end": text.index("Xingu") + 5, "label": "SUBESTACAO"},
            {"start": text.index("SE"), "end": text.index("SE") + 8, "label": "SUBESTACAO"},
            {"start": 0, "end": 1, "label": "AGENTE"}]
    rep = score_entities(recs, [pred])
    se, ag = rep.per_label["SUBESTACAO"], rep.per_label["AGENTE"]
    assert (se.gold, se.pred, se.tp_overlap, se.tp_exact) == (1, 2, 1, 1)  # one gold, matched once
    assert (ag.gold, ag.pred, ag.tp_overlap) == (1, 1, 0)
    kinds = sorted(m["kind"] for m in rep.misses)
    assert kinds == ["missed", "spurious", "spurious"]
    assert rep.overall().overlap() == pytest.approx((1 / 3, 1 / 2, 0.4))


def test_inequality_values_ignore_open_side_inclusivity_and_check_units(tmp_path):
    f = _write(tmp_path / "i.jsonl", [{"text": "Tensão acima de 69 kV.", "lang": "pt", "source": "s",
                                      "expected": [{"span": "acima de 69 kV", "op": "gt", "low": 69, "high": None,
                                                    "low_inclusive": False, "high_inclusive": None, "unit": "kV"}]}])
    assert is_real_text_file(f) and is_inequality_value_file(f)
    recs = load_real_text(f)
    v = {"op": "gt", "low": 69, "high": None, "low_inclusive": False, "high_inclusive": False, "unit": "kV"}
    good = {"start": 7, "end": 21, "label": "INEQUALITY", "value": v}
    rep = score_inequalities(recs, [[good]])
    assert rep.value() == (1.0, 1.0, 1.0)
    rep = score_inequalities(recs, [[{**good, "value": {**v, "unit": None}}]])
    assert rep.value(True)[2] == 0.0 and rep.value(False)[2] == 1.0
    assert [m["kind"] for m in rep.misses] == ["unit"]


def test_bad_records_name_file_and_line(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": "abc", "expected": [{"span": "x", "start": 0, "end": 1, "label": "A"}]}\n',
                 encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_real_text(f)
    assert ei.value.code == "bad-input" and "bad.jsonl:1" in str(ei.value)
    f.write_text('{"text": "abc", "expected": []}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:2"):
        load_real_text(f)


def test_halves_split_by_page(tmp_path):
    recs = load_real_text(_write(tmp_path / "e.jsonl", [
        _rec(f"frase {i}", [], source=f"http://page/{i % 7}") for i in range(40)]))
    a, b = select_half(recs, "A"), select_half(recs, "B")
    assert len(a) + len(b) == 40 and a and b
    assert not {r.source for r in a} & {r.source for r in b}


def test_cli_evaluate_and_conformance_on_real_text(tmp_path, capsys):
    ents = _write(tmp_path / "e.jsonl", [
        _rec("Conforme a Resolução Normativa nº 414/2010, a SE Xingu informa o ONS.",
             [("Resolução Normativa nº 414/2010", "DOCUMENTO"), ("SE Xingu", "SUBESTACAO"), ("ONS", "AGENTE")]),
        _rec("NERC revised PRC-006-1.", [("NERC", "AGENTE"), ("PRC-006-1", "DOCUMENTO")], lang="en")])
    assert main(["evaluate", "--data", str(ents)]) == 0
    out = capsys.readouterr().out
    assert "embedded default" in out and "ALL lang=en" in out
    row = next(line for line in out.splitlines() if line.startswith("ALL "))
    assert row.split()[1:3] == ["5", "5"] and "1.000" in row
    ineq = _write(tmp_path / "i.jsonl", [
        {"text": "Prazo de até 30 dias, a partir de 1º de julho.", "lang": "pt", "source": "s",
         "expected": [{"span": "até 30 dias", "op": "le", "low": None, "high": 30, "low_inclusive": None,
                       "high_inclusive": True, "unit": "d"}]}])
    assert main(["conformance", str(ineq), "--min-f1", "0.99"]) == 0
    assert "F1 1.000" in capsys.readouterr().out


# ------------------------------------------------------------------ regression floor
@pytest.fixture(scope="module")
def real_dev():
    if not (REAL_DEV / "entities.jsonl").is_file():
        pytest.skip(f"shared real-text development set not found at {REAL_DEV} (needs ../shared)")
    from entrec.engine import Engine

    return Engine.load()


def test_real_dev_entity_floor(real_dev):
    from entrec.training.real_text import evaluate_entities

    rep = evaluate_entities(real_dev, load_real_text(REAL_DEV / "entities.jsonl"))
    p, r, f1 = rep.overall().overlap()
    assert f1 >= FLOORS["overlap_f1"] and p >= FLOORS["overlap_p"], rep.format(10)
    assert rep.per_lang["en"].overlap()[1] >= FLOORS["en_recall"], rep.format(10)


def test_real_dev_inequality_value_floor(real_dev):
    from entrec.training.real_text import evaluate_inequalities

    rep = evaluate_inequalities(real_dev, load_real_text(REAL_DEV / "inequalities.jsonl"))
    assert rep.value(True)[2] >= FLOORS["value_f1"], rep.format(10)
