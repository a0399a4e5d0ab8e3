"""import -> split -> train -> evaluate -> package: the one function `entrec train` and the
Glue retraining job call, so both produce the same artifact from the same data.

Output folder (`out_dir`, shaped like one `models/<version>/` prefix of DESIGN §8):

```
model.tar.gz   the artifact (entrec.training.package)   model/   the same, unpacked
metrics.json   figures (also in the manifest)     report.md   evaluation, human-readable
evaluation.json  the full evaluation (per label, confusion, misses)
```

Between training and evaluation, k-fold cross-validation on the training documents
(training/crossval.py) selects the rule placement and the arbitration policy that ship
(`ner/arbitration.json`), and refuses a hybrid that loses to model-only on the held-out
folds (training/arbitration.py). The evaluation runs on the dev set against a staged copy
of the artifact (loaded through `Engine.load`, so checksums and the artifact's own rules
are exercised), and the final artifact is packaged with those metrics in its manifest.

Time budget: a run aims to end within `time_budget` seconds (default 15 min): the final
model and the fold models stop starting epochs that would end after the budget less a
reserve for selection, evaluation and packaging (`training_deadline`). On a machine fast
enough for the data nothing stops early; on a slower one the model keeps its best dev epoch
reached in time and metrics.json says so (`train.stopped == "time_budget"`). 0 = no budget.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from entrec.engine.errors import EntrecError

__all__ = ["TrainingRun", "run_training", "data_sha256", "rule_spans_from", "DEFAULT_TIME_BUDGET",
           "training_deadline"]

#: seconds a whole `entrec train` run aims to stay within (0 or None: no budget)
DEFAULT_TIME_BUDGET = 15 * 60.0


def training_deadline(start: float, budget: float | None) -> float | None:
    """The `time.time()` by which training must be over for a run that began at `start`
    (a `time.time()`) to end within `budget` seconds: the budget less a reserve of 7% (10 s
    to 2 min) for fold selection, the dev evaluation and packaging (~25 s on LeNER-Br)."""
    if not budget or budget <= 0:
        return None
    reserve = min(120.0, max(10.0, 0.07 * budget))
    return start + budget - reserve


@dataclass
class TrainingRun:
    out_dir: Path
    artifact: Path  # model.tar.gz
    model_dir: Path  # unpacked artifact
    metrics: dict[str, Any]
    report_path: Path | None
    evaluation: Any = None  # entrec.training.evaluate.EvaluationReport
    train: Any = field(default=None, repr=False)  # entrec.training.train.TrainResult
    import_report: Any = field(default=None, repr=False)
    dev_import_report: Any = field(default=None, repr=False)
    split: Any = None
    arbitration: dict | None = None  # the selection on held-out folds (Selection.to_dict())
    seconds: float = 0.0
    #: documents set aside by content hash (`holdout_fraction`): never trained on
    heldout: list = field(default_factory=list, repr=False)


def data_sha256(paths: Sequence[str | Path]) -> str:
    """The training data id: one digest over (name, sha256) of every input file.

    The name is the path relative to the folder given (a file given directly: its name),
    so the same files give the same id wherever they sit: `entrec train --data labeled/`
    on a copy of a bucket's `labeled/` prefix and the retraining job on that prefix agree,
    and renaming or moving a file inside the folder makes new data.
    """
    from entrec.engine.artifact import sha256_file

    entries: list[tuple[str, Path]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            entries += [(q.relative_to(p).as_posix(), q) for q in p.rglob("*") if q.is_file()]
        else:
            entries.append((p.name, p))
    h = hashlib.sha256()
    for rel, f in sorted(entries, key=lambda e: (e[0], e[1].as_posix())):
        h.update(rel.encode() + b"\0" + sha256_file(f).encode() + b"\n")
    return h.hexdigest()


def rule_spans_from(rules: Sequence[str | Path] | None, lang: str = "pt"
                    ) -> Callable[[Sequence[str]], list[list[tuple[int, int, str]]]]:
    """texts -> resolved rule matches: the input of rule features / presets (the same
    rules-only resolution the engine gives its model at inference)."""
    from entrec.engine.engine import Engine

    eng = Engine.load(rules=list(rules) if rules is not None else None, components=("rules",), lang=lang)

    def spans(texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        return [[(e.start, e.end, e.label) for e in ents] for ents in eng.pipe(list(texts))]

    return spans


def _load(paths, *, fmt, labels, lang, label_set=None):
    from entrec.training.importers import load_documents

    docs, report = load_documents([str(p) for p in paths], format=fmt, labels=labels, lang=lang,
                                  declared_labels=label_set)
    if not docs:
        err = EntrecError(f"no usable labeled documents in {', '.join(map(str, paths))}",
                          code="no-training-data",
                          hint="see the import report: every skipped record has a reason")
        err.import_report = report  # type: ignore[attr-defined]
        raise err
    return docs, report


def run_training(data: Sequence[str | Path], *, out_dir: str | Path,
                 rules: Sequence[str | Path] | None = None,
                 dev: Sequence[str | Path] | None = None, config: str | Path | None = None,
                 fmt: str | None = None, labels: Sequence[str] | None = None, lang: str = "pt",
                 seed: int | None = None, epochs: int | None = None, patience: int | None = None,
                 max_seconds: float | None = None, dev_fraction: float = 0.1,
                 rule_features: bool | None = None, rule_placement: str | None = None,
                 name: str = "entrec-model",
                 version: str | None = None, evaluate: bool = True, arbitration: bool = False,
                 progress: Callable | None = None, log: Callable[[str], None] | None = None,
                 folds: int | None = None, fold_epochs: int | None = None,
                 holdout_fraction: float = 0.0, label_set: Sequence[str] | None = None,
                 import_report_to: Callable[[Any], None] | None = None,
                 parallel_folds: bool = True, time_budget: float | None = DEFAULT_TIME_BUDGET,
                 ) -> TrainingRun:
    """Train a model from labeled files and package it into `out_dir` (must be empty).

    folds: k of the cross-validation that selects the shipped arbitration (default 3;
    0 ships the packs' own policy unselected). arbitration: also try the learned
    (logistic regression) policy in that selection. fold_epochs: epochs per fold model
    (default `crossval.FOLD_EPOCHS`, at most the config's max_epochs). parallel_folds:
    train the fold models in a second process while the final model trains.
    time_budget: seconds the whole run aims to stay within (module docstring; 0/None: none).
    `holdout_fraction` sets aside the documents whose content hash falls in that share
    (entrec.training.holdout): never trained on nor used for early stopping (nor in the
    fold selection), returned in `TrainingRun.heldout`, the same documents whatever else
    the data holds.
    `label_set` declares the labels the data may use (undeclared ones are import errors).
    `import_report_to` receives the import report as soon as it exists, also when the run
    then fails for lack of documents. The manifest records the data id and the keys of
    the documents the model saw (`metrics.data.trained_on`), so a later comparison can
    keep to documents neither model was trained on.
    """
    from entrec.training.holdout import keys_of, split_holdout
    from entrec.training.config import load_config
    from entrec.training.package import layout, package_model
    from entrec.training.split import split_documents
    from entrec.training.train import save_ner, train_ner

    say = log or (lambda _msg: None)
    t0 = time.perf_counter()
    deadline = training_deadline(time.time(), time_budget)
    out = Path(out_dir)
    lay = layout(out)
    if lay.tarball.exists() or lay.model_dir.exists():
        raise EntrecError(f"{out} already holds a model", code="train-out-exists",
                          hint="choose an empty --out folder")
    overrides: dict[str, Any] = {}
    if seed is not None:
        overrides["training.seed"] = seed
        overrides["system.seed"] = seed
    if epochs is not None:
        overrides["training.max_epochs"] = epochs
    if patience is not None:
        overrides["training.patience"] = patience
    if max_seconds is not None:
        overrides["training.max_seconds"] = max_seconds
    if rule_features is not None:
        overrides["training.rule_features"] = rule_features
    if rule_placement is not None:
        overrides["training.rule_placement"] = rule_placement
    cfg = load_config(config, lang=lang, overrides=overrides)
    seed_v = int(cfg["training"].get("seed", 0) or 0)

    try:
        docs, imp = _load(data, fmt=fmt, labels=labels, lang=lang, label_set=label_set)
    except EntrecError as err:
        if import_report_to is not None and getattr(err, "import_report", None) is not None:
            import_report_to(err.import_report)
        raise
    if import_report_to is not None:
        import_report_to(imp)
    say(f"imported {len(docs)} documents ({imp.skipped_records} records skipped, "
        f"{imp.skipped_spans} spans skipped)")
    docs, heldout = split_holdout(docs, holdout_fraction)
    if holdout_fraction:
        say(f"held out {len(heldout)} documents by content hash ({holdout_fraction:.0%} share)")
    split = None
    dev_imp = None
    if dev:
        dev_docs, dev_imp = _load(dev, fmt=fmt, labels=labels, lang=lang, label_set=label_set)
        train_docs = docs
        say(f"dev set: {len(dev_docs)} documents from {', '.join(map(str, dev))}")
    else:
        train_docs, dev_docs, split = split_documents(docs, dev_fraction=dev_fraction, seed=seed_v)
        say(f"dev split: {split.n_train} train / {split.n_dev} dev "
            f"({'stratified by label presence' if split.stratified else 'unstratified: too few documents'}, seed {seed_v})")

    rule_spans = None
    if cfg["training"].get("rule_features"):
        rule_spans = rule_spans_from(rules, lang)

    from entrec.training.crossval import DEFAULT_FOLDS, finish_cross_validation, start_cross_validation

    k = DEFAULT_FOLDS if folds is None else int(folds)
    job = None
    if k >= 2 and len(train_docs) >= 2 * k:
        # the fold models train in a second process while the final model trains here
        job = start_cross_validation(train_docs, config=cfg, rules=rules, lang=lang, folds=k,
                                     fold_epochs=fold_epochs, labels=labels, seed=seed_v,
                                     parallel=parallel_folds, deadline=deadline)
        say(f"selecting rule placement and arbitration by {k}-fold cross-validation on the "
            f"{len(train_docs)} training documents"
            + (" (fold models training in a second process)" if job.parallel else ""))
    elif k >= 2:
        say(f"too few training documents ({len(train_docs)}) for {k}-fold selection: "
            "shipping the packs' own policy unselected")
    try:
        result = train_ner(train_docs, dev_docs, config=cfg, labels=labels, progress=progress,
                           rule_spans=rule_spans, deadline=deadline)
    except BaseException:
        if job is not None:
            job.abort()
        raise
    say(f"best dev F1 {100 * result.best_dev_f:.1f} at epoch {result.best_epoch} "
        f"({result.stopped}, {result.seconds:.0f}s)")
    if result.stopped == "time_budget":
        say(f"stopped after epoch {len(result.epochs)} to end within the time budget "
            f"({time_budget / 60:.4g} min for the whole run); --time-budget 0 trains until "
            "early stopping")
    selection = None
    if job is not None:
        selection = finish_cross_validation(job, final=result, rules=rules, lang=lang, labels=labels,
                                            learned=arbitration, seed=seed_v, log=say)

    version = version or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    sha = data_sha256(list(data) + list(dev or []))
    work = Path(tempfile.mkdtemp(prefix="entrec-train-"))
    try:
        ner_dir = save_ner(result, work / "ner")
        if selection is not None:
            selection.write(ner_dir)
        metrics: dict[str, Any] = {
            "train": {**result.summary(), "time_budget_seconds": time_budget or 0},
            "data": {"train_docs": len(train_docs), "dev_docs": len(dev_docs),
                     "imported": imp.imported, "skipped_records": imp.skipped_records,
                     "skipped_spans": imp.skipped_spans,
                     "holdout": {"fraction": holdout_fraction, "docs": len(heldout)},
                     "label_set": sorted(label_set) if label_set is not None else None,
                     "trained_on": keys_of(list(train_docs) + list(dev_docs))},
            "config": {"seed": seed_v,
                       "rule_placement": (selection.chosen.placement if selection is not None
                                          else result.nlp.meta["entrec"]["rule_placement"]),
                       "policy": selection.chosen.policy if selection is not None else None},
        }
        if selection is not None:
            metrics["selection"] = selection.to_dict()
        if split is not None:
            metrics["split"] = {"n_train": split.n_train, "n_dev": split.n_dev,
                                "stratified": split.stratified, "seed": split.seed}
        evaluation = None
        if evaluate:
            from entrec.training.evaluate import evaluate_engines, load_engines

            stage = work / "stage"
            package_model(stage, rules=rules, ner_dir=ner_dir, name=name, version=version,
                          training_data_sha256=sha)
            say("evaluating rules-only / model-only / hybrid on dev")
            engines = load_engines(stage / "model")
            evaluation = evaluate_engines(dev_docs, engines, labels=labels)
            if selection is not None:
                evaluation.extra["selection"] = {"summary": selection.summary,
                                                 "markdown": selection.markdown()}
            metrics["dev"] = evaluation.summary()
            metrics["dev"].pop("selection", None)
        tarball = package_model(out, rules=rules, ner_dir=ner_dir, name=name, version=version,
                                metrics=metrics, training_data_sha256=sha)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report_path = None
    if evaluation is not None:
        from entrec.training.evaluate import write_report

        report_path, _ = write_report(evaluation, out, title=f"{name} {version}: dev evaluation")
    return TrainingRun(out_dir=out, artifact=tarball, model_dir=lay.model_dir, metrics=metrics,
                       report_path=report_path, evaluation=evaluation, train=result,
                       import_report=imp, dev_import_report=dev_imp, split=split,
                       arbitration=selection.to_dict() if selection is not None else None,
                       seconds=time.perf_counter() - t0, heldout=heldout)
