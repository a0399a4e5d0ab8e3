"""The run-time half of the arbitration policies a training run can select and ship.

`entrec train` estimates on held-out folds how far to trust each source against the others
(training/arbitration.py) and writes its choice next to the model (`ner/arbitration.json`).
These classes read that choice and rank candidates with plain arithmetic: no scikit-learn,
nothing executable in an artifact, no state between calls.

* `calibrated.v1` (`CalibratedPolicy`): a table of exact-span precisions estimated by
  k-fold cross-validation for each (source, rule or label, situation), where the
  situation is how a candidate meets the other sources (alone, agreeing on the same span,
  or fighting over the boundary as the wider or the narrower span). A candidate's
  estimate backs off to coarser cells when its own cell saw little data. The resolver
  keeps the most trusted candidates first; a candidate below the selected threshold is
  dropped. So a rule whose spans follow another convention than the annotators' loses
  boundary fights to a confident model but still adds what the model misses.
* `learned.v1` (`LearnedPolicy`): a logistic regression over candidate features.
* `model-precedence.v1` (`ModelPrecedence`): the model decides every label it knows;
  other sources only add labels the model does not predict. On the model's labels its
  result is exactly the model's, which is what training ships when no hybrid beat the
  model on the held-out folds.

Policies are stateless: `decide` returns a per-call `Decision` (order, drops, and the
explanations of this call), so one engine may serve several threads and two engines with
different arbiters never share anything.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .entity import Candidate

__all__ = [
    "Decision", "candidate_features", "situation", "Arbiter", "Calibration", "LearnedPolicy",
    "CalibratedPolicy", "ModelPrecedence", "SITUATIONS",
]

#: how a candidate meets the candidates of other sources
SITUATIONS = ("alone", "agree", "wider", "narrower", "other")


@dataclass
class Decision:
    """One call's ranking: candidates best-first, the ones dropped outright (with why), and
    how to explain a loss. Built per call, never stored on the policy."""

    ranked: list[Candidate]
    dropped: list[tuple[Candidate, str]] = field(default_factory=list)
    explain: Callable[[Candidate, Candidate], str] = field(default=lambda loser, winner: "")


def _who(c: Candidate) -> str:
    return c.rule_id or f"{c.source}:{c.label}"


def _ckey(c: Candidate) -> tuple:
    return (c.start, c.end, c.label, c.source, c.rule_id or "")


def situation(c: Candidate, others: Sequence[Candidate]) -> str:
    """How `c` meets the candidates of *other* sources (see SITUATIONS).

    agree: another source proposes the same span and label; wider / narrower: it overlaps
    another source's span and is longer / shorter (a boundary fight); other: an overlap of
    the same length or another label on the same span; alone: no other source overlaps it.
    """
    shape = "alone"
    for o in others:
        if o.source == c.source or not (o.start < c.end and c.start < o.end):
            continue
        if (o.start, o.end, o.label) == (c.start, c.end, c.label):
            return "agree"
        if c.length > o.length:
            shape = "wider" if shape in ("alone", "wider") else "other"
        elif c.length < o.length:
            shape = "narrower" if shape in ("alone", "narrower") else "other"
        else:
            shape = "other"
    return shape


# ---------------------------------------------------------------------- calibrated.v1
@dataclass(frozen=True)
class Calibration:
    """Exact-span hit counts per cell, with backoff from fine to coarse.

    Cells (keys joined by "|"): (source, rule-or-label, label, situation), then
    (source, label, situation), then (source, situation), then everything. Each level is
    the smoothed rate of its counts pulled toward the level above with `strength` pseudo
    counts, so a rule seen twice is judged mostly by its source and situation.
    """

    counts: Mapping[str, tuple[int, int]]  # key -> (exact hits, candidates)
    strength: float = 5.0

    @staticmethod
    def keys(c: Candidate, sit: str) -> tuple[str, str, str, str]:
        who = c.rule_id or "*"
        return ("all", f"{c.source}|{sit}", f"{c.source}|{c.label}|{sit}",
                f"{c.source}|{who}|{c.label}|{sit}")

    def estimate(self, c: Candidate, sit: str) -> float:
        p = 0.5
        for i, key in enumerate(self.keys(c, sit)):
            hits, n = self.counts.get(key, (0, 0))
            m = 2.0 if i == 0 else self.strength
            p = (hits + m * p) / (n + m)
        return p

    @classmethod
    def count(cls, candidate_lists: Iterable[Sequence[Candidate]], gold: Iterable[set[tuple[int, int, str]]],
              strength: float = 5.0) -> "Calibration":
        counts: dict[str, list[int]] = {}
        for cands, g in zip(candidate_lists, gold):
            for c in _unique(cands):
                hit = int((c.start, c.end, c.label) in g)
                for key in cls.keys(c, situation(c, cands)):
                    cell = counts.setdefault(key, [0, 0])
                    cell[0] += hit
                    cell[1] += 1
        return cls({k: (v[0], v[1]) for k, v in counts.items()}, strength)

    def to_dict(self) -> dict[str, Any]:
        return {"strength": self.strength, "counts": {k: list(v) for k, v in sorted(self.counts.items())}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Calibration":
        return cls({str(k): (int(v[0]), int(v[1])) for k, v in d["counts"].items()},
                   float(d.get("strength", 5.0)))


def _unique(cands: Sequence[Candidate]) -> list[Candidate]:
    seen, out = set(), []
    for c in cands:
        if _ckey(c) not in seen:
            seen.add(_ckey(c))
            out.append(c)
    return out


class CalibratedPolicy:
    """Rank by the estimated exact-span precision of each candidate in its situation;
    drop candidates whose estimate is below `threshold`. Without a calibration it ranks
    like its `fallback` (the pack's plain policy), so a pack naming it never breaks."""

    name = "calibrated.v1"
    #: how the resolver labels a lost fight (`Discarded.reason_code`)
    criteria = ("arbiter",)

    def __init__(self, calibration: Calibration | None = None, threshold: float = 0.0,
                 fallback: Any = None):
        self.calibration = calibration
        self.threshold = float(threshold)
        self.fallback = fallback

    def with_params(self, params: Mapping[str, Any]) -> "CalibratedPolicy":
        return CalibratedPolicy(Calibration.from_dict(params["calibration"]),
                                float(params.get("threshold", 0.0)), self.fallback)

    def params(self) -> dict[str, Any]:
        return {"calibration": self.calibration.to_dict() if self.calibration else None,
                "threshold": self.threshold}

    def estimates(self, candidates: Sequence[Candidate]) -> dict[tuple, tuple[float, str]]:
        assert self.calibration is not None
        return {_ckey(c): (self.calibration.estimate(c, s := situation(c, candidates)), s)
                for c in candidates}

    def decide(self, candidates: Sequence[Candidate], config: Any) -> Decision:
        if self.calibration is None:
            return _fallback_decision(self.fallback, candidates, config)
        est = self.estimates(candidates)
        kept, dropped = [], []
        for c in candidates:
            p, sit = est[_ckey(c)]
            if p < self.threshold:
                dropped.append((c, f"dropped: estimated precision {p:.2f} of {_who(c)} ({sit}) "
                                   f"is below the threshold {self.threshold:.2f}"))
            else:
                kept.append(c)
        ranked = sorted(kept, key=lambda c: (-est[_ckey(c)][0], -c.length, c.start, _ckey(c)))

        def explain(loser: Candidate, winner: Candidate) -> str:
            (pl, sl), (pw, sw) = est[_ckey(loser)], est[_ckey(winner)]
            return (f"lost to {_who(winner)}: estimated precision {pl:.2f} ({sl}) "
                    f"< {pw:.2f} ({sw})")

        return Decision(ranked, dropped, explain)

    # the plain Policy protocol, for callers that only rank
    def rank(self, candidates: Sequence[Candidate], config: Any) -> list[Candidate]:
        return self.decide(candidates, config).ranked

    def explain(self, loser: Candidate, winner: Candidate, config: Any) -> str:
        return self.decide([loser, winner], config).explain(loser, winner)


# ---------------------------------------------------------------------- learned.v1
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
    """A fitted logistic regression in plain numbers (JSON, no pickle)."""

    features: list[str]
    coef: list[float]
    intercept: float

    def __post_init__(self) -> None:
        self._w = dict(zip(self.features, self.coef))

    def proba(self, feats: Mapping[str, float]) -> float:
        z = self.intercept + sum(self._w.get(k, 0.0) * v for k, v in feats.items())
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "logistic-regression.v1", "features": self.features,
                "coef": self.coef, "intercept": self.intercept}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Arbiter":
        if d.get("kind") != "logistic-regression.v1":
            raise ValueError(f"unknown arbiter kind {d.get('kind')!r}")
        return cls(list(d["features"]), [float(x) for x in d["coef"]], float(d["intercept"]))

    @classmethod
    def from_json(cls, text: str) -> "Arbiter":
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> "Arbiter":
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


class LearnedPolicy:
    """Ranks candidates by the arbiter's probability of being exactly right."""

    name = "learned.v1"
    #: how the resolver labels a lost fight (`Discarded.reason_code`)
    criteria = ("arbiter",)

    def __init__(self, arbiter: Arbiter | None = None, fallback: Any = None):
        self.arbiter = arbiter
        self.fallback = fallback

    def with_params(self, params: Mapping[str, Any]) -> "LearnedPolicy":
        return LearnedPolicy(Arbiter.from_dict(params), self.fallback)

    def params(self) -> dict[str, Any]:
        return self.arbiter.to_dict() if self.arbiter else {}

    def decide(self, candidates: Sequence[Candidate], config: Any) -> Decision:
        arb = self.arbiter
        if arb is None:
            return _fallback_decision(self.fallback, candidates, config)
        probs = {_ckey(c): arb.proba(candidate_features(c, candidates)) for c in candidates}
        ranked = sorted(candidates, key=lambda c: (-probs[_ckey(c)], c.start, c.end, _ckey(c)))

        def explain(loser: Candidate, winner: Candidate) -> str:
            return (f"lost to {_who(winner)}: learned arbiter p={probs[_ckey(loser)]:.2f} "
                    f"< {probs[_ckey(winner)]:.2f}")

        return Decision(ranked, [], explain)

    def rank(self, candidates: Sequence[Candidate], config: Any) -> list[Candidate]:
        return self.decide(candidates, config).ranked

    def explain(self, loser: Candidate, winner: Candidate, config: Any) -> str:
        return self.decide([loser, winner], config).explain(loser, winner)


# ---------------------------------------------------------------------- model-precedence.v1
class ModelPrecedence:
    """The model owns its labels: model candidates win every conflict, and a rule or
    grammar candidate with a label the model predicts is dropped. Others rank like the
    fallback policy (the pack's)."""

    name = "model-precedence.v1"

    def __init__(self, model_labels: Iterable[str] = (), fallback: Any = None):
        self.model_labels = frozenset(model_labels)
        self.fallback = fallback

    def with_params(self, params: Mapping[str, Any]) -> "ModelPrecedence":
        return ModelPrecedence(params.get("model_labels", ()), self.fallback)

    def params(self) -> dict[str, Any]:
        return {"model_labels": sorted(self.model_labels)}

    def decide(self, candidates: Sequence[Candidate], config: Any) -> Decision:
        owned = self.model_labels | {c.label for c in candidates if c.source == "model"}
        model = [c for c in candidates if c.source == "model"]
        rest, dropped = [], []
        for c in candidates:
            if c.source == "model":
                continue
            if c.label in owned:
                dropped.append((c, f"dropped: label {c.label} is left to the model (model precedence)"))
            else:
                rest.append(c)
        base = _fallback_decision(self.fallback, rest, config)
        ranked = sorted(model, key=lambda c: (-c.length, c.start, _ckey(c))) + base.ranked

        def explain(loser: Candidate, winner: Candidate) -> str:
            if winner.source == "model" and loser.source != "model":
                return f"lost to {_who(winner)}: the model takes precedence"
            return base.explain(loser, winner)

        return Decision(ranked, base.dropped + dropped, explain)

    def rank(self, candidates: Sequence[Candidate], config: Any) -> list[Candidate]:
        return self.decide(candidates, config).ranked

    def explain(self, loser: Candidate, winner: Candidate, config: Any) -> str:
        return self.decide([loser, winner], config).explain(loser, winner)


def _fallback_decision(fallback: Any, candidates: Sequence[Candidate], config: Any) -> Decision:
    if fallback is None:
        ranked = sorted(candidates, key=lambda c: (-c.priority, -c.length, c.start, _ckey(c)))
        return Decision(ranked, [], lambda loser, winner: f"lost to {_who(winner)}")
    return Decision(fallback.rank(list(candidates), config), [],
                    lambda loser, winner: fallback.explain(loser, winner, config))
