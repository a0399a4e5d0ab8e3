"""The values that flow through the engine: candidates in, entities out (DESIGN §2)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Source = Literal["rule", "grammar", "model"]
SOURCES: tuple[str, ...] = ("rule", "grammar", "model")

__all__ = ["Candidate", "Entity", "Source", "SOURCES"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span proposed by one source (rules, grammar or model) before conflict resolution.

    Offsets are character offsets into the input text, end exclusive. `priority` comes from
    the rule (grammar and model candidates carry the priority their source was configured
    with) and is what the resolver compares first under the default policy.
    """

    start: int
    end: int
    label: str
    source: str
    rule_id: str | None = None
    priority: int = 0
    score: float = 1.0
    id: str | None = None
    value: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"invalid span [{self.start}, {self.end})")
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; expected one of {SOURCES}")

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: "Candidate") -> bool:
        return self.start < other.end and other.start < self.end

    def key(self) -> tuple:
        """A total, label-name-independent order key used for determinism."""
        return (self.start, self.end, self.source, self.rule_id or "", self.label)

    def with_priority(self, priority: int) -> "Candidate":
        """This candidate with another priority: `dataclasses.replace(self, priority=...)`
        without its generic field walk (half the cost; the engine re-prioritizes every
        grammar candidate). tests/engine/test_entity.py keeps the field list in step."""
        return Candidate(self.start, self.end, self.label, self.source, self.rule_id, priority,
                         self.score, self.id, self.value)

    def to_entity(self, text: str) -> "Entity":
        # `Entity(start=..., ...)` with its slots set directly: the frozen dataclass's
        # `__init__` sets each field through `object.__setattr__`, three times the cost, and
        # every kept candidate becomes an entity (tests/engine/test_entity.py checks equality)
        e = _new(Entity)
        start, end = self.start, self.end
        _set_start(e, start)
        _set_end(e, end)
        _set_label(e, self.label)
        _set_text(e, text[start:end])
        _set_source(e, self.source)
        _set_rule_id(e, self.rule_id)
        _set_score(e, self.score)
        _set_id(e, self.id)
        _set_value(e, self.value)
        return e


@dataclass(frozen=True, slots=True)
class Entity:
    """A resolved entity, exactly the JSON object of DESIGN §2."""

    start: int
    end: int
    label: str
    text: str
    source: str
    rule_id: str | None = None
    score: float = 1.0
    id: str | None = None
    value: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start, "end": self.end, "label": self.label, "text": self.text,
            "source": self.source, "rule_id": self.rule_id, "score": self.score,
            "id": self.id, "value": self.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Entity":
        return cls(**{k: d.get(k) for k in ("start", "end", "label", "text", "source",
                                             "rule_id", "score", "id", "value")})


# `to_entity` sets every field of `Entity` through its slot: an `Entity` with another field
# list or a `__post_init__` fails right here, at import
if [f.name for f in fields(Entity)] != ["start", "end", "label", "text", "source", "rule_id",
                                        "score", "id", "value"] or hasattr(Entity, "__post_init__"):
    raise TypeError("Entity's fields changed: update Candidate.to_entity")  # pragma: no cover
_new = object.__new__
(_set_start, _set_end, _set_label, _set_text, _set_source, _set_rule_id, _set_score, _set_id,
 _set_value) = [Entity.__dict__[f.name].__set__ for f in fields(Entity)]
