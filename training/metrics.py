"""Scoring predicted spans against gold: per-label and overall P/R/F1, errors, worst misses.

Two matching modes, both reported:
- exact: a prediction is correct when a gold span has the same start, end and label.
- partial: a prediction is correct when it overlaps any gold span with the same label; a gold
  span is found when any same-label prediction overlaps it (not one-to-one: it answers "did
  we point at the right thing", boundaries aside).
Overall figures are micro-averaged (pooled counts); `macro_f1` averages per-label exact F1.

Error analysis, per gold span without an exact match: `wrong-label` (a prediction has the
same offsets and another label), `boundary` (a same-label prediction overlaps it), or
`missed`; predictions matching no gold span exactly and not explained above are `spurious`.
The confusion table counts gold label x predicted label on identical offsets, plus the
`missed` column and the `spurious` row.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from entrec.training.importers.document import LabeledDocument, Span
from entrec.training.importers.tables import md_table, text_table

__all__ = ["score_documents", "ScoreReport", "LabelScore", "Miss", "as_span", "compare_reports",
           "MISSED", "SPURIOUS"]

MISSED = "missed"
SPURIOUS = "spurious"


def _prf(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class LabelScore:
    """Counts and ratios for one label (or overall). Ratios are 0.0 when undefined."""

    support: int = 0  # gold spans
    predicted: int = 0
    tp: int = 0  # exact matches
    partial_tp_pred: int = 0  # predictions overlapping a same-label gold span
    partial_tp_gold: int = 0  # gold spans overlapped by a same-label prediction

    @property
    def fp(self) -> int:
        return self.predicted - self.tp

    @property
    def fn(self) -> int:
        return self.support - self.tp

    @property
    def precision(self) -> float:
        return _prf(self.tp, self.predicted, self.support)[0]

    @property
    def recall(self) -> float:
        return _prf(self.tp, self.predicted, self.support)[1]

    @property
    def f1(self) -> float:
        return _prf(self.tp, self.predicted, self.support)[2]

    @property
    def partial_precision(self) -> float:
        return self.partial_tp_pred / self.predicted if self.predicted else 0.0

    @property
    def partial_recall(self) -> float:
        return self.partial_tp_gold / self.support if self.support else 0.0

    @property
    def partial_f1(self) -> float:
        p, r = self.partial_precision, self.partial_recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "LabelScore") -> None:
        self.support += other.support
        self.predicted += other.predicted
        self.tp += other.tp
        self.partial_tp_pred += other.partial_tp_pred
        self.partial_tp_gold += other.partial_tp_gold

    def to_dict(self) -> dict[str, Any]:
        r = lambda x: round(x, 4)  # noqa: E731
        return {"support": self.support, "predicted": self.predicted, "tp": self.tp,
                "fp": self.fp, "fn": self.fn, "precision": r(self.precision),
                "recall": r(self.recall), "f1": r(self.f1),
                "partial": {"precision": r(self.partial_precision),
                            "recall": r(self.partial_recall), "f1": r(self.partial_f1)}}


@dataclass(frozen=True)
class Miss:
    """A gold span not predicted exactly, or a spurious prediction (label = predicted label)."""

    kind: str  # "missed" | "wrong-label" | "boundary" | "spurious"
    text: str
    label: str
    start: int
    end: int
    doc: str  # document id or source (file:line), else "#index"
    predicted: str | None = None  # what was predicted instead: 'LABEL' or 'LABEL "text"'

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "label": self.label, "start": self.start,
                "end": self.end, "doc": self.doc, "predicted": self.predicted}


def as_span(x: Any) -> Span:
    """Span from a Span, Entity, Candidate, dict or (start, end, label) tuple."""
    if isinstance(x, Span):
        return x
    if isinstance(x, Mapping):
        return Span(int(x["start"]), int(x["end"]), str(x["label"]))
    if isinstance(x, (tuple, list)) and len(x) >= 3:
        return Span(int(x[0]), int(x[1]), str(x[2]))
    if all(hasattr(x, a) for a in ("start", "end", "label")):
        return Span(int(x.start), int(x.end), str(x.label))
    raise TypeError(f"cannot read a span from {type(x).__name__}")


@dataclass
class ScoreReport:
    labels: dict[str, LabelScore] = field(default_factory=dict)
    overall: LabelScore = field(default_factory=LabelScore)
    confusion: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[Miss] = field(default_factory=list)
    documents: int = 0
    name: str | None = None
    top: int = 20  # rows of worst misses shown by format()/to_markdown()

    @property
    def macro_f1(self) -> float:
        scored = [s for s in self.labels.values() if s.support]
        return sum(s.f1 for s in scored) / len(scored) if scored else 0.0

    @property
    def error_counts(self) -> Counter:
        return Counter(e.kind for e in self.errors)

    def worst_misses(self, n: int | None = None) -> list[dict[str, Any]]:
        """Gold mentions most often not predicted exactly, grouped by (text, label, kind)."""
        groups: dict[tuple[str, str, str], list[Miss]] = defaultdict(list)
        for e in self.errors:
            if e.kind != "spurious":
                groups[(e.text, e.label, e.kind)].append(e)
        rows = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        return [{"text": t, "label": lab, "kind": k, "count": len(es), "example": es[0].doc,
                 "predicted": es[0].predicted} for (t, lab, k), es in rows[: n or self.top]]

    def worst_spurious(self, n: int | None = None) -> list[dict[str, Any]]:
        groups: Counter = Counter((e.text, e.label) for e in self.errors if e.kind == "spurious")
        return [{"text": t, "label": lab, "count": c}
                for (t, lab), c in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))
                [: n or self.top]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "documents": self.documents,
            "overall": {**self.overall.to_dict(), "macro_f1": round(self.macro_f1, 4)},
            "labels": {k: v.to_dict() for k, v in sorted(self.labels.items())},
            "confusion": {g: dict(sorted(c.items())) for g, c in sorted(self.confusion.items())},
            "error_counts": dict(sorted(self.error_counts.items())),
            "worst_misses": self.worst_misses(),
            "worst_spurious": self.worst_spurious(),
        }

    # -- rendering -----------------------------------------------------------------------------
    def _score_rows(self) -> list[list[str]]:
        def row(name: str, s: LabelScore) -> list[str]:
            return [name, str(s.support), str(s.predicted), str(s.tp), f"{s.precision:.3f}",
                    f"{s.recall:.3f}", f"{s.f1:.3f}", f"{s.partial_precision:.3f}",
                    f"{s.partial_recall:.3f}", f"{s.partial_f1:.3f}"]
        rows = [row(k, v) for k, v in sorted(self.labels.items())]
        rows.append(row("overall (micro)", self.overall))
        return rows

    _SCORE_HEADER = ["label", "gold", "pred", "exact", "P", "R", "F1", "P~", "R~", "F1~"]

    def _confusion_rows(self) -> tuple[list[str], list[list[str]]]:
        golds = sorted(g for g in self.confusion if g != SPURIOUS)
        preds = sorted({p for c in self.confusion.values() for p in c if p != MISSED})
        header = ["gold \\ pred"] + preds + [MISSED]
        rows = []
        for g in golds + ([SPURIOUS] if SPURIOUS in self.confusion else []):
            c = self.confusion[g]
            rows.append([g] + [str(c.get(p, 0) or "") for p in preds]
                        + [str(c.get(MISSED, 0) or "")])
        return header, rows

    def _miss_rows(self) -> list[list[str]]:
        return [[m["text"], m["label"], m["kind"], str(m["count"]), m["predicted"] or "",
                 m["example"]] for m in self.worst_misses()]

    def summary(self) -> str:
        o = self.overall
        return (f"{self.documents} document(s), {o.support} gold span(s), {o.predicted} "
                f"predicted: exact P {o.precision:.3f} R {o.recall:.3f} F1 {o.f1:.3f}; "
                f"partial F1 {o.partial_f1:.3f}; macro F1 {self.macro_f1:.3f}")

    def format(self) -> str:
        """Terminal tables (exact P/R/F1, then partial-overlap P~/R~/F1~)."""
        head, crow = self._confusion_rows()
        out = [(f"[{self.name}] " if self.name else "") + self.summary(), "",
               text_table(self._SCORE_HEADER, self._score_rows()), "",
               "Confusion (gold x predicted, same offsets)", text_table(head, crow)]
        if self.errors:
            out += ["", "Errors: " + ", ".join(f"{k} {v}" for k, v in
                                               sorted(self.error_counts.items()))]
            out += ["", f"Worst misses (top {self.top})",
                    text_table(["text", "label", "kind", "n", "predicted", "example"],
                               self._miss_rows())]
        return "\n".join(out)

    def to_markdown(self, level: int = 1) -> str:
        h = "#" * level
        head, crow = self._confusion_rows()
        out = [f"{h} Evaluation" + (f": {self.name}" if self.name else ""), "", self.summary(), "",
               "Exact match: P, R, F1. Partial overlap (same label, any overlap): P~, R~, F1~.",
               "", md_table(self._SCORE_HEADER, self._score_rows()), "",
               f"{h}# Confusion (gold x predicted, same offsets)", "", md_table(head, crow)]
        if self.errors:
            out += ["", f"{h}# Worst misses", "",
                    md_table(["text", "label", "kind", "n", "predicted", "example"],
                             self._miss_rows())]
            sp = self.worst_spurious()
            if sp:
                out += ["", f"{h}# Most frequent spurious predictions", "",
                        md_table(["text", "label", "n"],
                                 [[s["text"], s["label"], str(s["count"])] for s in sp])]
        return "\n".join(out) + "\n"


def score_documents(gold: Sequence[LabeledDocument], pred: Sequence[Iterable[Any]], *,
                    labels: Iterable[str] | None = None, name: str | None = None,
                    top: int = 20) -> ScoreReport:
    """Score `pred[i]` (Entities, Candidates, Spans, dicts or tuples) against `gold[i].spans`.

    `labels`, when given, restricts scoring to those labels (spans of other labels, gold or
    predicted, are ignored) — e.g. to score a model on the labels it was trained for.
    """
    if len(gold) != len(pred):
        from entrec.engine.errors import InputError
        raise InputError(f"{len(gold)} gold document(s) but {len(pred)} prediction list(s)",
                         code="length-mismatch")
    keep = set(labels) if labels is not None else None
    rep = ScoreReport(name=name, top=top, documents=len(gold))
    per: dict[str, LabelScore] = defaultdict(LabelScore)
    for i, (doc, ps) in enumerate(zip(gold, pred)):
        where = doc.id or doc.source or f"#{i}"
        text = doc.text
        g = sorted({s for s in doc.spans if keep is None or s.label in keep})
        p = sorted({as_span(x) for x in ps})
        p = [s for s in p if keep is None or s.label in keep]
        gset = set(g)
        pset = set(p)
        by_offsets_pred: dict[tuple[int, int], list[Span]] = defaultdict(list)
        for s in p:
            by_offsets_pred[(s.start, s.end)].append(s)
        by_offsets_gold = {(s.start, s.end) for s in g}
        for s in g:
            per[s.label].support += 1
            if s in pset:
                per[s.label].tp += 1
                rep.confusion[s.label][s.label] += 1
            if any(q.label == s.label and q.overlaps(s) for q in p):
                per[s.label].partial_tp_gold += 1
            if s in pset:
                continue
            same_off = [q for q in by_offsets_pred.get((s.start, s.end), []) if q.label != s.label]
            if same_off:
                q = same_off[0]
                rep.confusion[s.label][q.label] += 1
                rep.errors.append(Miss("wrong-label", text[s.start:s.end], s.label, s.start,
                                       s.end, where, q.label))
                continue
            rep.confusion[s.label][MISSED] += 1
            ov = [q for q in p if q.label == s.label and q.overlaps(s)]
            if ov:
                q = ov[0]
                rep.errors.append(Miss("boundary", text[s.start:s.end], s.label, s.start, s.end,
                                       where, f'{q.label} "{text[q.start:q.end]}"'))
            else:
                other = [q for q in p if q.overlaps(s)]
                rep.errors.append(Miss("missed", text[s.start:s.end], s.label, s.start, s.end,
                                       where, (f'{other[0].label} "{text[other[0].start:other[0].end]}"'
                                               if other else None)))
        for q in p:
            per[q.label].predicted += 1
            if any(s.label == q.label and s.overlaps(q) for s in g):
                per[q.label].partial_tp_pred += 1
            if q in gset or (q.start, q.end) in by_offsets_gold:
                continue  # correct, or counted as a wrong label above
            rep.confusion[SPURIOUS][q.label] += 1
            rep.errors.append(Miss("spurious", text[q.start:q.end], q.label, q.start, q.end,
                                   where))
    rep.labels = dict(per)
    for s in per.values():
        rep.overall.add(s)
    return rep


def compare_reports(reports: Mapping[str, ScoreReport], markdown: bool = False) -> str:
    """Side-by-side table (e.g. rules-only / model-only / hybrid): exact and partial F1 per label."""
    names = list(reports)
    labels = sorted({lab for r in reports.values() for lab in r.labels})
    header = ["label"] + [f"{n} P/R/F1" for n in names] + [f"{n} F1~" for n in names]

    def cell(s: LabelScore | None) -> str:
        return "-" if s is None else f"{s.precision:.3f}/{s.recall:.3f}/{s.f1:.3f}"
    rows = [[lab] + [cell(reports[n].labels.get(lab)) for n in names]
            + [f"{reports[n].labels[lab].partial_f1:.3f}" if lab in reports[n].labels else "-"
               for n in names] for lab in labels]
    rows.append(["overall (micro)"] + [cell(reports[n].overall) for n in names]
                + [f"{reports[n].overall.partial_f1:.3f}" for n in names])
    rows.append(["macro F1"] + [f"{reports[n].macro_f1:.3f}" for n in names] + ["" for _ in names])
    return md_table(header, rows) if markdown else text_table(header, rows)
