"""Learned arbitration: a logistic regression that ranks conflicting candidates.

The default policy (`priority-longest.v1`) decides a conflict by rule priority, then span
length, then source order. That is predictable, but it cannot know that on some data the
model's long LEGISLACAO spans are right more often than a rule's short ones, or that a rule
is reliable only when the model agrees. The learned policy scores every candidate with
P(candidate is exactly a gold entity | features) and the resolver keeps the most probable
non-overlapping ones (same greedy walk, only the order changes).

Features (all from the candidate and the candidates overlapping it; no label-name logic):
source, label, source x label, rule id (one-hot), priority, log length, score, and the
overlap shape — how many candidates overlap it, whether it contains / is inside / crosses
another, whether another source proposes the same span (agreement) or the same span with
another label, whether it is the longest of its cluster.

Training data: the hybrid engine's own candidates on labeled documents the model did not
train on (the dev set), target = exact gold match. Whether to keep it is decided honestly:
2-fold cross-fitting on dev (fit on one half, resolve the other) against the default policy;
`keep` only when the learned policy's exact F1 is higher. The model is stored as JSON
(feature names, coefficients, intercept): no pickle, nothing executable in an artifact.

Use: `@register_policy("learned.v1")`; a rule pack selects it with
`resolution: {policy: learned.v1}` and the arbiter is found next to the NER model
(`ner/arbiter.json`), via `use_arbiter(path)` or the `ENTREC_ARBITER` variable. Without an
arbiter the policy falls back to the default ranking, so a pack never breaks.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from entrec.engine.entity import Candidate
from entrec.engine.resolver import ResolutionConfig, get_policy, register_policy, resolve

__all__ = [
    "ARBITER_FILE", "Arbiter", "candidate_features", "fit_arbiter", "LearnedPolicy",
    "use_arbiter", "compare_on_dev", "all_candidates",
]

ARBITER_FILE = "arbiter.json"
FALLBACK_POLICY = "priority-longest.v1"


def _ckey(c: Candidate) -> tuple:
    return (c.start, c.end, c.label, c.source, c.rule_id or "")


def candidate_features(c: Candidate, others: Sequence[Candidate]) -> dict[str, float]:
    """Features of `c` among `others` (all candidates of the same text, `c` included)."""
    f: dict[str, float] = {
        f"src={c.source}": 1.0,
        f"label={c.label}": 1.0,
        f"src_label={c.source}|{c.label}": 1.0,
        "priority": c.priority / 10.0,
        "log_len": math.log1p(c.length),
        "score": float(c.score),
        "bias_model_score": float(c.score) if c.source == "model" else 0.0,
    }
    if c.rule_id:
        f[f"rule={c.rule_id}"] = 1.0
    n = contains = inside = crosses = agree = same_span_other = agree_label = 0
    longest = True
    for o in others:
        if o is c or _ckey(o) == _ckey(c) or not (o.start < c.end and c.start < o.end):
            continue
        n += 1
        if (o.start, o.end) == (c.start, c.end):
            if o.label == c.label:
                agree += o.source != c.source
            else:
                same_span_other += 1
        elif o.start <= c.start and c.end <= o.end:
            inside += 1
        elif c.start <= o.start and o.end <= c.end:
            contains += 1
        else:
            crosses += 1
        if o.label == c.label and o.source != c.source:
            agree_label += 1
        if o.length > c.length:
            longest = False
    f.update({"n_overlap": float(n), "alone": float(n == 0), "contains": float(contains > 0),
              "inside": float(inside > 0), "crosses": float(crosses > 0),
              "agree_same_span": float(agree > 0), "same_span_other_label": float(same_span_other > 0),
              "agree_label_overlap": float(agree_label > 0), "longest": float(longest)})
    return f


@dataclass
class Arbiter:
    """A fitted logistic regression in plain numbers."""

    features: list[str]
    coef: list[float]
    intercept: float

    def __post_init__(self) -> None:
        self._w = dict(zip(self.features, self.coef))

    def proba(self, feats: dict[str, float]) -> float:
        z = self.intercept + sum(self._w.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_json(self) -> str:
        return json.dumps({"kind": "logistic-regression.v1", "features": self.features,
                           "coef": self.coef, "intercept": self.intercept}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Arbiter":
        d = json.loads(text)
        if d.get("kind") != "logistic-regression.v1":
            raise ValueError(f"unknown arbiter kind {d.get('kind')!r}")
        return cls(list(d["features"]), [float(x) for x in d["coef"]], float(d["intercept"]))

    @classmethod
    def load(cls, path: str | Path) -> "Arbiter":
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def fit_arbiter(candidate_lists: Sequence[Sequence[Candidate]], gold_docs: Sequence, *,
                seed: int = 0, c_reg: float = 1.0) -> Arbiter:
    """Fit on every candidate: target 1 when (start, end, label) is a gold span."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    X, y = [], []
    for cands, doc in zip(candidate_lists, gold_docs):
        gold = {(s.start, s.end, s.label) for s in doc.spans}
        for c in cands:
            X.append(candidate_features(c, cands))
            y.append(int((c.start, c.end, c.label) in gold))
    if not X or len(set(y)) < 2:
        # degenerate data: an arbiter that ranks by score alone
        return Arbiter(["score"], [1.0], 0.0)
    vec = DictVectorizer(sparse=False, sort=True)
    Xm = vec.fit_transform(X)
    clf = LogisticRegression(C=c_reg, max_iter=2000, random_state=seed)
    clf.fit(Xm, y)
    return Arbiter(list(vec.get_feature_names_out()), [float(v) for v in clf.coef_[0]],
                   float(clf.intercept_[0]))


_ACTIVE: dict[str, Arbiter | None] = {"arbiter": None}


def use_arbiter(arbiter: Arbiter | str | Path | None) -> None:
    """Set the arbiter the registered `learned.v1` policy uses (None: fall back)."""
    if arbiter is not None and not isinstance(arbiter, Arbiter):
        arbiter = Arbiter.load(arbiter)
    _ACTIVE["arbiter"] = arbiter


@register_policy("learned.v1")
class LearnedPolicy:
    """Ranks candidates by the arbiter's probability (ties: position, then identity)."""

    name = "learned.v1"

    def __init__(self, arbiter: Arbiter | None = None):
        self.arbiter = arbiter
        self._last: dict[tuple, float] = {}

    def _arbiter(self) -> Arbiter | None:
        if self.arbiter is not None:
            return self.arbiter
        if _ACTIVE["arbiter"] is None and os.environ.get("ENTREC_ARBITER"):
            use_arbiter(os.environ["ENTREC_ARBITER"])
        return _ACTIVE["arbiter"]

    def rank(self, candidates: Sequence[Candidate], config: ResolutionConfig) -> list[Candidate]:
        arb = self._arbiter()
        if arb is None:
            return get_policy(FALLBACK_POLICY).rank(candidates, config)
        probs = {_ckey(c): arb.proba(candidate_features(c, candidates)) for c in candidates}
        self._last = probs
        return sorted(candidates, key=lambda c: (-probs[_ckey(c)], c.start, c.end, _ckey(c)))

    def explain(self, loser: Candidate, winner: Candidate, config: ResolutionConfig) -> str:
        if self._arbiter() is None:
            return get_policy(FALLBACK_POLICY).explain(loser, winner, config)
        pl, pw = self._last.get(_ckey(loser), 0.0), self._last.get(_ckey(winner), 0.0)
        who = winner.rule_id or f"{winner.source}:{winner.label}"
        return f"lost to {who}: learned arbiter p={pl:.2f} < {pw:.2f}"


# ---------------------------------------------------------------------- evaluation
def all_candidates(engine: Any, texts: Sequence[str]) -> tuple[list[list[Candidate]], list[list[Any]]]:
    """Every candidate the hybrid engine considered per text, and its default result."""
    cands, default = [], []
    for t in texts:
        res = engine.explain(t)
        cands.append(list(res.kept) + [d.candidate for d in res.discarded])
        default.append(res.entities)
    return cands, default


def _resolve_all(texts, cand_lists, config, policy) -> list[list[Any]]:
    return [resolve(t, cs, config, policy=policy).entities for t, cs in zip(texts, cand_lists)]


def compare_on_dev(engine: Any, dev_docs: Sequence, *, labels: Sequence[str] | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Default policy vs learned policy on dev, learned one cross-fitted in 2 folds.

    Returns figures, `keep` (learned strictly better in exact F1) and `model_json` (the
    arbiter fitted on the whole dev set).
    """
    from entrec.training.metrics import score_documents

    docs = list(dev_docs)
    texts = [d.text for d in docs]
    config = engine.runtimes[engine.default_lang].config
    cand_lists, default = all_candidates(engine, texts)
    n_conflict_docs = sum(1 for cs in cand_lists
                          if any(a is not b and a.overlaps(b) for a in cs for b in cs))
    folds = [list(range(0, len(docs), 2)), list(range(1, len(docs), 2))]
    learned: list[list[Any]] = [[] for _ in docs]
    for k in (0, 1):
        fit_idx, eval_idx = folds[1 - k], folds[k]
        arb = fit_arbiter([cand_lists[i] for i in fit_idx], [docs[i] for i in fit_idx], seed=seed)
        pol = LearnedPolicy(arb)
        for i, ents in zip(eval_idx, _resolve_all([texts[i] for i in eval_idx],
                                                  [cand_lists[i] for i in eval_idx], config, pol)):
            learned[i] = ents
    keep_labels = set(labels) if labels else None
    s_def = score_documents(docs, default, labels=keep_labels)
    s_learn = score_documents(docs, learned, labels=keep_labels)
    final = fit_arbiter(cand_lists, docs, seed=seed)
    d_f, l_f = s_def.overall.f1, s_learn.overall.f1
    keep = l_f > d_f
    summary = (f"default {config.policy} exact F1 {100 * d_f:.2f} vs learned.v1 (2-fold cross-fit on "
               f"dev) {100 * l_f:.2f} -> {'keep learned' if keep else 'keep default'}; "
               f"{n_conflict_docs}/{len(docs)} documents had overlapping candidates")
    md = "\n".join([
        "## Learned arbitration", "",
        "| policy | exact P | exact R | exact F1 | partial F1 |", "|---|---|---|---|---|",
        f"| {config.policy} | {100 * s_def.overall.precision:.2f} | {100 * s_def.overall.recall:.2f} | "
        f"{100 * d_f:.2f} | {100 * s_def.overall.partial_f1:.2f} |",
        f"| learned.v1 (cross-fit) | {100 * s_learn.overall.precision:.2f} | "
        f"{100 * s_learn.overall.recall:.2f} | {100 * l_f:.2f} | {100 * s_learn.overall.partial_f1:.2f} |",
        "", summary])
    return {"default_policy": config.policy, "default_f1": round(d_f, 4),
            "learned_f1": round(l_f, 4), "keep": keep, "conflict_docs": n_conflict_docs,
            "summary": summary, "markdown": md, "model_json": final.to_json()}
