"""`Candidate.with_priority` is `dataclasses.replace(c, priority=p)`, field for field."""
from __future__ import annotations

from dataclasses import fields, replace

from entrec.engine.entity import Candidate


def test_with_priority_equals_replace_and_covers_every_field():
    # with_priority lists the fields by hand: a new field must be added there too
    assert [f.name for f in fields(Candidate)] == [
        "start", "end", "label", "source", "rule_id", "priority", "score", "id", "value"]
    c = Candidate(3, 9, "INEQUALITY", "grammar", rule_id="inequality.prefix", priority=20,
                  score=0.5, id="X_1", value={"op": "gt"})
    got = c.with_priority(7)
    assert got == replace(c, priority=7) and got.priority == 7 and c.priority == 20
    assert got.value is c.value


def test_to_entity_equals_the_entity_the_class_builds():
    """`to_entity` sets the slots directly: the same frozen `Entity` as the constructor."""
    import pytest
    from dataclasses import FrozenInstanceError

    from entrec.engine.entity import Entity

    text = "Manter a tensão entre 525 kV e 550 kV."
    value = {"op": "between", "low": 525}
    for c in (Candidate(16, 37, "INEQUALITY", "grammar", "inequality.between", 20, 1.0, None, value),
              Candidate(0, 6, "AGENT", "rule", None, 3, 0.25, "ONS"),
              Candidate(9, 15, "X", "model")):
        e = c.to_entity(text)
        want = Entity(start=c.start, end=c.end, label=c.label, text=text[c.start:c.end],
                      source=c.source, rule_id=c.rule_id, score=c.score, id=c.id, value=c.value)
        assert type(e) is Entity and e == want
        assert [getattr(e, f.name) for f in fields(Entity)] == [getattr(want, f.name) for f in fields(Entity)]
        assert e.value is c.value
        with pytest.raises(FrozenInstanceError):
            e.start = 1
