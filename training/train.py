"""Train the spaCy NER on labeled documents: seeded, early-stopped on dev F1, on CPU.

Why our own loop and not `spacy train`: the labeled data are in memory (any importer
format), we want a per-epoch progress line (loss, dev P/R/F1, time), early stopping
measured in epochs, a wall-clock cap (`max_seconds`) for shared CPUs, and the option to
feed rule matches as a feature (see engine/ml.py). The architecture and the optimizer
still come from the spaCy config (training/config.py), so a config file changes them.

Determinism: one seed drives spaCy/thinc/numpy (`fix_random_seed`), the shuffle of each
epoch (`Random(seed + epoch)`) and the dev split; BLAS is held to one thread while
training (multi-threaded reductions can reorder float sums). Same data + seed + config
gives the same weights and the same predictions.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans, fix_random_seed, registry
from thinc.api import Config

from entrec.engine.errors import EntrecError
from entrec.engine.ml import RuleSpans, apply_rule_features
from entrec.training.vectors import settings_from, train_static_vectors

__all__ = [
    "AlignmentReport", "EpochStats", "TrainResult", "TrainingError", "build_nlp",
    "make_examples", "train_ner", "save_ner", "ProgressFn",
]


class TrainingError(EntrecError):
    code = "training-failed"


@dataclass
class AlignmentReport:
    """What happened to gold spans on the way to token-level training examples."""

    spans_total: int = 0
    spans_used: int = 0
    #: span boundaries inside a token: snapped outward to token boundaries
    spans_expanded: int = 0
    #: span covers no token (whitespace only) -> unusable
    spans_unaligned: int = 0
    #: overlapping/nested gold spans: NER is flat, the longest wins
    spans_overlapping: int = 0
    #: labels outside the requested label set
    spans_other_label: int = 0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class EpochStats:
    epoch: int
    loss: float
    dev_p: float
    dev_r: float
    dev_f: float
    seconds: float
    words_per_second: float
    best: bool


@dataclass
class TrainResult:
    nlp: Language
    epochs: list[EpochStats]
    best_epoch: int
    best_dev_f: float
    seconds: float
    stopped: str  # "patience" | "max_epochs" | "time_limit" | "time_budget"
    labels: tuple[str, ...]
    alignment_train: AlignmentReport
    alignment_dev: AlignmentReport
    config: Config = field(repr=False, default=None)  # type: ignore[assignment]
    #: the static vectors trained for this model (training/vectors.py), None without
    vectors: dict | None = None

    def summary(self) -> dict:
        return {
            "best_epoch": self.best_epoch, "best_dev_f": round(self.best_dev_f, 4),
            "epochs": len(self.epochs), "seconds": round(self.seconds, 1),
            "stopped": self.stopped, "labels": list(self.labels),
            "alignment_train": self.alignment_train.to_dict(),
            "alignment_dev": self.alignment_dev.to_dict(),
            "static_vectors": self.vectors,
        }


ProgressFn = Callable[[EpochStats], None]


def build_nlp(config: Config) -> Language:
    """An untrained pipeline from `config` with entrec's tokenizer rules installed."""
    from spacy.util import load_model_from_config

    from entrec.engine.tokenizer import customize_tokenizer

    try:
        nlp = load_model_from_config(config, auto_fill=True, validate=True)
    except Exception as exc:
        raise TrainingError(f"the spaCy config does not build a pipeline: {exc}",
                            code="train-config-invalid") from None
    return customize_tokenizer(nlp)


def make_examples(nlp: Language, docs: Sequence, *, labels: set[str] | None = None,
                  rule_spans: list[list[tuple[int, int, str]]] | None = None
                  ) -> tuple[list[Example], AlignmentReport]:
    """Examples with gold entities; every span that cannot be used is counted, not lost."""
    rep = AlignmentReport()
    examples = []
    for k, d in enumerate(docs):
        pred = nlp.make_doc(d.text)
        if rule_spans is not None:
            apply_rule_features(pred, rule_spans[k])
        ref = nlp.make_doc(d.text)
        spans = []
        for s in d.spans:
            rep.spans_total += 1
            if labels is not None and s.label not in labels:
                rep.spans_other_label += 1
                continue
            sp = ref.char_span(s.start, s.end, label=s.label)
            if sp is None:
                sp = ref.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
                if sp is None or not len(sp):
                    rep.spans_unaligned += 1
                    continue
                rep.spans_expanded += 1
            spans.append(sp)
        kept = filter_spans(spans)
        rep.spans_overlapping += len(spans) - len(kept)
        rep.spans_used += len(kept)
        ref.set_ents(kept, default="outside")
        examples.append(Example(pred, ref))
    return examples, rep


def _copy_for_prediction(nlp: Language, eg: Example, rule_features: bool) -> Doc:
    d = nlp.make_doc(eg.predicted.text)
    if rule_features:
        for t_src, t_dst in zip(eg.predicted, d):
            t_dst.tag_ = t_src.tag_
    return d


def _dev_counts(nlp: Language, dev: Sequence[Example], rule_features: bool) -> dict[str, list[int]]:
    """label -> [tp, predicted, gold] of the current weights on dev (greedy decoding)."""
    from entrec.engine.ml import _first_line, block_line_breaks

    docs = [block_line_breaks(_copy_for_prediction(nlp, eg, rule_features)) for eg in dev]
    for _name, proc in nlp.pipeline:
        docs = list(proc.pipe(docs, batch_size=256))
    counts: dict[str, list[int]] = {}
    for d, eg in zip(docs, dev):
        cuts = [(_first_line(e), e.label_) for e in d.ents]
        pred = {(c.start_char, c.end_char, lab) for c, lab in cuts if c is not None}
        gold = {(e.start_char, e.end_char, e.label_) for e in eg.reference.ents}
        for s, e, lab in pred:
            c = counts.setdefault(lab, [0, 0, 0])
            c[1] += 1
            c[0] += (s, e, lab) in gold
        for _s, _e, lab in gold:
            counts.setdefault(lab, [0, 0, 0])[2] += 1
    return counts


def _dev_scores(nlp: Language, dev: Sequence[Example], rule_features: bool) -> tuple[float, float, float]:
    """Exact char-span P/R/F1 of the current weights on dev."""
    counts = _dev_counts(nlp, dev, rule_features)
    tp = sum(c[0] for c in counts.values())
    n_pred = sum(c[1] for c in counts.values())
    n_gold = sum(c[2] for c in counts.values())
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def train_ner(train_docs: Sequence, dev_docs: Sequence, *, config: Config,
              labels: Sequence[str] | None = None, progress: ProgressFn | None = None,
              rule_spans: RuleSpans | None = None, fixed_epochs: int | None = None,
              label_precision: Mapping[str, float] | None = None,
              vector_texts: Sequence | None = None,
              deadline: float | None = None) -> TrainResult:
    """Train and return the pipeline holding the weights of the best dev-F1 epoch.

    `config` is a resolved-able spaCy config (training/config.py). When its
    `training.rule_features` is true, `rule_spans` (texts -> rule matches) must be given:
    the matches become the TAG feature of every training and dev document.

    `fixed_epochs`: train exactly that many epochs and keep the last (averaged) weights,
    without looking at `dev_docs` (may be empty) -- how cross-validation fold models are
    trained, so no held-out fold steers its own model. Their confidence scores are then
    `label_precision` (the final model's), so fold candidates look like shipped ones.

    `deadline` (a `time.time()` value, so a second process can be given the same one):
    no epoch starts that would, at the pace of the last one, end after it (at least one
    epoch always runs; `stopped` is then "time_budget"). This is how `entrec train` keeps
    a whole run within its time budget on a slower machine; the weights kept are still the
    best dev epoch's (the last epoch's for fold models).

    With `[training.static_vectors] enabled`, floret vectors are first trained on the
    training texts (plus `vector_texts`, unlabeled extra text or documents) and shipped
    in the pipeline (training/vectors.py).
    """
    from threadpoolctl import threadpool_limits

    t_cfg = config["training"]
    seed = int(t_cfg.get("seed", 0) or 0)
    max_epochs = int(t_cfg.get("max_epochs", 30))
    patience = int(t_cfg.get("patience", 4))
    max_seconds = float(t_cfg.get("max_seconds", 0) or 0)
    dropout = float(t_cfg.get("dropout", 0.1))
    rule_features = bool(t_cfg.get("rule_features", False))
    if rule_features and rule_spans is None:
        raise TrainingError("this config trains with rule features but no rules were given",
                            code="rule-features-need-rules", hint="pass --rules")
    if not train_docs:
        raise TrainingError("no training documents", code="no-training-data")
    if not dev_docs and fixed_epochs is None:
        raise TrainingError("no dev documents", code="no-dev-data")
    if fixed_epochs is not None:
        max_epochs, patience = max(1, int(fixed_epochs)), max(1, int(fixed_epochs))

    fix_random_seed(seed)
    nlp = build_nlp(config)
    vectors_info = None
    vec_settings = settings_from(t_cfg.get("static_vectors"))
    if vec_settings.enabled:
        # the training text only: dev F1 (early stopping, the model's confidences) stays a
        # measure on text the model has not seen in any form
        texts = [d.text for d in train_docs] + [getattr(d, "text", d) for d in (vector_texts or ())]
        vectors_info = train_static_vectors(nlp, texts, vec_settings)
    placement = "features" if rule_features else str(t_cfg.get("rule_placement", "presets"))
    nlp.meta["entrec"] = {"rule_placement": placement}
    label_set = set(labels) if labels else None
    tr_rules = rule_spans([d.text for d in train_docs]) if rule_features else None
    dv_rules = rule_spans([d.text for d in dev_docs]) if rule_features else None
    train_ex, rep_tr = make_examples(nlp, train_docs, labels=label_set, rule_spans=tr_rules)
    dev_ex, rep_dv = make_examples(nlp, dev_docs, labels=label_set, rule_spans=dv_rules)
    found = sorted({e.label_ for eg in train_ex for e in eg.reference.ents})
    if not found:
        raise TrainingError("the training documents have no usable entity spans",
                            code="no-training-spans")
    ner_name = next(n for n, p in nlp.pipeline if p.__class__.__name__ == "EntityRecognizer")
    ner = nlp.get_pipe(ner_name)
    for lab in sorted(set(found) | (label_set or set())):
        ner.add_label(lab)

    resolved = registry.resolve({"optimizer": t_cfg["optimizer"], "batcher": t_cfg["batcher"]})
    optimizer, batcher = resolved["optimizer"], resolved["batcher"]
    t0 = time.perf_counter()
    epochs: list[EpochStats] = []
    best_f, best_epoch, best_bytes = -1.0, 0, None
    stopped = "max_epochs"
    with threadpool_limits(limits=1):
        optimizer = nlp.initialize(lambda: train_ex, sgd=optimizer)
        for epoch in range(1, max_epochs + 1):
            te = time.perf_counter()
            order = list(train_ex)
            random.Random(seed + epoch).shuffle(order)
            losses: dict[str, float] = {}
            words = 0
            for batch in batcher(order):
                nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
                # advance learn-rate (etc.) schedules of the config, as `spacy train` does:
                # without this a `learn_rate = {"@schedules": ...}` stays at its first value
                optimizer.step_schedules()
                words += sum(len(eg.predicted) for eg in batch)
            # stop after this epoch when the clock says so: the last one is then the
            # one a fold model keeps (its weights are snapshot below)
            train_secs = time.perf_counter() - te
            out_of_time = bool(max_seconds) and time.perf_counter() - t0 >= max_seconds
            over_budget = deadline is not None and time.time() + train_secs > deadline
            with nlp.use_params(optimizer.averages) if optimizer.averages else _null():
                if fixed_epochs is not None:
                    p = r = f = 0.0
                    improved = epoch == max_epochs or out_of_time or over_budget
                else:
                    p, r, f = _dev_scores(nlp, dev_ex, rule_features)
                    improved = f > best_f
                if improved:
                    best_f, best_epoch = f, epoch
                    best_bytes = nlp.to_bytes()
            secs = time.perf_counter() - te
            stats = EpochStats(epoch=epoch, loss=float(sum(losses.values())), dev_p=p, dev_r=r,
                               dev_f=f, seconds=secs, words_per_second=words / secs if secs else 0.0,
                               best=improved)
            epochs.append(stats)
            if progress is not None:
                progress(stats)
            if fixed_epochs is None and epoch - best_epoch >= patience:
                stopped = "patience"
                break
            if out_of_time:
                stopped = "time_limit"
                break
            if fixed_epochs is None:
                # the next epoch would take about as long as this one (dev evaluation included)
                over_budget = deadline is not None and time.time() + secs > deadline
            if over_budget and epoch < max_epochs:
                stopped = "time_budget"
                break
    if best_bytes is not None:
        nlp.from_bytes(best_bytes)
    meta = dict(nlp.meta.get("entrec") or {})
    if fixed_epochs is not None:
        meta["label_precision"] = dict(label_precision or {})
    else:
        # the model source's confidence: smoothed per-label dev precision of the kept weights
        counts = _dev_counts(nlp, dev_ex, rule_features)
        meta["label_precision"] = {lab: round((c[0] + 1) / (c[1] + 2), 4) for lab, c in sorted(counts.items())}
        tp, npred = sum(c[0] for c in counts.values()), sum(c[1] for c in counts.values())
        meta["precision"] = round((tp + 1) / (npred + 2), 4)
    nlp.meta["entrec"] = meta
    return TrainResult(nlp=nlp, epochs=epochs, best_epoch=best_epoch, best_dev_f=max(best_f, 0.0),
                       seconds=time.perf_counter() - t0, stopped=stopped,
                       labels=tuple(ner.labels), alignment_train=rep_tr, alignment_dev=rep_dv,
                       config=config, vectors=vectors_info)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def save_ner(result_or_nlp, path: str | Path) -> Path:
    """Write the pipeline (config, weights, tokenizer with entrec's rules) to `path`."""
    nlp = getattr(result_or_nlp, "nlp", result_or_nlp)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return out
