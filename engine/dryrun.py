"""Run the tests embedded in rule files and lint the rules against them.

A test lists `expect`ed entities and `reject`ed ones. For the labels a test expects, it is
exhaustive: any other entity of those labels is a false positive. Every miss says what
happened: no candidate at all, or a candidate that lost a conflict (and to whom, why).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Diagnostic
from .entity import Entity
from .resolver import Resolution

__all__ = ["CaseResult", "RuleStats", "DryRunReport", "run_tests", "lint"]


@dataclass
class Finding:
    kind: str  # "missing" | "unexpected" | "rejected"
    text: str
    label: str | None
    rule_id: str | None
    detail: str

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class CaseResult:
    file: str
    line: int
    index: int
    text: str
    passed: bool
    findings: list[Finding]
    entities: list[Entity]
    conflicts: list[str]

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "index": self.index, "text": self.text,
                "passed": self.passed, "findings": [f.to_dict() for f in self.findings],
                "entities": [e.to_dict() for e in self.entities], "conflicts": self.conflicts}


@dataclass
class RuleStats:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def to_dict(self) -> dict:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class DryRunReport:
    cases: list[CaseResult] = field(default_factory=list)
    rules: dict[str, RuleStats] = field(default_factory=lambda: defaultdict(RuleStats))
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not c.passed for c in self.cases)

    def to_dict(self) -> dict:
        return {"passed": len(self.cases) - self.failed, "failed": self.failed,
                "cases": [c.to_dict() for c in self.cases],
                "rules": {k: v.to_dict() for k, v in sorted(self.rules.items())},
                "warnings": [w.to_dict() for w in self.warnings]}


def _value_matches(want: dict | None, got: dict | None) -> bool:
    if want is None:
        return True
    if got is None:
        return False
    for k, v in want.items():
        g = got.get(k)
        if isinstance(v, (int, float)) and isinstance(g, (int, float)) and not isinstance(v, bool):
            if abs(float(v) - float(g)) > 1e-9:
                return False
        elif g != v:
            return False
    return True


def _matches(exp: Any, e: Entity) -> bool:
    if isinstance(exp, str):
        return e.text == exp
    if e.text != exp.text:
        return False
    if exp.label and e.label != exp.label:
        return False
    if getattr(exp, "id", None) and e.id != exp.id:
        return False
    return _value_matches(getattr(exp, "value", None), e.value)


def evaluate_case(res: Resolution, case, file: str, line: int, index: int,
                  stats: dict[str, RuleStats]) -> CaseResult:
    findings: list[Finding] = []
    ents = res.entities
    used: set[int] = set()
    for exp in case.expect:
        hit = next((i for i, e in enumerate(ents) if i not in used and _matches(exp, e)), None)
        if hit is not None:
            used.add(hit)
            stats[ents[hit].rule_id or f"<{ents[hit].source}>"].tp += 1
            continue
        # why missing? look for a discarded candidate with that text (and label)
        lost = [d for d in res.discarded if res.text[d.candidate.start:d.candidate.end] == exp.text
                and (not exp.label or d.candidate.label == exp.label)]
        partial = [e for e in ents if exp.text in e.text or e.text in exp.text]
        if lost:
            d = lost[0]
            rid = d.candidate.rule_id or f"<{d.candidate.source}>"
            detail = f"candidate from {rid} {d.reason}"
        elif partial:
            e = partial[0]
            rid = None
            detail = f"found {e.text!r} as {e.label} ({e.rule_id or e.source}) instead"
        else:
            rid = None
            detail = "no rule produced it"
        stats[rid or f"<no rule>:{exp.label or '?'}"].fn += 1
        findings.append(Finding("missing", exp.text, exp.label, rid, detail))
    exp_labels = {e.label for e in case.expect if e.label}
    for i, e in enumerate(ents):
        if i in used:
            continue
        rejected = next((r for r in case.reject if _matches(r, e) or (
            not isinstance(r, str) and r.text == e.text and not r.label)), None)
        if rejected is not None:
            stats[e.rule_id or f"<{e.source}>"].fp += 1
            findings.append(Finding("rejected", e.text, e.label, e.rule_id,
                                    f"extracted by {e.rule_id or e.source} but listed in reject"))
        elif e.label in exp_labels:
            stats[e.rule_id or f"<{e.source}>"].fp += 1
            findings.append(Finding("unexpected", e.text, e.label, e.rule_id,
                                    f"extracted by {e.rule_id or e.source}, not in expect"))
    conflicts = [f"{res.text[d.candidate.start:d.candidate.end]!r} {d.candidate.label} "
                 f"({d.candidate.rule_id or d.candidate.source}): {d.reason}" for d in res.discarded]
    return CaseResult(file, line, index, case.text, not findings, findings, ents, conflicts)


def run_tests(engine) -> DryRunReport:
    """Run every embedded test of every pack loaded in `engine`."""
    report = DryRunReport()
    for lang, pack in sorted(engine.packs.items()):
        for t in pack.tests:
            res = engine.explain(t.case.text, t.case.lang or lang)
            report.cases.append(evaluate_case(res, t.case, t.file, t.line, t.index, report.rules))
    report.warnings.extend(lint(engine))
    return report


def lint(engine) -> list[Diagnostic]:
    """Warnings: rules that match nothing in any test; rules always shadowed on their file's tests."""
    out: list[Diagnostic] = []
    for lang, pack in sorted(engine.packs.items()):
        if not pack.tests:
            continue
        fired: dict[str, int] = defaultdict(int)
        won: dict[str, int] = defaultdict(int)
        shadowers: dict[str, set[str]] = defaultdict(set)
        by_file_fired: dict[tuple[str, str], int] = defaultdict(int)
        for t in pack.tests:
            res = engine.explain(t.case.text, t.case.lang or lang)
            for c in res.kept:
                if c.rule_id:
                    fired[c.rule_id] += 1
                    won[c.rule_id] += 1
                    by_file_fired[(t.file, c.rule_id)] += 1
            for d in res.discarded:
                rid = d.candidate.rule_id
                if rid:
                    fired[rid] += 1
                    by_file_fired[(t.file, rid)] += 1
                    if d.winner is not None and d.winner.priority > d.candidate.priority:
                        shadowers[rid].add(d.winner.rule_id or d.winner.source)
        for r in pack.rules:
            if not r.model.enabled:
                continue
            if fired[r.id] == 0:
                out.append(Diagnostic(code="rule-unused", severity="warning", file=r.file,
                                      message=f"rule `{r.id}` matches nothing in any test of the `{lang}` pack",
                                      hint="add a test that exercises it, or remove it"))
            elif won[r.id] == 0 and shadowers.get(r.id):
                out.append(Diagnostic(code="rule-shadowed", severity="warning", file=r.file,
                                      message=f"rule `{r.id}` always loses to higher-priority "
                                              f"{', '.join(sorted(shadowers[r.id]))} on the tests",
                                      hint="raise its priority, narrow the other rule, or drop it"))
    return out
