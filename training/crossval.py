"""k-fold cross-validation on the training documents: out-of-fold candidates for arbitration.

One model per fold is trained on the other folds for a fixed number of epochs (no early
stopping, so no held-out fold steers its own model, and no dev data is read), then
predicts the fold it did not see, once per rule placement. The rules and the grammar run
in the same engine as at inference (`Engine.with_model`), so the candidates are exactly
what the shipped engine would resolve. `training.arbitration.select_arbitration` turns
them into the shipped choice.

Cost: k trainings on (k-1)/k of the data for `fold_epochs` epochs each; with the defaults
(3 folds, at most 4 epochs) that is about 8 epochs' worth of full-data training.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Sequence

from thinc.api import Config

from entrec.engine.engine import Engine
from entrec.engine.ml import ModelSource

__all__ = ["DEFAULT_FOLDS", "MAX_FOLD_EPOCHS", "out_of_fold_candidates", "cross_validate"]

DEFAULT_FOLDS = 3
#: fold models train for min(best epoch of the final model, this) epochs
MAX_FOLD_EPOCHS = 4


def out_of_fold_candidates(docs: Sequence, folds: Sequence[Sequence[int]], engine: Engine, *,
                           config: Config, placements: Sequence[str], epochs: int,
                           labels: Sequence[str] | None = None, rule_spans: Any = None,
                           label_precision: Mapping[str, float] | None = None,
                           log: Callable[[str], None] | None = None
                           ) -> dict[str, list[list[Any]]]:
    """placement -> per document, every candidate the engine would resolve, the model's
    coming from the fold model that did not train on that document."""
    from entrec.training.train import train_ner

    say = log or (lambda _m: None)
    docs = list(docs)
    oof: dict[str, list[list[Any]]] = {p: [[] for _ in docs] for p in placements}
    for k, held in enumerate(folds):
        t0 = time.perf_counter()
        held_set = set(held)
        train_part = [d for i, d in enumerate(docs) if i not in held_set]
        res = train_ner(train_part, [], config=config, labels=labels, rule_spans=rule_spans,
                        fixed_epochs=epochs, label_precision=label_precision)
        source = ModelSource(res.nlp)
        texts = [docs[i].text for i in held]
        for p in placements:
            cands = engine.with_model(source.with_placement(p)).candidates_many(texts)
            for i, cs in zip(held, cands):
                oof[p][i] = cs
        say(f"fold {k + 1}/{len(folds)}: trained on {len(train_part)} documents for {epochs} "
            f"epochs, predicted {len(held)} held-out documents ({time.perf_counter() - t0:.0f}s)")
    return oof


def cross_validate(train_docs: Sequence, *, config: Config, rules: Sequence[Any] | None,
                   lang: str, final: Any, folds: int = DEFAULT_FOLDS, fold_epochs: int | None = None,
                   labels: Sequence[str] | None = None, rule_spans: Any = None,
                   learned: bool = False, seed: int = 0,
                   log: Callable[[str], None] | None = None):
    """Train fold models, collect out-of-fold candidates and select the arbitration.

    final: the TrainResult of the model that ships (its best epoch bounds the fold
    epochs, its per-label confidences are given to the fold models).
    Returns a `training.arbitration.Selection` (with `extra["seconds"]`).
    """
    from entrec.training.arbitration import fold_indices, select_arbitration

    t0 = time.perf_counter()
    docs = list(train_docs)
    idx = fold_indices(len(docs), folds, seed)
    epochs = fold_epochs or max(1, min(final.best_epoch or MAX_FOLD_EPOCHS, MAX_FOLD_EPOCHS))
    engine = Engine.load(rules=rules, components=("rules", "grammar"), lang=lang)
    placements = ("features",) if config["training"].get("rule_features") else ("resolver", "presets")
    meta = final.nlp.meta.get("entrec") or {}
    oof = out_of_fold_candidates(docs, idx, engine, config=config, placements=placements,
                                 epochs=epochs, labels=labels, rule_spans=rule_spans,
                                 label_precision=meta.get("label_precision"), log=log)
    sel = select_arbitration(docs, idx, oof, config=engine.resolution_config(),
                             model_labels=list(final.labels), labels=labels, learned=learned,
                             seed=seed, log=log)
    sel.extra.update({"fold_epochs": epochs, "placements": list(placements),
                      "seconds": round(time.perf_counter() - t0, 1)})
    return sel
