"""Training: config merging, reproducible stratified split, deterministic training with early
stopping, and the end-to-end `entrec train` -> `entrec evaluate` -> `Engine.load` path."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.engine.errors import ArtifactError, EntrecError
from entrec.training.config import ConfigError, load_config
from entrec.training.importers import LabeledDocument, Span
from entrec.training.split import split_documents, strata_of

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "engine" / "samples" / "labeled_pt.jsonl"


def _docs(n: int | None = None) -> list[LabeledDocument]:
    out = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:n]:
        out.append(LabeledDocument.from_dict(json.loads(line)))
    return out


# ------------------------------------------------------------------ config
def test_default_config_is_cpu_cnn_ner():
    cfg = load_config()
    assert cfg["nlp"]["pipeline"] == ["ner"]
    t2v = cfg["components"]["ner"]["model"]["tok2vec"]
    assert t2v["encode"]["@architectures"] == "spacy.MaxoutWindowEncoder.v2"
    assert "TAG" not in t2v["embed"]["attrs"]


def test_user_config_overrides_only_what_it_sets(tmp_path):
    f = tmp_path / "my.cfg"
    f.write_text("[components.ner.model.tok2vec.encode]\nwidth = 64\n\n[training]\nmax_epochs = 3\n")
    cfg = load_config(f, overrides={"training.seed": 5})
    assert cfg["components"]["ner"]["model"]["tok2vec"]["encode"]["width"] == 64
    assert cfg["training"]["max_epochs"] == 3 and cfg["training"]["seed"] == 5
    assert cfg["training"]["patience"] == 4  # untouched default


def test_system_seed_drives_the_training_seed(tmp_path):
    # the default's `training.seed = ${system.seed}` must follow a user's [system] seed
    f = tmp_path / "seed.cfg"
    f.write_text("[system]\nseed = 7\n")
    assert load_config(f)["training"]["seed"] == 7
    assert load_config(overrides={"system.seed": 3})["training"]["seed"] == 3
    assert load_config()["training"]["seed"] == 0


def test_rule_features_add_the_tag_attribute():
    cfg = load_config(overrides={"training.rule_features": True})
    embed = cfg["components"]["ner"]["model"]["tok2vec"]["embed"]
    assert embed["attrs"][-1] == "TAG" and len(embed["rows"]) == len(embed["attrs"])


@pytest.mark.parametrize("content,code", [
    (None, "train-config-missing"),
    ("[nlp\nlang = ", "train-config-invalid"),
    ('[nlp]\npipeline = ["tagger"]\n[components.tagger]\nfactory = "tagger"\n', "train-config-invalid"),
])
def test_bad_config_files(tmp_path, content, code):
    f = tmp_path / "c.cfg"
    if content is not None:
        f.write_text(content)
    with pytest.raises(ConfigError) as e:
        load_config(f)
    assert e.value.code == code


# ------------------------------------------------------------------ split
def test_split_is_reproducible_and_stratified():
    docs = _docs()
    tr1, dv1, rep1 = split_documents(docs, dev_fraction=0.2, seed=3)
    tr2, dv2, _ = split_documents(docs, dev_fraction=0.2, seed=3)
    _, dv3, _ = split_documents(docs, dev_fraction=0.2, seed=4)
    assert dv1 == dv2 and tr1 == tr2
    assert dv1 != dv3
    assert rep1.stratified and rep1.n_dev == round(len(docs) * 0.2)
    assert not set(d.text for d in tr1) & set(d.text for d in dv1)
    # every stratum with >= 5 documents is represented in dev
    keys = strata_of(docs)
    dev_keys = set(strata_of(docs)[docs.index(d)] for d in dv1)
    for k in set(keys):
        if keys.count(k) >= 5:
            assert k in dev_keys


def test_split_falls_back_when_stratification_is_impossible():
    docs = [LabeledDocument(f"t{i}", (Span(0, 2, f"L{i}"),)) for i in range(4)]
    tr, dv, rep = split_documents(docs, dev_fraction=0.25, seed=0)
    assert (len(tr), len(dv)) == (3, 1) and rep.stratified is False


def test_split_needs_two_documents():
    with pytest.raises(EntrecError) as e:
        split_documents([LabeledDocument("x")])
    assert e.value.code == "too-few-documents"


# ------------------------------------------------------------------ training
def _train(docs_tr, docs_dv, **over):
    from entrec.training.train import train_ner

    cfg = load_config(overrides={"training.max_epochs": 3, "training.patience": 3, **over})
    return train_ner(docs_tr, docs_dv, config=cfg)


def test_training_is_deterministic_with_a_seed():
    docs = _docs(24)
    a = _train(docs[:20], docs[20:], **{"training.max_epochs": 2})
    b = _train(docs[:20], docs[20:], **{"training.max_epochs": 2})
    assert [e.loss for e in a.epochs] == [e.loss for e in b.epochs]
    texts = [d.text for d in docs[20:]]
    ents = lambda r: [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in r.nlp.pipe(texts)]  # noqa: E731
    assert ents(a) == ents(b)


def test_learn_rate_schedules_advance_every_batch():
    """A scheduled learn rate that starts at 0 must rise (spaCy's own loop steps schedules):
    left unstepped it would stay 0 and the weights equal those of a run at lr 0."""
    docs = _docs(12)
    ner_bytes = lambda r: r.nlp.get_pipe("ner").model.to_bytes()  # noqa: E731
    frozen = _train(docs[:10], docs[10:], **{"training.max_epochs": 2, "training.optimizer.learn_rate": 0.0})
    warm = _train(docs[:10], docs[10:], **{"training.max_epochs": 2, "training.optimizer.learn_rate": {
        "@schedules": "warmup_linear.v1", "initial_rate": 0.002, "warmup_steps": 2, "total_steps": 100}})
    assert ner_bytes(warm) != ner_bytes(frozen)
    again = _train(docs[:10], docs[10:], **{"training.max_epochs": 2, "training.optimizer.learn_rate": 0.0})
    assert ner_bytes(again) == ner_bytes(frozen)  # the comparison itself is deterministic


def test_early_stopping_on_dev_f1_and_time_cap():
    docs = _docs(20)
    # dev annotated with a label the model never sees: dev F1 stays 0, so patience stops it
    dev = [LabeledDocument(d.text, tuple(Span(s.start, s.end, "OUTRO") for s in d.spans)) for d in docs[16:]]
    seen = []
    from entrec.training.train import train_ner

    cfg = load_config(overrides={"training.max_epochs": 10, "training.patience": 2})
    res = train_ner(docs[:16], dev, config=cfg, progress=seen.append)
    assert res.stopped == "patience" and len(res.epochs) == 3 and res.best_epoch == 1
    assert [s.epoch for s in seen] == [1, 2, 3] and seen[0].best and not seen[1].best
    res2 = _train(docs[:16], docs[16:], **{"training.max_seconds": 0.001, "training.max_epochs": 10})
    assert res2.stopped == "time_limit" and len(res2.epochs) == 1


def test_unusable_spans_are_counted_not_lost():
    from entrec.training.train import build_nlp, make_examples

    nlp = build_nlp(load_config())
    docs = [LabeledDocument("SE Xingu e SE Jupiá", (Span(0, 8, "SUBESTACAO"), Span(3, 8, "X"),
                                                   Span(11, 15, "SUBESTACAO"))),
            LabeledDocument("A CHESF", (Span(2, 5, "AGENTE"),))]
    _, rep = make_examples(nlp, docs, labels={"SUBESTACAO", "AGENTE", "X"})
    assert rep.spans_total == 4
    assert rep.spans_overlapping == 1  # "Xingu" inside "SE Xingu"
    assert rep.spans_expanded == 2  # "SE J" and "CHE" snapped to token boundaries
    assert rep.spans_used == 3


def test_training_without_spans_fails_clearly():
    with pytest.raises(EntrecError) as e:
        _train([LabeledDocument("nada aqui")], [LabeledDocument("nem aqui")])
    assert e.value.code == "no-training-spans"


# ------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_train_evaluate_load_end_to_end(tmp_path, capsys):
    from entrec.engine import Engine
    from entrec.cli.main import main

    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(SAMPLE.read_text(encoding="utf-8").splitlines()[:60]) + "\n",
                    encoding="utf-8")
    out = tmp_path / "model"
    rc = main(["train", "--data", str(data), "--out", str(out), "--epochs", "4", "--seed", "1",
               "--json", "--quiet"])
    assert rc == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["split"]["stratified"] is True and metrics["split"]["n_dev"] == 6
    assert {"rules", "model", "hybrid"} <= set(metrics["dev"])
    for f in ("model.tar.gz", "metrics.json", "report.md", "model/manifest.json",
              "model/ner/meta.json", "model/rules/pt/base.yaml"):
        assert (out / f).exists(), f
    manifest = json.loads((out / "model" / "manifest.json").read_text())
    assert manifest["metrics"]["dev"]["hybrid"]["exact"]["f1"] is not None
    assert "report.md" not in manifest["files"]

    # evaluate: three systems side by side, JSON and report.md
    rc = main(["evaluate", "--model", str(out), "--data", str(data), "--json",
               "--report", str(tmp_path / "rep")])
    assert rc == 0
    ev = json.loads(capsys.readouterr().out)
    assert set(ev["systems"]) == {"rules", "model", "hybrid"}
    assert ev["systems"]["model"]["scores"]["overall"]["predicted"] > 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "rules P" in md and "hybrid F1" in md and "Label errors" in md

    # load: the model source runs next to the rules
    eng = Engine.load(model=out)
    ents = eng.extract("A CHESF informou o desligamento do autotransformador AT-03 da SE Milagres.")
    assert {"rule", "model"} & {e.source for e in ents}
    assert any(s.source == "model" for s in eng.sources())

    # checksums are verified on load
    meta = out / "model" / "ner" / "meta.json"
    meta.write_text(meta.read_text() + " ")
    with pytest.raises(ArtifactError) as e:
        Engine.load(model=out / "model")
    assert e.value.code == "artifact-checksum-mismatch"


def test_train_cli_refuses_a_used_out_dir(tmp_path, capsys):
    from entrec.cli.main import main

    out = tmp_path / "m"
    (out / "model").mkdir(parents=True)
    rc = main(["train", "--data", str(SAMPLE), "--out", str(out), "--quiet"])
    assert rc == 2
    assert "train-out-exists" in capsys.readouterr().err


def test_default_model_is_cached(tmp_path, monkeypatch):
    import entrec.training.default_model as dm

    calls = []

    def fake_run(paths, *, out_dir, **kw):
        calls.append(kw)
        out = Path(out_dir)
        (out / "model").mkdir(parents=True)
        return type("R", (), {"artifact": out / "model.tar.gz"})()

    monkeypatch.setattr("entrec.training.pipeline.run_training", fake_run)
    p1 = dm.ensure_default_model(tmp_path / "c")
    p2 = dm.ensure_default_model(tmp_path / "c")
    assert p1 == p2 == tmp_path / "c" / "model"
    assert len(calls) == 1 and calls[0]["seed"] == 0
    dm.ensure_default_model(tmp_path / "c", epochs=3)  # other settings: rebuilt
    assert len(calls) == 2
