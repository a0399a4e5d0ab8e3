"""Calibrated arbitration, estimated and selected on held-out folds of the training data.

The hybrid only helps where the rules add something the model misses without spoiling
what it gets right. How much to trust each rule against the model is not a matter of
opinion: it is measured. `entrec train` splits the *training* documents into k folds,
trains one model per fold on the other folds, and lets each fold model predict its own
held-out fold (out-of-fold candidates: every document is seen by a model that did not
train on it). On those candidates:

1. **Calibration.** For every source and rule (and label, and the grammar) and every
   situation (alone, agreeing with another source, the wider or the narrower side of a
   boundary fight) it counts how often a candidate is *exactly* a gold entity
   (`engine.arbiters.Calibration`). `calibrated.v1` resolves by those estimates and drops
   what falls below a threshold.
2. **Selection.** Every placement of the rules (presets, resolver; features when the model
   was trained with them) crossed with every policy (the pack's own, calibrated.v1 at a
   few thresholds, learned.v1 optionally, model precedence) is scored in exact-span F1 on
   the held-out folds; fitted policies are cross-fitted (fitted on the other folds,
   scored on this one), so no candidate is scored on data it was fitted on.
3. **Guarantee.** The best hybrid ships only if it beats model-only on the held-out
   folds; otherwise the artifact ships `model-precedence.v1` (the model decides every
   label it knows) and the report says so.

`--dev` is never used here (it only stops training early), and a dev split that rules
were written on cannot inflate the estimates. The run-time half (the policies) is in
`entrec.engine.arbiters`; this module only fits and selects (scikit-learn, for the
optional logistic regression, is a training dependency).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from entrec.engine.arbiters import Arbiter, Calibration, candidate_features
from entrec.engine.engine import ARBITRATION_FILE, ARBITRATION_FORMAT
from entrec.engine.entity import Candidate
from entrec.engine.resolver import Policy, ResolutionConfig, make_policy, resolve

__all__ = [
    "ARBITRATION_FILE", "PolicyCandidate", "Selection", "fit_arbiter", "fold_indices",
    "exact_prf", "select_arbitration", "THRESHOLDS", "FALLBACK",
]

#: thresholds of calibrated.v1 tried in selection (0: rank only, drop nothing)
THRESHOLDS = (0.0, 0.3, 0.4, 0.5)
#: what ships when no hybrid beats the model on the held-out folds
FALLBACK = ("resolver", "model-precedence.v1")


def fit_arbiter(candidate_lists: Sequence[Sequence[Candidate]], gold_docs: Sequence, *,
                seed: int = 0, c_reg: float = 1.0) -> Arbiter:
    """Logistic regression (learned.v1) on every candidate: target 1 when (start, end,
    label) is a gold span."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for cands, doc in zip(candidate_lists, gold_docs):
        gold = {(s.start, s.end, s.label) for s in doc.spans}
        for c in cands:
            X.append(candidate_features(c, cands))
            y.append(int((c.start, c.end, c.label) in gold))
    if not X or len(set(y)) < 2:
        return Arbiter(["score"], [1.0], 0.0)  # degenerate data: rank by score alone
    vec = DictVectorizer(sparse=True, sort=True)
    Xm = vec.fit_transform(X)
    clf = LogisticRegression(C=c_reg, max_iter=2000, random_state=seed)
    clf.fit(Xm, y)
    return Arbiter(list(vec.get_feature_names_out()), [float(v) for v in clf.coef_[0]],
                   float(clf.intercept_[0]))


def fold_indices(n: int, k: int, seed: int = 0) -> list[list[int]]:
    """`k` disjoint, sorted, reproducible folds of range(n) (shuffled with `seed`)."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    return [sorted(idx[i::k]) for i in range(k)]


def exact_prf(gold: Sequence[set[tuple[int, int, str]]], preds: Sequence[Sequence[Any]],
              labels: set[str]) -> tuple[float, float, float]:
    """Micro exact-span P/R/F1 over `labels` (predictions of other labels are not scored)."""
    tp = npred = ngold = 0
    for g, ps in zip(gold, preds):
        g = {x for x in g if x[2] in labels}
        p = {(e.start, e.end, e.label) for e in ps if e.label in labels}
        tp += len(g & p)
        npred += len(p)
        ngold += len(g)
    prec = tp / npred if npred else 0.0
    rec = tp / ngold if ngold else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


@dataclass
class PolicyCandidate:
    """One (placement, policy) tried in selection, with its held-out figures."""

    name: str
    placement: str
    policy: str
    params_kind: str | None = None  # "calibration" | "arbiter" | "model-labels" | None
    threshold: float = 0.0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    hybrid: bool = True

    def row(self) -> dict[str, Any]:
        return {"name": self.name, "placement": self.placement, "policy": self.policy,
                "threshold": self.threshold, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4), "hybrid": self.hybrid}


@dataclass
class Selection:
    """The outcome of selection: what ships, why, and every candidate's figures."""

    chosen: PolicyCandidate
    model_only: PolicyCandidate
    candidates: list[PolicyCandidate]
    params: dict[str, Any] | None
    folds: int
    n_docs: int
    fell_back: bool
    summary: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_file(self) -> dict[str, Any]:
        """The content of `ner/arbitration.json` (read by `Engine.load`)."""
        return {"format": ARBITRATION_FORMAT, "placement": self.chosen.placement,
                "policy": self.chosen.policy, "params": self.params,
                "selected": self.chosen.name, "summary": self.summary}

    def write(self, ner_dir: str | Path) -> Path:
        path = Path(ner_dir) / ARBITRATION_FILE
        path.write_text(json.dumps(self.to_file(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen.row(), "model_only": self.model_only.row(),
                "fell_back_to_model_precedence": self.fell_back, "folds": self.folds,
                "n_docs": self.n_docs, "summary": self.summary,
                "candidates": [c.row() for c in self.candidates], **self.extra}

    def markdown(self) -> str:
        rows = ["## Arbitration selected on held-out folds", "",
                f"{self.folds}-fold cross-validation on the training documents ({self.n_docs}): "
                "each fold's model predicts the fold it did not train on; fitted policies are "
                "cross-fitted. Exact-span figures in %.", "",
                "| candidate | placement | policy | exact P | exact R | exact F1 | shipped |",
                "|---|---|---|---|---|---|---|"]
        for c in self.candidates:
            rows.append(f"| {c.name} | {c.placement} | {c.policy} | {100 * c.precision:.2f} | "
                        f"{100 * c.recall:.2f} | {100 * c.f1:.2f} | {'**yes**' if c is self.chosen else ''} |")
        return "\n".join(rows + ["", self.summary])


def _params_for(kind: str | None, cand_lists, docs, golds, model_labels, threshold, seed):
    if kind == "calibration":
        return {"calibration": Calibration.count(cand_lists, golds).to_dict(), "threshold": threshold}
    if kind == "arbiter":
        return fit_arbiter(cand_lists, docs, seed=seed).to_dict()
    if kind == "model-labels":
        return {"model_labels": sorted(model_labels)}
    return None


def _resolve_all(texts, cand_lists, config: ResolutionConfig, policy: Policy) -> list[list[Candidate]]:
    return [resolve(t, cs, config, policy=policy).kept for t, cs in zip(texts, cand_lists)]


def select_arbitration(docs: Sequence, folds: Sequence[Sequence[int]],
                       oof: Mapping[str, Sequence[Sequence[Candidate]]], *,
                       config: ResolutionConfig, model_labels: Sequence[str],
                       labels: Sequence[str] | None = None, learned: bool = False, seed: int = 0,
                       log: Callable[[str], None] | None = None) -> Selection:
    """Score every (placement, policy) on out-of-fold candidates and pick what ships.

    docs: the training documents; folds: their k folds (indices); oof: placement -> per
    document, every candidate (rules, grammar, and the model of the fold that did not
    train on it), already carrying the priorities the engine gives them.
    """
    say = log or (lambda _m: None)
    docs = list(docs)
    texts = [d.text for d in docs]
    golds = [{(s.start, s.end, s.label) for s in d.spans} for d in docs]
    scored = set(labels or ()) | {s.label for d in docs for s in d.spans} | set(model_labels)
    fold_of = {i: k for k, f in enumerate(folds) for i in f}

    tried: list[PolicyCandidate] = []
    placements = [p for p in ("resolver", "presets", "features") if p in oof]
    base = "resolver" if "resolver" in oof else placements[0]
    model_only = PolicyCandidate("model-only", base, "model-precedence.v1", "model-labels", hybrid=False)
    tried.append(model_only)
    for pl in placements:
        tried.append(PolicyCandidate(f"{pl} + {config.policy}", pl, config.policy))
        for t in THRESHOLDS:
            tried.append(PolicyCandidate(f"{pl} + calibrated.v1 (threshold {t:.1f})", pl,
                                         "calibrated.v1", "calibration", threshold=t))
        if learned:
            tried.append(PolicyCandidate(f"{pl} + learned.v1", pl, "learned.v1", "arbiter"))
    if "resolver" in oof:
        tried.append(PolicyCandidate("resolver + model-precedence.v1", "resolver",
                                     "model-precedence.v1", "model-labels", hybrid=False))

    for cand in tried:
        cl = oof[cand.placement]
        if cand is model_only:
            cl = [[c for c in cs if c.source == "model"] for cs in cl]
        preds: list[list[Candidate]] = [[] for _ in docs]
        if cand.params_kind in ("calibration", "arbiter"):
            for k, held in enumerate(folds):
                fit = [i for i in range(len(docs)) if fold_of[i] != k]
                params = _params_for(cand.params_kind, [cl[i] for i in fit], [docs[i] for i in fit],
                                     [golds[i] for i in fit], model_labels, cand.threshold, seed)
                pol = make_policy(cand.policy, params)
                for i, kept in zip(held, _resolve_all([texts[i] for i in held], [cl[i] for i in held],
                                                      config, pol)):
                    preds[i] = kept
        else:
            params = _params_for(cand.params_kind, cl, docs, golds, model_labels, 0.0, seed)
            preds = _resolve_all(texts, cl, config, make_policy(cand.policy, params))
        cand.precision, cand.recall, cand.f1 = exact_prf(golds, preds, scored)
        say(f"  {cand.name:<44} exact P {100 * cand.precision:5.1f}  R {100 * cand.recall:5.1f}  "
            f"F1 {100 * cand.f1:5.2f}")

    hybrids = [c for c in tried if c.hybrid]
    best = max(hybrids, key=lambda c: (c.f1, -tried.index(c))) if hybrids else None
    fallback = next(c for c in tried if (c.placement, c.policy) == FALLBACK) \
        if "resolver" in oof else model_only
    if best is not None and best.f1 > model_only.f1:
        chosen, fell_back = best, False
        summary = (f"shipped `{best.name}`: exact F1 {100 * best.f1:.2f} on held-out folds vs "
                   f"model-only {100 * model_only.f1:.2f} (+{100 * (best.f1 - model_only.f1):.2f})")
    else:
        chosen, fell_back = fallback, True
        b = f"the best hybrid `{best.name}` reached {100 * best.f1:.2f}" if best else "no hybrid was possible"
        summary = (f"no hybrid beat model-only on held-out folds ({b} vs model-only "
                   f"{100 * model_only.f1:.2f}): shipped model precedence (`{chosen.policy}`), "
                   "so the rules only add labels the model does not predict")
    params = _params_for(chosen.params_kind, oof[chosen.placement], docs, golds, model_labels,
                         chosen.threshold, seed)
    say(summary)
    return Selection(chosen=chosen, model_only=model_only, candidates=tried, params=params,
                     folds=len(folds), n_docs=len(docs), fell_back=fell_back, summary=summary)
