"""k-fold cross-validation on the training documents: out-of-fold candidates for arbitration.

One model per fold is trained on the other folds for a fixed number of epochs (no early
stopping, so no held-out fold steers its own model, and no dev data is read), then
predicts the fold it did not see, once per rule placement. The rules and the grammar run
in the same engine as at inference (`Engine.with_model`), so the candidates are exactly
what the shipped engine would resolve. `training.arbitration.select_arbitration` turns
them into the shipped choice.

Cost and wall time. spaCy's CPU training is essentially single-threaded (and entrec holds
BLAS to one thread for determinism), so the fold models train in a **second process while
the final model trains in the first** (`start_cross_validation` ... `finish_cross_validation`):
on 2 cores the selection costs little wall time beyond the final model. That is why the
fold epochs no longer wait for the final model's best epoch: they are fixed up front
(`FOLD_EPOCHS`, at most the config's `max_epochs`), close to where the final model stops
improving, so the calibration is fitted on models like the one that ships. The fold
models' confidences are the final model's (its per-label dev precision), set on their
candidates once the final model is known, so fold candidates look like shipped ones.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from thinc.api import Config

from entrec.engine.engine import Engine
from entrec.engine.ml import ModelSource

__all__ = ["DEFAULT_FOLDS", "FOLD_EPOCHS", "FoldRun", "FoldJob", "fold_epochs_for",
           "run_folds", "start_cross_validation", "with_final_confidences",
           "finish_cross_validation", "cross_validate"]

DEFAULT_FOLDS = 3
#: epochs per fold model unless `fold_epochs` says otherwise (capped by `max_epochs`)
FOLD_EPOCHS = 5


def fold_epochs_for(config: Config, fold_epochs: int | None = None) -> int:
    """Epochs each fold model trains: `fold_epochs`, else FOLD_EPOCHS, at most max_epochs."""
    max_epochs = int(config["training"].get("max_epochs", FOLD_EPOCHS) or FOLD_EPOCHS)
    return max(1, int(fold_epochs) if fold_epochs else min(FOLD_EPOCHS, max_epochs))


@dataclass
class FoldRun:
    """Out-of-fold candidates: placement -> per document, every candidate the engine
    would resolve (the model's from the fold model that did not train on it)."""

    oof: dict[str, list[list[Any]]]
    folds: list[list[int]]
    epochs: int
    placements: list[str]
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: epochs each fold model actually trained (fewer than `epochs` when the run's time
    #: budget ran short)
    epochs_trained: list[int] = field(default_factory=list)


def run_folds(docs: Sequence, folds: Sequence[Sequence[int]], *, config_str: str,
              rules: Sequence[Any] | None, lang: str, placements: Sequence[str], epochs: int,
              labels: Sequence[str] | None = None,
              log: Callable[[str], None] | None = None,
              deadline: float | None = None) -> FoldRun:
    """Train the k fold models and collect their out-of-fold candidates.

    `deadline` (a `time.time()` value: the run's time budget): each fold model gets an equal
    share of the time left when it starts and stops early (keeping its last epoch) rather
    than overrun it.

    Module-level and fed only picklable values, so it runs in a child process as well as
    here. The model candidates carry the fold model's own score (1.0: fold models have no
    dev set); `finish_cross_validation` rescores them with the final model's confidences.
    """
    from entrec.training.train import train_ner

    t_all = time.perf_counter()
    config = Config().from_str(config_str)
    lines: list[str] = []

    def say(msg: str) -> None:
        lines.append(msg)
        if log is not None:
            log(msg)

    rule_spans = None
    if config["training"].get("rule_features"):
        # the same rules-only resolution as training.pipeline.rule_spans_from (not imported:
        # the pipeline imports this module)
        rules_only = Engine.load(rules=rules, components=("rules",), lang=lang)

        def rule_spans(texts):
            return [[(e.start, e.end, e.label) for e in ents] for ents in rules_only.pipe(list(texts))]
    engine = Engine.load(rules=rules, components=("rules", "grammar"), lang=lang)
    docs = list(docs)
    oof: dict[str, list[list[Any]]] = {p: [[] for _ in docs] for p in placements}
    trained: list[int] = []
    for k, held in enumerate(folds):
        t0 = time.perf_counter()
        held_set = set(held)
        train_part = [d for i, d in enumerate(docs) if i not in held_set]
        share = None if deadline is None else time.time() + (deadline - time.time()) / (len(folds) - k)
        res = train_ner(train_part, [], config=config, labels=labels, rule_spans=rule_spans,
                        fixed_epochs=epochs, deadline=share)
        trained.append(len(res.epochs))
        source = ModelSource(res.nlp)
        texts = [docs[i].text for i in held]
        for p in placements:
            cands = engine.with_model(source.with_placement(p)).candidates_many(texts)
            for i, cs in zip(held, cands):
                oof[p][i] = cs
        short = f" (of {epochs}: time budget)" if len(res.epochs) < epochs else ""
        say(f"fold {k + 1}/{len(folds)}: trained on {len(train_part)} documents for "
            f"{len(res.epochs)} epochs{short}, predicted {len(held)} held-out documents "
            f"({time.perf_counter() - t0:.0f}s)")
    return FoldRun(oof=oof, folds=[list(f) for f in folds], epochs=epochs,
                   placements=list(placements), lines=lines,
                   seconds=round(time.perf_counter() - t_all, 1), epochs_trained=trained)


class FoldJob:
    """Fold training started before the final model: in a child process (`parallel`) or,
    lazily, in this one when `result()` is asked for."""

    def __init__(self, kwargs: dict[str, Any], *, parallel: bool):
        self._kwargs = kwargs
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self._run: FoldRun | None = None
        self.parallel = parallel
        if parallel:
            self._pool = ProcessPoolExecutor(max_workers=1,
                                             mp_context=multiprocessing.get_context("spawn"))
            self._future = self._pool.submit(run_folds, **kwargs)

    def result(self, log: Callable[[str], None] | None = None) -> FoldRun:
        """The fold run (computed once; a second call returns the same run)."""
        if self._run is not None:
            return self._run
        if self._future is None:
            self._run = run_folds(**self._kwargs, log=log)
            return self._run
        try:
            self._run = self._future.result()
        finally:
            self.close()
        for line in self._run.lines:
            (log or (lambda _m: None))(line)
        return self._run

    def abort(self) -> None:
        """Stop the child (the final model failed: its folds are of no use)."""
        if self._pool is not None:
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                proc.terminate()
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _picklable(*values: Any) -> bool:
    try:
        pickle.dumps(values)
        return True
    except Exception:
        return False


def start_cross_validation(train_docs: Sequence, *, config: Config, rules: Sequence[Any] | None,
                           lang: str, folds: int = DEFAULT_FOLDS, fold_epochs: int | None = None,
                           labels: Sequence[str] | None = None, seed: int = 0,
                           parallel: bool = True, deadline: float | None = None) -> FoldJob:
    """Start training the fold models (in a child process when `parallel` and the inputs
    can be sent there); `finish_cross_validation` collects them and selects. `deadline`:
    see `run_folds`."""
    from entrec.training.arbitration import fold_indices

    docs = list(train_docs)
    placements = ["features"] if config["training"].get("rule_features") else ["resolver", "presets"]
    kwargs = dict(docs=docs, folds=fold_indices(len(docs), folds, seed), config_str=config.to_str(),
                  rules=list(rules) if rules is not None else None, lang=lang,
                  placements=placements, epochs=fold_epochs_for(config, fold_epochs),
                  labels=list(labels) if labels is not None else None, deadline=deadline)
    return FoldJob(kwargs, parallel=parallel and _picklable(kwargs))


def with_final_confidences(oof: dict[str, list[list[Any]]], source: ModelSource
                           ) -> dict[str, list[list[Any]]]:
    """The out-of-fold candidates with every model candidate scored as `source` (the
    model that ships) scores its label: what the shipped engine would resolve."""
    def one(cands: list[Any]) -> list[Any]:
        return [dataclasses.replace(c, score=round(source.score_of(c.label), 4))
                if c.source == "model" else c for c in cands]

    return {p: [one(cs) for cs in lists] for p, lists in oof.items()}


def finish_cross_validation(job: FoldJob, *, final: Any, rules: Sequence[Any] | None, lang: str,
                            labels: Sequence[str] | None = None, learned: bool = False,
                            seed: int = 0, log: Callable[[str], None] | None = None):
    """Wait for the fold models, give their candidates the final model's confidences and
    select the arbitration. final: the TrainResult that ships.
    Returns a `training.arbitration.Selection` (with `extra["seconds"]`)."""
    from entrec.training.arbitration import select_arbitration

    t0 = time.perf_counter()
    run = job.result(log=log)
    waited = time.perf_counter() - t0
    source = ModelSource(final.nlp)
    oof = with_final_confidences(run.oof, source)
    engine = Engine.load(rules=rules, components=("rules", "grammar"), lang=lang)
    sel = select_arbitration(job._kwargs["docs"], run.folds, oof, config=engine.resolution_config(),
                             model_labels=list(final.labels), labels=labels, learned=learned,
                             seed=seed, log=log)
    sel.extra.update({"fold_epochs": run.epochs, "fold_epochs_trained": run.epochs_trained,
                      "placements": run.placements,
                      "fold_seconds": run.seconds, "parallel": job.parallel,
                      "waited_for_folds_seconds": round(waited, 1),
                      "seconds": round(run.seconds + time.perf_counter() - t0 - waited, 1)})
    return sel


def cross_validate(train_docs: Sequence, *, config: Config, rules: Sequence[Any] | None,
                   lang: str, final: Any, folds: int = DEFAULT_FOLDS, fold_epochs: int | None = None,
                   labels: Sequence[str] | None = None, learned: bool = False, seed: int = 0,
                   log: Callable[[str], None] | None = None, parallel: bool = False):
    """Fold models, out-of-fold candidates and selection in one call (after the final
    model: no overlap; `entrec train` uses start/finish to overlap them)."""
    job = start_cross_validation(train_docs, config=config, rules=rules, lang=lang, folds=folds,
                                 fold_epochs=fold_epochs, labels=labels, seed=seed, parallel=parallel)
    return finish_cross_validation(job, final=final, rules=rules, lang=lang, labels=labels,
                                   learned=learned, seed=seed, log=log)
