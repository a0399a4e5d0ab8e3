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
