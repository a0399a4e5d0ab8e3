"""Calibrated arbitration and selection on held-out folds: estimates, cross-fitting, and the
guarantee that a hybrid losing to its model on the folds is never shipped."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from entrec.engine.arbiters import Calibration, situation
from entrec.engine.entity import Candidate
from entrec.engine.resolver import ResolutionConfig, make_policy, resolve
from entrec.training.arbitration import exact_prf, fold_indices, select_arbitration
from entrec.training.importers import LabeledDocument, Span

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "engine" / "samples" / "labeled_pt.jsonl"
TEXT = "Em 12 de março de 2005 a Lei 8.666 de 1993 vale."
#        0123456789012345678901234567890123456789012345678


def M(s, e, lab="TEMPO"):
    return Candidate(s, e, lab, "model", score=0.9)


def R(s, e, lab="TEMPO", rid="r.data"):
    return Candidate(s, e, lab, "rule", rule_id=rid)


def test_situation_describes_how_sources_meet():
    m = M(3, 22)
    assert situation(m, [m]) == "alone"
    assert situation(R(3, 22), [m, R(3, 22)]) == "agree"
    assert situation(R(0, 22), [m, R(0, 22)]) == "wider"
    assert situation(R(18, 22), [m, R(18, 22)]) == "narrower"
    assert situation(R(3, 22, "LEGISLACAO"), [m, R(3, 22, "LEGISLACAO")]) == "other"


def _data(n: int, rule_boundary_wrong_in_conflict: bool = True, rule_alone_right: bool = True):
    """Per document: the model finds a date exactly; a rule finds the same date one token wider
    (another convention); the rule alone finds a law the model misses."""
    docs, cands = [], []
    date, law = (3, 22), (25, 42)
    for _ in range(n):
        gold = [Span(*date, "TEMPO")] + ([Span(*law, "LEGISLACAO")] if rule_alone_right else [])
        docs.append(LabeledDocument(TEXT, tuple(gold)))
        wide = (0, 22) if rule_boundary_wrong_in_conflict else date
        cands.append([M(*date), R(*wide), R(*law, "LEGISLACAO", "r.lei") if rule_alone_right
                      else R(25, 29, "LEGISLACAO", "r.lei")])
    return docs, cands


def test_calibration_makes_a_wrong_convention_rule_lose_but_still_add():
    docs, cands = _data(20)
    cal = Calibration.count(cands, [{(s.start, s.end, s.label) for s in d.spans} for d in docs])
    pol = make_policy("calibrated.v1", {"calibration": cal.to_dict(), "threshold": 0.0})
    res = resolve(TEXT, cands[0], ResolutionConfig(), policy=pol)
    assert [(c.start, c.end, c.source) for c in res.kept] == [(3, 22, "model"), (25, 42, "rule")]
    lost = res.discarded[0]
    assert lost.candidate.rule_id == "r.data" and lost.winner.source == "model"
    assert "estimated precision" in lost.reason
    # the default policy keeps the rule's wider span: the boundary the annotators did not use
    default = resolve(TEXT, cands[0], ResolutionConfig())
    assert (0, 22) in [(c.start, c.end) for c in default.kept]
    # estimates back off: an unseen rule in a seen situation gets its source's rate
    assert cal.estimate(R(0, 22, rid="r.new"), "wider") < 0.3 < cal.estimate(R(25, 42, "LEGISLACAO", "r.lei"), "alone")


def test_threshold_drops_with_a_reason_and_no_winner():
    docs, cands = _data(20, rule_alone_right=False)
    cal = Calibration.count(cands, [{(s.start, s.end, s.label) for s in d.spans} for d in docs])
    pol = make_policy("calibrated.v1", {"calibration": cal.to_dict(), "threshold": 0.4})
    res = resolve(TEXT, cands[0], ResolutionConfig(), policy=pol)
    dropped = [d for d in res.discarded if d.winner is None]
    assert [d.candidate.rule_id for d in dropped] == ["r.data", "r.lei"]
    assert "below the threshold 0.40" in dropped[1].reason
    assert dropped[1].to_dict(TEXT)["winner"] is None
    assert [c.source for c in res.kept] == ["model"]


def test_folds_are_disjoint_reproducible_and_cover_everything():
    f = fold_indices(10, 3, seed=1)
    assert f == fold_indices(10, 3, seed=1) and f != fold_indices(10, 3, seed=2)
    assert sorted(i for fold in f for i in fold) == list(range(10))
    assert [len(x) for x in f] == [4, 3, 3]


def _select(docs, cands, **kw):
    folds = fold_indices(len(docs), 3)
    return select_arbitration(docs, folds, {"resolver": cands, "presets": cands},
                              config=ResolutionConfig(), model_labels=["TEMPO", "LEGISLACAO"], **kw)


def test_selection_ships_a_hybrid_that_beats_the_model_on_held_out_folds():
    docs, cands = _data(30)
    sel = _select(docs, cands)
    assert not sel.fell_back
    assert sel.chosen.policy == "calibrated.v1" and sel.chosen.f1 == 1.0
    assert sel.model_only.f1 == pytest.approx(2 / 3)
    out = sel.to_file()
    assert out["format"] == "entrec-arbitration.v1" and out["params"]["calibration"]["counts"]
    assert "shipped" in sel.summary and "| model-only |" in sel.markdown()
    assert {c["name"] for c in sel.to_dict()["candidates"]} >= {
        "model-only", "resolver + priority-longest.v1", "resolver + calibrated.v1 (threshold 0.3)"}


def test_selection_refuses_a_hybrid_that_loses_to_the_model():
    # the rules are never exactly right: every hybrid is at best as good as the model
    docs, cands = _data(30, rule_alone_right=False)
    sel = _select(docs, cands, learned=True)
    assert sel.fell_back and (sel.chosen.placement, sel.chosen.policy) == ("resolver", "model-precedence.v1")
    assert sel.params == {"model_labels": ["LEGISLACAO", "TEMPO"]}
    assert "no hybrid beat model-only" in sel.summary and "model precedence" in sel.summary
    pack_default = next(c for c in sel.candidates if c.name == "resolver + priority-longest.v1")
    assert pack_default.f1 < sel.model_only.f1
    # what ships gives the model's result on the model's labels
    pol = make_policy(sel.chosen.policy, sel.params)
    kept = resolve(TEXT, cands[0], ResolutionConfig(), policy=pol).kept
    assert [(c.start, c.end, c.source) for c in kept] == [(3, 22, "model")]


def test_exact_prf_ignores_unscored_labels():
    gold = [{(0, 2, "A")}]
    preds = [[M(0, 2, "A"), M(3, 5, "INEQUALITY")]]
    assert exact_prf(gold, preds, {"A"}) == (1.0, 1.0, 1.0)


@pytest.mark.slow
def test_trained_hybrid_that_loses_on_folds_ships_model_precedence(tmp_path):
    """End to end: a rule pack whose spans never follow the annotation convention (it takes
    the preposition before every substation) cannot beat the model on held-out folds, so
    `entrec train` ships model precedence, and says so in report.md and metrics.json."""
    from entrec.cli.main import main
    from entrec.engine import Engine

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "wrong.yaml").write_text(textwrap.dedent("""\
        version: 1
        language: pt
        labels:
          SUBESTACAO: subestação
        rules:
        - id: pt.se.errada
          label: SUBESTACAO
          regex: 'da SE [A-Z][a-zé]+'
        """), encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:60]) + "\n", encoding="utf-8")
    out = tmp_path / "model"
    rc = main(["train", "--data", str(data), "--rules", str(rules), "--out", str(out), "--epochs", "3",
               "--fold-epochs", "2", "--quiet", "--json"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    sel = metrics["selection"]
    assert sel["fell_back_to_model_precedence"] is True
    assert sel["chosen"]["policy"] == "model-precedence.v1" and sel["folds"] == 3
    assert metrics["config"]["policy"] == "model-precedence.v1"
    assert all(c["f1"] <= sel["model_only"]["f1"] for c in sel["candidates"] if c["hybrid"])
    report = (out / "report.md").read_text()
    assert "held-out folds" in report and "no hybrid beat model-only" in report
    shipped = json.loads((out / "model" / "ner" / "arbitration.json").read_text())
    assert shipped["policy"] == "model-precedence.v1"
    eng = Engine.load(model=out / "model")
    assert eng.policy().name == "model-precedence.v1"
    text = "O operador da SE Quixadá deve abrir o disjuntor."
    assert all(e.rule_id != "pt.se.errada" for e in eng.extract(text))
