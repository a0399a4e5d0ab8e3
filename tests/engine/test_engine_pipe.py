"""`Engine.pipe` resolves exactly like `Engine.extract`: grammar candidates take the priority
the pack configures for them in both (pipe used to keep the grammar source's own priority,
so "disjuntor 52-56" came out as the range 52-56 from pipe and as equipment from extract)."""
from __future__ import annotations

import pytest

from entrec.engine import Engine

TEXTS = [
    "Conforme a IO-ON.NE.2NE, abrir o disjuntor 52-56 da SE Paulo Afonso IV.",
    "Abrir o disjuntor 52-57 da SE Xingu e manter a tensão entre 525 kV e 550 kV.",
    "O fluxo deve ser menor ou igual a 1.800 MW.",
    "Keep the voltage between 500 kV and 550 kV.",
]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_pipe_equals_extract(engine):
    piped = [[e.to_dict() for e in ents] for ents in engine.pipe(TEXTS)]
    assert piped == [[e.to_dict() for e in engine.extract(t)] for t in TEXTS]
    # the conflict this is about: the pack ranks the equipment rule above the grammar
    assert [e["label"] for e in piped[0]] == ["DOCUMENTO", "EQUIPAMENTO", "SUBESTACAO"]
    assert any(e["label"] == "INEQUALITY" for e in piped[1])


def test_candidates_carry_the_packs_grammar_priority(engine, tmp_path):
    wanted = engine.resolution_config("pt").priority_of("grammar")
    cands = engine.candidates(TEXTS[2], "pt")
    grammar = [c for c in cands if c.source == "grammar"]
    assert grammar and all(c.priority == wanted for c in grammar)
    # the grammar is built at the default pack's priority (no re-prioritizing copy per
    # candidate) ...
    assert engine.subset(("grammar",)).sources("pt")[0].extractor.priority == wanted == 7
    # ... and a pack that configures another priority still gets it, one candidate at a time
    (tmp_path / "pack.yaml").write_text(
        "version: 1\nlanguage: pt\nresolution:\n  grammar_priority: 15\nrules: []\n", encoding="utf-8")
    view = engine.with_rule_packs({"pt": Engine.load(rules=[tmp_path / "pack.yaml"]).packs["pt"]})
    grammar = [c for c in view.candidates(TEXTS[2], "pt") if c.source == "grammar"]
    assert grammar and all(c.priority == 15 for c in grammar)
    en = [c for c in engine.candidates(TEXTS[3], "en") if c.source == "grammar"]
    assert en and all(c.priority == engine.resolution_config("en").priority_of("grammar") for c in en)
