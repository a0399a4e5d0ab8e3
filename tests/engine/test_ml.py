"""The spaCy model as a candidate source: offsets, scores, batching, loading errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.engine.entity import Candidate
from entrec.engine.errors import ArtifactError
from entrec.engine.ml import ModelSource, apply_presets, apply_rule_features
from entrec.engine.sources import CandidateSource, find_many
from entrec.engine.tokenizer import make_nlp

SAMPLE = Path(__file__).resolve().parents[2] / "engine" / "samples" / "labeled_pt.jsonl"


class _Doc:
    def __init__(self, rec):
        from types import SimpleNamespace

        self.text = rec["text"]
        self.spans = tuple(SimpleNamespace(**s) for s in rec["spans"])


@pytest.fixture(scope="module")
def ner_dir(tmp_path_factory) -> Path:
    from entrec.training.config import load_config
    from entrec.training.train import save_ner, train_ner

    recs = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    docs = [_Doc(r) for r in recs]
    cfg = load_config(overrides={"training.max_epochs": 6, "training.patience": 6})
    res = train_ner(docs[:60], docs[60:75], config=cfg)
    return save_ner(res, tmp_path_factory.mktemp("ml") / "ner")


@pytest.fixture(scope="module")
def source(ner_dir) -> ModelSource:
    return ModelSource.from_dir(ner_dir)


TEXTS = [
    "O COSR-NE autorizou a CHESF a energizar o autotransformador AT-03 da SE Milagres.",
    "A UHE Belo Monte reduziu a geração por solicitação do CNOS.",
    "",
    "   ",
    "nada de interessante aqui",
]


def test_is_a_candidate_source(source):
    assert isinstance(source, CandidateSource)
    assert source.source == "model" and source.name == "model:ner"
    assert set(source.labels) >= {"SUBESTACAO", "AGENTE"}


def test_candidates_are_model_candidates_with_valid_offsets_and_scores(source):
    nlp = make_nlp("pt")
    found = 0
    for text in TEXTS:
        for c in source.find(nlp.make_doc(text)):
            found += 1
            assert isinstance(c, Candidate)
            assert c.source == "model" and c.rule_id is None and c.priority == 0
            assert 0 < c.end <= len(text) and c.start < c.end
            assert text[c.start:c.end].strip() == text[c.start:c.end]
            assert 0.0 <= c.score <= 1.0
            assert c.label in source.labels
    assert found >= 2  # the model learned something from 60 sentences


def test_find_many_equals_find(source):
    nlp = make_nlp("pt")
    docs = [nlp.make_doc(t) for t in TEXTS]
    assert find_many(source, docs) == [source.find(d) for d in docs]


def test_priority_and_label_filter(ner_dir):
    src = ModelSource.from_dir(ner_dir, priority=7, labels=["AGENTE"])
    nlp = make_nlp("pt")
    cands = [c for t in TEXTS for c in src.find(nlp.make_doc(t))]
    assert cands and all(c.priority == 7 and c.label == "AGENTE" for c in cands)


def test_scores_are_the_calibrated_per_label_dev_precision(source):
    lp = source.nlp.meta["entrec"]["label_precision"]
    assert set(lp) >= {"SUBESTACAO", "AGENTE"} and all(0 < v < 1 for v in lp.values())
    nlp = make_nlp("pt")
    cands = [c for t in TEXTS for c in source.find(nlp.make_doc(t))]
    assert cands and all(c.score == round(lp[c.label], 4) for c in cands)


def test_entities_never_cross_a_line_break(source):
    nlp = make_nlp("pt")
    text = "A SE Milagres\nSE Quixadá desligou.\n\nCHESF\nCNOS"
    for c in source.find(nlp.make_doc(text)):
        assert "\n" not in text[c.start:c.end]


def test_saved_model_keeps_entrec_tokenizer(source):
    toks = [t.text for t in source.nlp.make_doc("carga de 500MW e P≤275MW")]
    assert toks[:4] == ["carga", "de", "500", "MW"]
    assert "≤" in toks


def test_from_dir_errors(tmp_path):
    with pytest.raises(ArtifactError) as e:
        ModelSource.from_dir(tmp_path / "nope")
    assert e.value.code == "model-missing"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.cfg").write_text("[nlp]\nlang = \"pt\"\npipeline = [\"ner\"]\n")
    (bad / "meta.json").write_text("{}")
    with pytest.raises(ArtifactError) as e:
        ModelSource.from_dir(bad)
    assert e.value.code == "model-load-failed"


def test_find_never_raises_and_counts_failures(source, monkeypatch):
    def boom(_texts):
        raise RuntimeError("simulated")

    monkeypatch.setattr(source, "predict_spans", boom)
    before = source.failures
    assert source.find(make_nlp("pt").make_doc("SE Xingu")) == []
    assert source.failures == before + 1


def test_rule_features_and_presets_mark_tokens():
    nlp = make_nlp("pt")
    doc = nlp.make_doc("A Lei 8.666/93 vale")
    apply_rule_features(doc, [(2, 14, "LEGISLACAO")])
    assert [t.tag_ for t in doc] == ["O", "B-LEGISLACAO", "I-LEGISLACAO", "O"]
    doc2 = nlp.make_doc("A Lei 8.666/93 vale")
    spans = apply_presets(doc2, [(2, 14, "LEGISLACAO")])
    assert [(s.text, s.label_) for s in doc2.ents] == [("Lei 8.666/93", "LEGISLACAO")] == \
        [(s.text, s.label_) for s in spans]
    # tokens outside the presets stay unconstrained (missing), not "O"
    assert doc2[0].ent_iob_ == "" and doc2[3].ent_iob_ == ""


def test_presets_placement_keeps_rule_spans_out_of_model_output(ner_dir):
    text = "A CHESF desligou o disjuntor 52-14 da SE Milagres."
    s = text.index("SE Milagres")
    src = ModelSource.from_dir(ner_dir, placement="presets")
    cands = src.find(make_nlp("pt").make_doc(text), rule_spans=[(s, s + 11, "SUBESTACAO")])
    assert all((c.start, c.end) != (s, s + 11) for c in cands)
    assert all(not (c.start < s + 11 and s < c.end) for c in cands)  # NER respected the preset
