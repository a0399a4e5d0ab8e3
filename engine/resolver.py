"""Conflict resolution: every candidate in, non-overlapping entities out, every loss explained.

A policy ranks candidates best-first; the resolver then walks that order greedily, keeping a
candidate unless it overlaps one already kept. Ranking never depends on label names or on
the order rules were written in, so renaming a label or reordering a file cannot change a
result. Policies are registered by versioned name (`priority-longest.v1`), like spaCy's span
filters, and chosen in a rule file's `resolution:` section.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence

from .arbiters import CalibratedPolicy, Decision, LearnedPolicy, ModelPrecedence
from .entity import SOURCES, Candidate, Entity
from .errors import EntrecError

__all__ = [
    "ResolutionConfig", "Discarded", "Resolution", "Policy", "register_policy", "get_policy",
    "POLICIES", "resolve", "REASON_CODES", "reason_code", "make_policy", "Decision",
]

#: machine-readable reasons a candidate lost (`Discarded.reason_code`): `duplicate` = same
#: span and label as the winner (not a real conflict); `nested` = inside the winner's span;
#: `overlap-priority` / `overlap-longer` = overlapping, lost on priority / on span length;
#: `overlap-tie` = overlapping, equal priority and length (source order, score or position);
#: `overlap-arbiter` = overlapping, lost on the shipped arbitration's estimate (calibrated,
#: learned, model precedence); `dropped` = removed by the policy itself, no winner (an
#: estimated precision below the shipped threshold, or a label left to the model)
REASON_CODES = ("duplicate", "nested", "overlap-priority", "overlap-longer", "overlap-tie",
                "overlap-arbiter", "dropped")


@dataclass(frozen=True)
class ResolutionConfig:
    policy: str = "priority-longest.v1"
    #: keep a candidate nested inside a kept one when the labels differ
    keep_nested: bool = False
    #: tie-break order between sources (earlier wins)
    source_order: tuple[str, ...] = ("rule", "grammar", "model")
    #: priority given to grammar/model candidates (rules carry their own)
    source_priority: tuple[tuple[str, int], ...] = (("grammar", 20), ("model", 0))

    def priority_of(self, source: str) -> int | None:
        return dict(self.source_priority).get(source)


@dataclass(frozen=True)
class Discarded:
    candidate: Candidate
    #: the kept candidate it lost to; None when the policy dropped it outright
    #: (e.g. an estimated precision below the shipped threshold)
    winner: Candidate | None
    reason: str
    #: one of REASON_CODES (the human `reason` text stays as it was)
    reason_code: str = "overlap-tie"

    def to_dict(self, text: str | None = None) -> dict:
        d = {"candidate": _cand_dict(self.candidate, text), "winner": _cand_dict(self.winner, text),
             "reason": self.reason, "reason_code": self.reason_code}
        return d


def _cand_dict(c: Candidate | None, text: str | None) -> dict | None:
    if c is None:
        return None
    d = {"start": c.start, "end": c.end, "label": c.label, "source": c.source,
         "rule_id": c.rule_id, "priority": c.priority, "score": c.score}
    if text is not None:
        d["text"] = text[c.start:c.end]
    return d


@dataclass
class Resolution:
    text: str
    kept: list[Candidate]
    discarded: list[Discarded] = field(default_factory=list)

    @property
    def entities(self) -> list[Entity]:
        return [c.to_entity(self.text) for c in self.kept]


class Policy(Protocol):
    name: str

    def rank(self, candidates: Sequence[Candidate], config: ResolutionConfig) -> list[Candidate]:
        """Candidates best-first."""
        ...

    def explain(self, loser: Candidate, winner: Candidate, config: ResolutionConfig) -> str:
        ...


POLICIES: dict[str, Policy] = {}


def register_policy(name: str) -> Callable:
    """Class decorator: `@register_policy("my-policy.v1")`. Names are versioned so a changed
    behaviour gets a new name and old rule files keep their meaning."""

    def deco(cls):
        inst = cls()
        inst.name = name
        POLICIES[name] = inst
        return cls

    return deco


def get_policy(name: str) -> Policy:
    """The registered policy `name` as configured by default (no fitted parameters)."""
    try:
        return POLICIES[name]
    except KeyError:
        from .diagnostics import did_you_mean

        raise EntrecError(f"unknown resolution policy {name!r}", code="policy-unknown",
                          hint=did_you_mean(name, POLICIES) or f"one of: {', '.join(sorted(POLICIES))}") from None


def make_policy(name: str, params: Mapping[str, Any] | None = None) -> Policy:
    """A new policy instance with fitted `params` (an arbiter shipped with a model); the
    registered instance when there are none. Each engine owns what this returns."""
    base = get_policy(name)
    if not params:
        return base
    with_params = getattr(base, "with_params", None)
    if with_params is None:
        raise EntrecError(f"resolution policy {name!r} takes no parameters", code="policy-params-invalid")
    try:
        return with_params(params)
    except (KeyError, TypeError, ValueError) as exc:
        raise EntrecError(f"invalid parameters for resolution policy {name!r}: {exc}",
                          code="policy-params-invalid") from None


def is_known_policy(name: str) -> bool:
    try:
        get_policy(name)
        return True
    except EntrecError:
        return False


@lru_cache(maxsize=64)
def _source_ranks(source_order: tuple[str, ...]) -> dict[str, int]:
    order = list(source_order) + [s for s in SOURCES if s not in source_order]
    return {s: i for i, s in enumerate(order)}


def _source_rank(c: Candidate, config: ResolutionConfig) -> int:
    return _source_ranks(config.source_order)[c.source]


#: one criterion of a `_KeyPolicy` as a key part (smaller is better), given the source ranks
_KEY_PARTS: dict[str, Callable[[Mapping[str, int]], Callable[[Candidate], Any]]] = {
    "priority": lambda ranks: lambda c: -c.priority,
    "length": lambda ranks: lambda c: c.start - c.end,
    "source": lambda ranks: lambda c: ranks[c.source],
    "score": lambda ranks: lambda c: -c.score,
}


@lru_cache(maxsize=64)
def _key_function(criteria: tuple[str, ...], source_order: tuple[str, ...]) -> Callable[[Candidate], tuple]:
    """The ranking key of a `_KeyPolicy`: the criteria in order, then position and identity
    (a total order, so the ranking never depends on input order). Built once per
    (criteria, source order): this runs per candidate."""
    ranks = _source_ranks(source_order)
    if criteria == ("priority", "length", "source", "score"):  # the default policy, unrolled
        return lambda c: (-c.priority, c.start - c.end, ranks[c.source], -c.score, (c.start, c.end),
                          (c.rule_id or "", c.source, c.label))
    parts = tuple(_KEY_PARTS[k](ranks) for k in criteria)
    return lambda c: (*[f(c) for f in parts], (c.start, c.end), (c.rule_id or "", c.source, c.label))


def _who(c: Candidate) -> str:
    return c.rule_id or f"{c.source}:{c.label}"


class _KeyPolicy:
    """A policy defined by an ordered list of (criterion name, key function)."""

    name = ""
    criteria: tuple[str, ...] = ()

    def _parts(self, c: Candidate, config: ResolutionConfig) -> dict[str, object]:
        return {
            "priority": -c.priority,
            "length": -c.length,
            "source": _source_rank(c, config),
            "score": -c.score,
            "position": (c.start, c.end),
            "identity": (c.rule_id or "", c.source, c.label),
        }

    def sort_key(self, c: Candidate, config: ResolutionConfig) -> tuple:
        return _key_function(self.criteria, config.source_order)(c)

    def rank(self, candidates: Sequence[Candidate], config: ResolutionConfig) -> list[Candidate]:
        return sorted(candidates, key=_key_function(self.criteria, config.source_order))

    def explain(self, loser: Candidate, winner: Candidate, config: ResolutionConfig) -> str:
        head = f"lost to {_who(winner)}"
        same = (loser.start, loser.end, loser.label) == (winner.start, winner.end, winner.label)
        tail = " (same span and label)" if same else ""
        for crit in self.criteria + ("position",):
            a, b = self._parts(loser, config)[crit], self._parts(winner, config)[crit]
            if a == b:
                continue
            if crit == "priority":
                return f"{head}: lower priority {loser.priority} < {winner.priority}{tail}"
            if crit == "length":
                return f"{head}: shorter span {loser.length} < {winner.length} chars{tail}"
            if crit == "source":
                return f"{head}: source order {loser.source} after {winner.source}{tail}"
            if crit == "score":
                return f"{head}: lower score {loser.score:.3f} < {winner.score:.3f}{tail}"
            return f"{head}: starts later ({loser.start} > {winner.start})"
        if same:
            return f"{head}: duplicate of the same span and label"
        return f"{head}: tie broken by rule id"


@register_policy("priority-longest.v1")
class PriorityLongest(_KeyPolicy):
    """Higher priority, then longer span, then source order, then score, then earliest."""

    criteria = ("priority", "length", "source", "score")


@register_policy("longest-priority.v1")
class LongestPriority(_KeyPolicy):
    """Longer span first (maximal munch), then priority, source order, score, earliest."""

    criteria = ("length", "priority", "source", "score")


# policies whose fitted parameters ship with a model (engine/arbiters.py); without
# parameters they rank like the default policy
POLICIES["calibrated.v1"] = CalibratedPolicy(fallback=POLICIES["priority-longest.v1"])
POLICIES["learned.v1"] = LearnedPolicy(fallback=POLICIES["priority-longest.v1"])
POLICIES["model-precedence.v1"] = ModelPrecedence(fallback=POLICIES["priority-longest.v1"])


def _decide(policy: Policy, candidates: list[Candidate], config: ResolutionConfig) -> Decision:
    """The policy's per-call decision: its own `decide` when it has one (nothing of the
    call is kept on the policy, so resolving is thread-safe), else rank + explain."""
    decide = getattr(policy, "decide", None)
    if decide is not None:
        return decide(candidates, config)
    return Decision(policy.rank(candidates, config), [],
                    lambda loser, winner: policy.explain(loser, winner, config))


#: Characters per position bucket of `resolve`'s overlap index.
_BUCKET = 64
#: Up to this many candidates `resolve` compares each with every kept one instead.
_SMALL = 48


def _nested(inner: Candidate, outer: Candidate) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and (inner.start, inner.end) != (outer.start, outer.end)


def reason_code(loser: Candidate, winner: Candidate,
                criteria: Sequence[str] = ("priority", "length")) -> str:
    """Why `loser` lost to `winner`, as one of REASON_CODES. `criteria` is the policy's
    ranking order, so a policy that compares length first reports `overlap-longer`."""
    if (loser.start, loser.end, loser.label) == (winner.start, winner.end, winner.label):
        return "duplicate"
    if _nested(loser, winner):
        return "nested"
    for crit in criteria:
        if crit == "arbiter":
            return "overlap-arbiter"
        if crit == "priority" and loser.priority != winner.priority:
            return "overlap-priority"
        if crit == "length" and loser.length != winner.length:
            return "overlap-longer"
    return "overlap-tie"


def resolve(text: str, candidates: Iterable[Candidate], config: ResolutionConfig | None = None,
            policy: Policy | None = None, *, explain: bool = True) -> Resolution:
    """Pick a non-overlapping subset of `candidates` and explain every discarded one.

    explain=False: only `kept` is filled (`discarded` stays empty), for callers that want
    the entities alone (`Engine.pipe`); the kept set is the same."""
    config = config or ResolutionConfig()
    policy = policy or get_policy(config.policy)
    decision = _decide(policy, list(candidates), config)
    criteria = tuple(getattr(policy, "criteria", ("priority", "length")))
    kept: list[Candidate] = []
    discarded: list[Discarded] = ([Discarded(c, None, why, "dropped") for c, why in decision.dropped]
                                  if explain else [])
    keep_nested = config.keep_nested
    ranked = decision.ranked
    if len(ranked) <= _SMALL:
        # few candidates: compare with every kept one (the bucket index costs more here)
        for cand in ranked:
            winner = None
            cs, ce = cand.start, cand.end
            for k in kept:
                if cs < k.end and k.start < ce:
                    if keep_nested and cand.label != k.label and (_nested(cand, k) or _nested(k, cand)):
                        continue
                    winner = k
                    break
            if winner is None:
                kept.append(cand)
            elif explain:
                discarded.append(Discarded(cand, winner, decision.explain(cand, winner),
                                           reason_code(cand, winner, criteria)))
    else:
        # kept candidates by position bucket: only nearby ones are compared (linear, not
        # quadratic, in the number of candidates of a long text); kept order is preserved
        buckets: dict[int, list[int]] = {}
        for cand in ranked:
            winner = None
            near: set[int] = set()
            for b in range(cand.start // _BUCKET, max(cand.start, cand.end - 1) // _BUCKET + 1):
                near.update(buckets.get(b, ()))
            for idx in sorted(near):
                k = kept[idx]
                if not cand.overlaps(k):
                    continue
                if keep_nested and cand.label != k.label and (_nested(cand, k) or _nested(k, cand)):
                    continue
                winner = k
                break
            if winner is None:
                for b in range(cand.start // _BUCKET, max(cand.start, cand.end - 1) // _BUCKET + 1):
                    buckets.setdefault(b, []).append(len(kept))
                kept.append(cand)
            elif explain:
                discarded.append(Discarded(cand, winner, decision.explain(cand, winner),
                                           reason_code(cand, winner, criteria)))
    kept.sort(key=_position_key)
    if discarded:
        discarded.sort(key=lambda d: (d.candidate.start, d.candidate.end, d.candidate.rule_id or ""))
    return Resolution(text=text, kept=kept, discarded=discarded)


def _position_key(c: Candidate) -> tuple:
    return (c.start, c.end, c.label)
