"""The gate: is the candidate at least as good as production on documents neither has seen?

Fair comparison: the candidate and production are scored on the held-out documents (by
content hash, entrec.training.holdout) that are NOT among the documents either model was
trained on — each artifact's manifest lists the keys of the documents it saw
(`metrics.data.trained_on`). The size of that comparison set is reported; below
`min_comparison_docs` the gate gives no verdict (`decided: false`, exit 3) instead of a
coin flip. A production artifact that does not record what it saw cannot be compared
fairly: no verdict either, and the report says why.

Checks: candidate F1 >= min_f1 (overall, and per label with enough support) and F1 drop vs
production <= max_f1_drop (overall and per label). The verdict is a pure function of the
stored scores and the thresholds, so a resumed run recomputes it with its own thresholds.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

__all__ = ["GateCheck", "GateResult", "Comparison", "gate", "f1_table", "comparison_set",
           "score_on", "support_of", "verdict_from_metrics"]


@dataclass(frozen=True)
class GateCheck:
    name: str            # "min-f1" | "max-f1-drop"
    label: str           # "*" for overall
    candidate: float
    threshold: float
    passed: bool
    production: float | None = None
    support: int | None = None

    def describe(self) -> str:
        who = "overall" if self.label == "*" else self.label
        if self.name == "min-f1":
            return (f"{who}: F1 {self.candidate:.4f} {'>=' if self.passed else '<'} "
                    f"floor {self.threshold:.4f}")
        return (f"{who}: F1 {self.candidate:.4f} vs production {self.production:.4f} "
                f"(drop {self.production - self.candidate:+.4f}, max {self.threshold:.4f})")


@dataclass
class Comparison:
    """Which held-out documents the two models are compared on, and why the others are not."""

    heldout_docs: int
    docs: int
    spans: int
    seen_by_candidate: int = 0
    seen_by_production: int = 0
    production_recorded: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GateResult:
    passed: bool
    checks: list[GateCheck]
    production_version: str | None
    decided: bool = True
    reason: str = ""  # why no verdict (decided False)
    thresholds: dict[str, Any] = field(default_factory=dict)
    comparison: dict[str, Any] | None = None

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def status(self) -> str:
        return "undecided" if not self.decided else "passed" if self.passed else "rejected"

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "decided": self.decided, "status": self.status,
                "reason": self.reason, "production_version": self.production_version,
                "thresholds": dict(self.thresholds), "comparison": self.comparison,
                "checks": [asdict(c) for c in self.checks],
                "failures": [c.describe() for c in self.failures]}


def f1_table(scores: dict | None, support: dict[str, int] | None = None
             ) -> tuple[float, dict[str, tuple[float, int]]]:
    """(overall F1, {label: (F1, support)}) from a ScoreReport.to_dict() (exact-span scores).

    `support` (gold spans per label compared) wins over whatever the score dict carries.
    """
    node = scores if isinstance(scores, dict) else {}
    if "overall" not in node and isinstance(node.get("exact"), dict):
        node = node["exact"]
    overall = node.get("overall") or {}
    per = node.get("labels") or node.get("per_label") or {}
    table: dict[str, tuple[float, int]] = {}
    for label, s in per.items():
        sup = (support or {}).get(label)
        if sup is None:
            sup = s.get("support", s.get("gold", s.get("n_gold", 0))) or 0
        f1 = s.get("f1")
        table[label] = (float(f1) if isinstance(f1, (int, float)) else 0.0, int(sup))
    for label, sup in (support or {}).items():
        table.setdefault(label, (0.0, int(sup)))
    f1 = overall.get("f1")
    return (float(f1) if isinstance(f1, (int, float)) else 0.0), table


def gate(candidate: dict, production: dict | None, *, min_f1: float, max_f1_drop: float,
         min_label_support: int = 5, production_version: str | None = None,
         support: dict[str, int] | None = None, comparison: Comparison | dict | None = None,
         min_comparison_docs: int = 1) -> GateResult:
    """Absolute floor and maximum drop vs production, overall and per label.

    Per-label checks skip labels with fewer than `min_label_support` gold spans compared
    (their F1 is noise). A label production knew and the candidate scores 0 on is a drop
    like any other. With a `comparison` smaller than `min_comparison_docs` documents, or one
    whose production does not record its training documents, there is no verdict.
    """
    thresholds = {"min_f1": min_f1, "max_f1_drop": max_f1_drop,
                  "min_label_support": min_label_support,
                  "min_comparison_docs": min_comparison_docs}
    comp = comparison.to_dict() if isinstance(comparison, Comparison) else comparison
    checks: list[GateCheck] = []
    c_all, c_lab = f1_table(candidate, support)
    checks.append(GateCheck("min-f1", "*", c_all, min_f1, c_all >= min_f1))
    for label, (f1, sup) in sorted(c_lab.items()):
        if sup >= min_label_support:
            checks.append(GateCheck("min-f1", label, f1, min_f1, f1 >= min_f1, support=sup))
    if production is not None:
        p_all, p_lab = f1_table(production, support)
        checks.append(GateCheck("max-f1-drop", "*", c_all, max_f1_drop,
                                p_all - c_all <= max_f1_drop + 1e-9, production=p_all))
        for label, (pf1, sup) in sorted(p_lab.items()):
            if sup < min_label_support:
                continue
            cf1 = c_lab.get(label, (0.0, sup))[0]
            checks.append(GateCheck("max-f1-drop", label, cf1, max_f1_drop,
                                    pf1 - cf1 <= max_f1_drop + 1e-9, production=pf1,
                                    support=sup))
    reason = ""
    if comp is not None and not comp.get("production_recorded", True):
        reason = (f"production {production_version} does not record which documents it was "
                  "trained on, so no held-out document is known to be unseen by it")
    elif comp is not None and comp.get("docs", 0) < min_comparison_docs:
        reason = (f"only {comp.get('docs', 0)} held-out document(s) that neither model was "
                  f"trained on (at least {min_comparison_docs} needed to decide)")
    if reason:
        return GateResult(False, checks, production_version, decided=False, reason=reason,
                          thresholds=thresholds, comparison=comp)
    return GateResult(all(c.passed for c in checks), checks, production_version,
                      thresholds=thresholds, comparison=comp)


def comparison_set(heldout: Sequence, candidate_seen: set[str],
                   production_seen: set[str] | None) -> tuple[list, Comparison]:
    """The held-out documents neither model was trained on (production_seen None: no
    production, or one that does not record its documents — see `Comparison`)."""
    from entrec.training.holdout import document_key

    docs, by_c, by_p = [], 0, 0
    for d in heldout:
        k = document_key(d.text)
        if k in candidate_seen:
            by_c += 1
        elif production_seen is not None and k in production_seen:
            by_p += 1
        else:
            docs.append(d)
    return docs, Comparison(heldout_docs=len(heldout), docs=len(docs),
                            spans=sum(len(d.spans) for d in docs), seen_by_candidate=by_c,
                            seen_by_production=by_p)


def score_on(model: Path, docs: Sequence, labels: set[str]) -> dict:
    """Exact/partial scores of the whole engine built from an artifact (rules + grammar +
    model, as deployed), on `docs`, counting only `labels` (the labels of the data: the
    packs also find labels the annotators were not asked for)."""
    from entrec.training.evaluate import evaluate_model

    report = evaluate_model(model, list(docs), systems=("hybrid",), only_labels=sorted(labels))
    return report.systems["hybrid"].scores.to_dict()


def support_of(docs: Sequence, labels: set[str]) -> dict[str, int]:
    return dict(sorted(Counter(s.label for d in docs for s in d.spans
                               if s.label in labels).items()))


def verdict_from_metrics(metrics: dict, *, min_f1: float, max_f1_drop: float,
                         min_label_support: int, min_comparison_docs: int) -> GateResult:
    """The gate recomputed from the scores a version's metrics.json stores, with the given
    thresholds (a resumed run uses its own, not the ones of the run that evaluated)."""
    prod = metrics.get("production")
    return gate(metrics.get("candidate") or {}, prod.get("scores") if prod else None,
                min_f1=min_f1, max_f1_drop=max_f1_drop, min_label_support=min_label_support,
                production_version=(metrics.get("gate") or {}).get("production_version"),
                support=metrics.get("heldout_support"), comparison=metrics.get("comparison"),
                min_comparison_docs=min_comparison_docs)
