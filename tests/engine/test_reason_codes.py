"""Machine-readable reasons on discarded candidates: a duplicate is told apart from a real
conflict, and the code follows the policy's own ranking order."""
from __future__ import annotations

from entrec.engine.entity import Candidate as C
from entrec.engine.resolver import REASON_CODES, ResolutionConfig, reason_code, resolve

TEXT = "Manter a tensão na SE Xingu entre 525 kV e 550 kV quando a UHE Belo Monte gerar"


def codes(res):
    return {(d.candidate.start, d.candidate.end, d.candidate.label, d.candidate.source): d.reason_code
            for d in res.discarded}


def test_each_reason_code():
    res = resolve(TEXT, [
        C(19, 27, "SUBESTACAO", "rule", "pt.se.lista", 10),
        C(19, 27, "SUBESTACAO", "model", None, 0, 0.9),     # same span and label
        C(22, 33, "LOCAL", "rule", "pt.local", 5),           # crosses the winner, lower priority
        C(59, 74, "USINA", "rule", "pt.usina.nome", 8),
        C(70, 80, "OUTRO", "rule", "pt.outro", 8),           # crosses, same priority, shorter
        C(28, 33, "A", "rule", "pt.a", 1),
        C(30, 35, "B", "rule", "pt.b", 1),                   # crosses, same priority and length
    ])
    got = codes(res)
    assert got[(19, 27, "SUBESTACAO", "model")] == "duplicate"
    assert got[(22, 33, "LOCAL", "rule")] == "overlap-priority"
    assert got[(70, 80, "OUTRO", "rule")] == "overlap-longer"
    assert got[(30, 35, "B", "rule")] == "overlap-tie"
    # a shorter candidate inside a winning container
    res2 = resolve(TEXT, [C(19, 27, "SUBESTACAO", "rule", "pt.se", 10), C(22, 27, "LOCAL", "rule", "pt.l", 3)])
    assert codes(res2) == {(22, 27, "LOCAL", "rule"): "nested"}
    assert set(got.values()) <= set(REASON_CODES)
    # the human reason text stays as it was
    d = next(d for d in res.discarded if d.reason_code == "duplicate")
    assert d.reason == "lost to pt.se.lista: lower priority 0 < 10 (same span and label)"
    assert d.to_dict(TEXT)["reason_code"] == "duplicate"


def test_code_follows_the_policy_order():
    short_high = C(0, 5, "A", "rule", "pt.a", 9)
    long_low = C(3, 15, "B", "rule", "pt.b", 1)
    res = resolve(TEXT, [short_high, long_low], ResolutionConfig(policy="longest-priority.v1"))
    assert [d.reason_code for d in res.discarded] == ["overlap-longer"]
    res = resolve(TEXT, [short_high, long_low])
    assert [d.reason_code for d in res.discarded] == ["overlap-priority"]
    assert reason_code(long_low, short_high, ("length", "priority")) == "overlap-longer"
