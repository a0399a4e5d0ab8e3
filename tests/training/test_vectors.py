"""Static floret vectors trained from the training text itself and shipped with the model."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.training.config import load_config
from entrec.training.importers import LabeledDocument

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "engine" / "samples" / "labeled_pt.jsonl"
SMALL = {"enabled": True, "dim": 16, "bucket": 2000, "epochs": 2}


def _docs(n: int) -> list[LabeledDocument]:
    return [LabeledDocument.from_dict(json.loads(line))
            for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:n]]


def _train(vectors: dict, epochs: int = 2):
    from entrec.training.train import train_ner

    cfg = load_config(overrides={"training.max_epochs": epochs, "training.patience": epochs,
                                 "training.static_vectors": vectors})
    docs = _docs(24)
    return train_ner(docs[:20], docs[20:], config=cfg)


def test_vectors_switch_the_embedding_input():
    on = load_config(overrides={"training.static_vectors.enabled": True})
    off = load_config(overrides={"training.static_vectors.enabled": False})
    assert on["components"]["ner"]["model"]["tok2vec"]["embed"]["include_static_vectors"] is True
    assert off["components"]["ner"]["model"]["tok2vec"]["embed"]["include_static_vectors"] is False


def test_vectors_are_trained_from_the_text_shipped_and_reloaded(tmp_path):
    from entrec.engine.ml import ModelSource
    from entrec.training.train import save_ner

    res = _train(SMALL)
    vec = res.nlp.vocab.vectors
    assert vec.mode == "floret" and vec.shape == (2000, 16)
    assert res.vectors["tokens"] > 100 and res.summary()["static_vectors"]["dim"] == 16
    # floret: a word never seen in training still gets a (subword) vector
    unseen = res.nlp.vocab["Quixadazinhópolis"].vector
    assert unseen.shape == (16,) and abs(unseen).sum() > 0
    src = ModelSource.from_dir(save_ner(res, tmp_path / "ner"))
    assert src.nlp.vocab.vectors.mode == "floret" and src.nlp.vocab.vectors.shape == (2000, 16)
    texts = [d.text for d in _docs(24)[20:]]
    assert src.predict_spans(texts) == ModelSource(res.nlp).predict_spans(texts)


def test_training_with_vectors_is_deterministic():
    a, b = _train(SMALL), _train(SMALL)
    assert [e.loss for e in a.epochs] == [e.loss for e in b.epochs]


def test_unknown_vector_setting_is_a_config_error():
    from entrec.training.vectors import VectorsError, settings_from

    with pytest.raises(VectorsError) as e:
        settings_from({"enabled": True, "dimension": 8})
    assert e.value.code == "train-config-invalid" and "dimension" in str(e.value)
