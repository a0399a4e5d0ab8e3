"""Resolver: deterministic, label-name independent, every loss explained."""
from __future__ import annotations

import random

import pytest

from entrec.engine.entity import Candidate as C
from entrec.engine.errors import EntrecError
from entrec.engine.resolver import ResolutionConfig, get_policy, resolve

TEXT = "Manter a tensão na SE Xingu entre 525 kV e 550 kV quando a UHE Belo Monte gerar"


def cands():
    return [
        C(19, 27, "SUBESTACAO", "rule", "pt.se.lista", 10),
        C(19, 21, "SIGLA", "rule", "pt.sigla", 5),
        C(22, 27, "LOCAL", "model", None, 0, 0.7),
        C(28, 49, "INEQUALITY", "grammar", "inequality.between", 20),
        C(34, 40, "GRANDEZA", "rule", "pt.grandeza", 3),
        C(59, 74, "USINA", "rule", "pt.usina.nome", 8),
        C(59, 74, "USINA", "model", None, 0, 0.9),
        C(63, 74, "LOCAL", "model", None, 0, 0.8),
    ]


def key(res):
    return [(c.start, c.end, c.label, c.rule_id) for c in res.kept]


def test_default_policy_result_and_explanations():
    res = resolve(TEXT, cands())
    assert key(res) == [(19, 27, "SUBESTACAO", "pt.se.lista"), (28, 49, "INEQUALITY", "inequality.between"),
                        (59, 74, "USINA", "pt.usina.nome")]
    reasons = {(d.candidate.label, d.candidate.source): d.reason for d in res.discarded}
    assert reasons[("SIGLA", "rule")] == "lost to pt.se.lista: lower priority 5 < 10"
    assert reasons[("GRANDEZA", "rule")] == "lost to inequality.between: lower priority 3 < 20"
    assert reasons[("USINA", "model")] == "lost to pt.usina.nome: lower priority 0 < 8 (same span and label)"
    assert len(res.discarded) == 5


@pytest.mark.parametrize("seed", range(5))
def test_order_independent(seed):
    base = key(resolve(TEXT, cands()))
    shuffled = cands()
    random.Random(seed).shuffle(shuffled)
    assert key(resolve(TEXT, shuffled)) == base


def test_label_renaming_does_not_change_decisions():
    rename = {"SUBESTACAO": "ZZZ", "SIGLA": "AAA", "LOCAL": "MMM", "USINA": "BBB", "GRANDEZA": "A",
              "INEQUALITY": "Q"}
    renamed = [C(c.start, c.end, rename[c.label], c.source, c.rule_id, c.priority, c.score) for c in cands()]
    a = [(c.start, c.end, c.rule_id, c.source) for c in resolve(TEXT, cands()).kept]
    b = [(c.start, c.end, c.rule_id, c.source) for c in resolve(TEXT, renamed).kept]
    assert a == b


def test_longest_priority_policy_prefers_length():
    cs = [C(0, 8, "A", "rule", "short.high", 10), C(0, 15, "B", "rule", "long.low", 1)]
    assert key(resolve(TEXT, cs, ResolutionConfig(policy="longest-priority.v1")))[0][3] == "long.low"
    assert key(resolve(TEXT, cs, ResolutionConfig(policy="priority-longest.v1")))[0][3] == "short.high"
    d = resolve(TEXT, cs, ResolutionConfig(policy="longest-priority.v1")).discarded[0]
    assert d.reason == "lost to long.low: shorter span 8 < 15 chars"


def test_source_order_then_score_then_position():
    cs = [C(0, 5, "A", "model", None, 0, 0.9), C(0, 5, "B", "grammar", "g", 0)]
    assert resolve(TEXT, cs).kept[0].source == "grammar"
    cfg = ResolutionConfig(source_order=("model", "grammar", "rule"))
    res = resolve(TEXT, cs, cfg)
    assert res.kept[0].source == "model"
    assert res.discarded[0].reason == "lost to model:A: source order grammar after model"
    cs = [C(0, 5, "A", "model", None, 0, 0.4), C(0, 5, "B", "model", None, 0, 0.8)]
    assert resolve(TEXT, cs).discarded[0].reason == "lost to model:B: lower score 0.400 < 0.800"
    cs = [C(0, 5, "A", "rule", "r", 1), C(0, 5, "A", "grammar", "r", 1)]
    assert resolve(TEXT, cs).discarded[0].reason == "lost to r: source order grammar after rule (same span and label)"
    cs = [C(3, 8, "A", "rule", "r", 1), C(0, 5, "A", "rule", "r", 1)]
    assert resolve(TEXT, cs).discarded[0].reason == "lost to r: starts later (3 > 0)"


def test_keep_nested_other_labels():
    cs = [C(0, 20, "LINHA", "rule", "lt", 10), C(3, 9, "GRANDEZA", "rule", "g", 1), C(3, 9, "LINHA", "rule", "x", 1)]
    res = resolve(TEXT, cs, ResolutionConfig(keep_nested=True))
    assert key(res) == [(0, 20, "LINHA", "lt"), (3, 9, "GRANDEZA", "g")]
    assert len(resolve(TEXT, cs).kept) == 1


def test_unknown_policy_error_has_hint():
    with pytest.raises(EntrecError) as ei:
        get_policy("priority-longst.v1")
    assert ei.value.code == "policy-unknown"
    assert ei.value.hint == "did you mean `priority-longest.v1`?"


def _random_candidates(rnd: random.Random, n: int) -> list[C]:
    out = []
    for _ in range(n):
        s = rnd.randrange(0, 400)
        out.append(C(s, s + rnd.randrange(1, 40), rnd.choice("ABC"), rnd.choice(["rule", "grammar", "model"]),
                     rnd.choice(["r1", "r2", None]), rnd.randrange(0, 4), rnd.choice([0.5, 0.9, 1.0])))
    return out


@pytest.mark.parametrize("policy", ["priority-longest.v1", "longest-priority.v1"])
@pytest.mark.parametrize("keep_nested", [False, True])
def test_explain_false_keeps_the_same_entities_on_small_and_large_inputs(policy, keep_nested):
    # small inputs take the all-pairs path, large ones the bucket index: same kept set,
    # and explain=False records no losers
    rnd = random.Random(7)
    config = ResolutionConfig(policy=policy, keep_nested=keep_nested)
    for n in (0, 1, 5, 30, 48, 49, 200):
        cs = _random_candidates(rnd, n)
        full = resolve("x" * 500, cs, config)
        quick = resolve("x" * 500, cs, config, explain=False)
        assert key(quick) == key(full)
        assert quick.discarded == []
        assert len(full.kept) + len(full.discarded) == n
