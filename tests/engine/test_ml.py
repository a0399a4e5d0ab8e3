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


# ------------------------------------------------------------------ one engine, its own arbiter
def _artifact(tmp_path: Path, ner_dir: Path, name: str, arbitration: dict | None) -> Path:
    """An artifact of the tiny model (embedded packs) shipping `arbitration` (or none)."""
    import shutil

    from entrec.training.package import package_model

    ner = tmp_path / f"ner-{name}"
    shutil.copytree(ner_dir, ner)
    if arbitration is not None:
        (ner / "arbitration.json").write_text(json.dumps(
            {"format": "entrec-arbitration.v1", **arbitration}), encoding="utf-8")
    package_model(tmp_path / name, ner_dir=ner, name=name, version="1")
    return tmp_path / name / "model"


def _trust(rule: int, model: int) -> dict:
    """calibrated.v1 parameters: rules exactly right `rule`/1000 times, the model `model`/1000."""
    from entrec.engine.arbiters import SITUATIONS

    counts = {"all": [500, 1000]}
    for src, hits in (("rule", rule), ("grammar", 1000), ("model", model)):
        for sit in SITUATIONS:
            counts[f"{src}|{sit}"] = [hits, 1000]
    return {"calibration": {"counts": counts, "strength": 5.0}, "threshold": 0.5}


MIXED = ["A CHESF informou o desligamento do autotransformador AT-03 da SE Milagres.",
         "O COSR-NE deve coordenar a energização da LT 500 kV Colinas / Miracema C2 a partir da SE Colinas.",
         "Conforme a IO-ON.NE.2NE, o operador da SE Quixadá deve abrir o disjuntor 52-14."]


def _sources(eng, texts=MIXED):
    return [sorted({e.source for e in ents}) for ents in eng.pipe(texts)]


def test_two_engines_with_different_arbiters_in_one_process(tmp_path, ner_dir):
    from entrec.engine import Engine

    trust_model = Engine.load(model=_artifact(tmp_path, ner_dir, "a", {
        "placement": "resolver", "policy": "calibrated.v1", "params": _trust(rule=0, model=1000)}))
    trust_rules = Engine.load(model=_artifact(tmp_path, ner_dir, "b", {
        "placement": "resolver", "policy": "calibrated.v1", "params": _trust(rule=1000, model=0)}))
    plain = Engine.load(model=_artifact(tmp_path, ner_dir, "c", None))
    assert trust_model.policy() is not trust_rules.policy()
    first = {k: [e.to_dict() for ents in eng.pipe(MIXED) for e in ents]
             for k, eng in (("m", trust_model), ("r", trust_rules), ("p", plain))}
    assert all(s == ["model"] for s in _sources(trust_model))
    assert all(s == ["rule"] for s in _sources(trust_rules))
    assert first["m"] != first["r"]
    # interleaved again: nothing one engine did changed another
    for _ in range(2):
        for k, eng in (("r", trust_rules), ("p", plain), ("m", trust_model)):
            assert [e.to_dict() for ents in eng.pipe(MIXED) for e in ents] == first[k]
    # the rules-only view of an engine resolves with the pack's policy, not the arbiter
    assert trust_model.subset(("rules",)).policy().name == "priority-longest.v1"


def test_explain_from_several_threads_gives_each_caller_its_own(tmp_path, ner_dir):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from entrec.engine import Engine

    eng = Engine.load(components=("rules", "grammar")).with_policy(
        "calibrated.v1", _trust(rule=800, model=0) | {"threshold": 0.0})
    texts = MIXED + ["Manter a tensão na SE Xingu entre 525 kV e 550 kV",
                     "A SE Milagres e a SE Colinas foram energizadas pela CHESF."]
    want = {t: [d.to_dict(t) for d in eng.explain(t).discarded] + [c.start for c in eng.explain(t).kept]
            for t in texts}
    assert all(want.values())
    start = threading.Barrier(8)

    def worker(k: int) -> list[bool]:
        start.wait()
        out = []
        for i in range(40):
            t = texts[(k + i) % len(texts)]
            res = eng.explain(t)
            out.append([d.to_dict(t) for d in res.discarded] + [c.start for c in res.kept] == want[t])
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [ok for oks in pool.map(worker, range(8)) for ok in oks]
    assert len(results) == 320 and all(results)


@pytest.mark.parametrize("placement", ["presets", "features", "resolver"])
def test_rules_run_once_per_text(tmp_path, ner_dir, monkeypatch, placement):
    from entrec.engine import Engine
    from entrec.engine.rules.source import RuleSource

    eng = Engine.load(model=_artifact(tmp_path, ner_dir, placement, {"placement": placement,
                                                                      "policy": "priority-longest.v1"}))
    assert eng.model_source().placement == placement
    seen: list[str] = []
    real_find = RuleSource.find
    monkeypatch.setattr(RuleSource, "find", lambda self, doc: seen.append(doc.text) or real_find(self, doc))
    fed: list = []
    real_many = ModelSource.find_many
    monkeypatch.setattr(ModelSource, "find_many", lambda self, docs, rule_spans=None, **kw:
                        fed.append(rule_spans) or real_many(self, docs, rule_spans, **kw))
    nlp = eng.model_source().nlp
    tokenized: list[str] = []
    real_make_doc = nlp.make_doc
    monkeypatch.setattr(nlp, "make_doc", lambda text: tokenized.append(text) or real_make_doc(text))
    list(eng.pipe(MIXED))
    assert sorted(seen) == sorted(MIXED)
    assert sorted(tokenized) == sorted(MIXED)  # one tokenization per text, shared by all sources
    eng.extract(MIXED[0])
    eng.explain(MIXED[1])
    assert sorted(seen) == sorted(MIXED + MIXED[:2])
    assert len(fed) == 3
    if placement == "resolver":
        assert fed == [None, None, None]
    else:  # the model got the rule matches of that one pass
        text = MIXED[0]
        assert fed[1] == [[(text.index("CHESF"), text.index("CHESF") + 5, "AGENTE"),
                           (text.index("autotransformador"), text.index(" da SE"), "EQUIPAMENTO"),
                           (text.index("SE Milagres"), len(text) - 1, "SUBESTACAO")]]


def test_views_without_every_source_use_the_pack_policy(tmp_path, ner_dir):
    from entrec.engine import Engine

    eng = Engine.load(model=_artifact(tmp_path, ner_dir, "v", {
        "placement": "resolver", "policy": "calibrated.v1", "params": _trust(rule=1000, model=0)}))
    assert eng.policy().name == "calibrated.v1"
    assert eng.subset(("rules", "grammar", "model")).policy() is eng.policy()
    model_only = eng.subset(("model",))
    assert model_only.policy().name == "priority-longest.v1"
    # the arbiter would drop every model candidate; the model-only view is the model itself
    assert any(ents for ents in model_only.pipe(MIXED))
    assert all(e.source == "model" for ents in model_only.pipe(MIXED) for e in ents)
