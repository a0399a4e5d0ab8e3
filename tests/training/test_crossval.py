"""Fold models trained in a second process give exactly the candidates of in-process folds,
rescored with the final model's confidences."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.training.config import load_config
from entrec.training.importers import LabeledDocument

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "engine" / "samples" / "labeled_pt.jsonl"


def _docs(n: int) -> list[LabeledDocument]:
    return [LabeledDocument.from_dict(json.loads(line))
            for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:n]]


def test_fold_epochs_default_is_capped_by_max_epochs():
    from entrec.training.crossval import FOLD_EPOCHS, fold_epochs_for

    assert fold_epochs_for(load_config()) == FOLD_EPOCHS
    assert fold_epochs_for(load_config(overrides={"training.max_epochs": 2})) == 2
    assert fold_epochs_for(load_config(), 3) == 3


@pytest.mark.slow
def test_parallel_folds_equal_in_process_folds_and_take_the_final_confidences():
    from entrec.engine.ml import ModelSource
    from entrec.training.crossval import (finish_cross_validation, start_cross_validation,
                                          with_final_confidences)
    from entrec.training.train import train_ner

    cfg = load_config(overrides={"training.max_epochs": 4, "training.patience": 4,
                                 "training.static_vectors": {"enabled": True, "dim": 8,
                                                             "bucket": 500, "epochs": 1}})
    docs = _docs(60)
    final = train_ner(docs[:48], docs[48:], config=cfg)
    jobs = {parallel: start_cross_validation(docs[:48], config=cfg, rules=None, lang="pt", folds=3,
                                             fold_epochs=8, parallel=parallel)
            for parallel in (True, False)}
    assert jobs[True].parallel is True and jobs[False].parallel is False
    logged = []
    sel = finish_cross_validation(jobs[False], final=final, rules=None, lang="pt", log=logged.append)
    assert sel.folds == 3 and sel.extra["fold_epochs"] == 8 and sel.extra["parallel"] is False
    assert any(m.startswith("fold 3/3") for m in logged)
    runs = {parallel: job.result() for parallel, job in jobs.items()}
    assert runs[True].oof == runs[False].oof and runs[True].epochs == 8
    assert len(runs[True].lines) == 3 and runs[True].lines[0].startswith("fold 1/3")
    # fold candidates carry the shipped model's confidence, not the fold model's 1.0
    lp = final.nlp.meta["entrec"]["label_precision"]
    model_scores = {(c.label, c.score) for cs in runs[False].oof["resolver"] for c in cs if c.source == "model"}
    assert model_scores and all(s == 1.0 for _, s in model_scores)
    assert lp and all(0 < v < 1 for v in lp.values())
    rescored = with_final_confidences(runs[False].oof, ModelSource(final.nlp))
    for before, after in zip(runs[False].oof["resolver"], rescored["resolver"]):
        assert [(c.start, c.end, c.label, c.source) for c in before] == \
               [(c.start, c.end, c.label, c.source) for c in after]
        for c in after:
            assert c.score == (round(lp.get(c.label, final.nlp.meta["entrec"]["precision"]), 4)
                               if c.source == "model" else c.score)
