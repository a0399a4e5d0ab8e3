"""Rules-only vs model-only vs hybrid, side by side, on labeled documents.

The three systems are the same `Engine` loaded with different components (hybrid = every
source through the resolver, as `entrec extract` runs it), so the figures measure what a
user gets, not a component in a lab setting. Scores come from `entrec.training.metrics`
(exact-span and partial-overlap P/R/F1, per label and overall); this module adds what a
person needs to act on them: a confusion table of label errors and the worst misses.

Only labels the evaluation data annotates (plus the model's labels) are scored: the
default packs also find e.g. INEQUALITY, which a data set labeled only for LEGISLACAO
knows nothing about, and counting those as false positives would punish a correct engine.
The dropped predictions are counted in `EvaluationReport.unscored_predictions`.
"""
from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = [
    "SYSTEMS", "SystemResult", "EvaluationReport", "evaluate_predictions", "evaluate_engines",
    "evaluate_model", "load_engines", "confusion_table", "worst_misses", "write_report",
]

SYSTEMS = ("rules", "model", "hybrid")
#: components of each system (grammar belongs with the rules: both are hand-written layers)
SYSTEM_COMPONENTS: dict[str, tuple[str, ...]] = {
    "rules": ("rules", "grammar"),
    "model": ("model",),
    "hybrid": ("rules", "grammar", "model"),
}
MISSED = "(missed)"
SPURIOUS = "(none)"


@dataclass
class SystemResult:
    name: str
    scores: Any  # entrec.training.metrics.ScoreReport
    predictions: list[list[Any]] = field(repr=False, default_factory=list)
    seconds: float = 0.0

    def f1(self, label: str | None = None, mode: str = "exact") -> float | None:
        return _metric(self.scores, label, mode, "f1")


@dataclass
class EvaluationReport:
    n_docs: int
    labels: list[str]
    systems: dict[str, SystemResult]
    confusion: dict[str, dict[str, int]]
    misses: list[dict]
    unscored_predictions: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: the system the confusion table and the misses describe
    focus: str = "hybrid"

    # ------------------------------------------------------------------ views
    def summary(self) -> dict[str, Any]:
        """Small JSON-able figures (what goes into the artifact manifest)."""
        out: dict[str, Any] = {"n_docs": self.n_docs, "labels": self.labels}
        for name, sr in self.systems.items():
            out[name] = {
                "exact": {k: _metric(sr.scores, None, "exact", k) for k in ("precision", "recall", "f1")},
                "partial": {k: _metric(sr.scores, None, "partial", k) for k in ("precision", "recall", "f1")},
                "per_label_f1": {lab: _metric(sr.scores, lab, "exact", "f1") for lab in self.labels},
                "seconds": round(sr.seconds, 2),
            }
        out.update(self.extra)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_docs": self.n_docs, "labels": self.labels,
            "systems": {n: {"scores": sr.scores.to_dict(), "seconds": round(sr.seconds, 3)}
                        for n, sr in self.systems.items()},
            "confusion": self.confusion, "worst_misses": self.misses,
            "unscored_predictions": self.unscored_predictions, **self.extra,
        }

    def _rows(self) -> tuple[list[str], list[list[str]]]:
        names = list(self.systems)
        header = ["label"] + [f"{n} {m}" for n in names for m in ("P", "R", "F1", "F1~")]
        rows = []
        for lab in self.labels + [None]:
            row = [lab or "ALL"]
            for n in names:
                sc = self.systems[n].scores
                row += [_pct(_metric(sc, lab, "exact", "precision")),
                        _pct(_metric(sc, lab, "exact", "recall")),
                        _pct(_metric(sc, lab, "exact", "f1")),
                        _pct(_metric(sc, lab, "partial", "f1"))]
            rows.append(row)
        return header, rows

    def _confusion_rows(self) -> tuple[list[str], list[list[str]]]:
        cols = sorted({p for row in self.confusion.values() for p in row} - {MISSED}) + [MISSED]
        header = ["gold \\ predicted"] + cols
        rows = [[g] + [str(self.confusion[g].get(c, 0) or "") for c in cols]
                for g in sorted(self.confusion)]
        return header, rows

    def format(self, max_misses: int = 15) -> str:
        """Terminal tables: scores side by side, confusion, worst misses."""
        from entrec.training.importers.tables import text_table

        header, rows = self._rows()
        parts = [f"{self.n_docs} documents; exact-span P/R/F1 and partial-overlap F1 (F1~), in %",
                 text_table(header, rows)]
        for name, sr in self.systems.items():
            parts.append(f"{name}: {sr.seconds:.1f}s")
        if self.confusion:
            h, r = self._confusion_rows()
            parts += ["", f"Label errors of {self.focus} (gold span -> best-overlapping prediction):",
                      text_table(h, r)]
        if self.misses:
            parts += ["", f"Worst misses of {self.focus} (gold entities not found exactly):",
                      text_table(["count", "label", "kind", "text", "predicted instead"],
                                 [[str(m["count"]), m["label"], m["kind"], _clip(m["text"]),
                                   _clip(m["predicted"])] for m in self.misses[:max_misses]])]
        for key, val in self.extra.items():
            if isinstance(val, dict) and "summary" in val:
                parts += ["", f"{key}: {val['summary']}"]
        return "\n".join(parts)

    def to_markdown(self, title: str = "entrec evaluation", max_misses: int = 25) -> str:
        from entrec.training.importers.tables import md_table

        header, rows = self._rows()
        out = [f"# {title}", "", f"{self.n_docs} documents. Exact-span precision / recall / F1 "
               "and partial-overlap F1 (F1~), in %. Systems: rules-only (rules + grammar), "
               "model-only, hybrid (all sources through the resolver).", "",
               md_table(header, rows), ""]
        out.append("Time: " + ", ".join(f"{n} {sr.seconds:.1f}s" for n, sr in self.systems.items()))
        if self.unscored_predictions:
            out += ["", "Predictions with labels the data does not annotate (not scored): "
                    + ", ".join(f"{k} {v}" for k, v in sorted(self.unscored_predictions.items()))]
        if self.confusion:
            h, r = self._confusion_rows()
            out += ["", f"## Label errors ({self.focus})", "",
                    "Each gold span against the prediction that overlaps it most.", "",
                    md_table(h, r)]
        if self.misses:
            out += ["", f"## Worst misses ({self.focus})", "",
                    md_table(["count", "label", "kind", "text", "predicted instead"],
                             [[str(m["count"]), m["label"], m["kind"], m["text"], m["predicted"]]
                              for m in self.misses[:max_misses]])]
        for key, val in self.extra.items():
            if isinstance(val, dict) and "markdown" in val:
                out += ["", val["markdown"]]
        for name, sr in self.systems.items():
            out += ["", sr.scores.to_markdown(level=2)]
        return "\n".join(out) + "\n"


def _clip(s: str, n: int = 60) -> str:
    s = s.replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def _metric(report: Any, label: str | None, mode: str, key: str) -> float | None:
    """One figure out of a `entrec.training.metrics.ScoreReport`; None when the label is absent."""
    ls = report.overall if label is None else report.labels.get(label)
    if ls is None:
        return None
    return float(getattr(ls, key if mode == "exact" else f"partial_{key}"))


# ---------------------------------------------------------------------- analysis
def _spans(ents: Iterable[Any]) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label) for e in ents]


def confusion_table(gold_docs: Sequence, predictions: Sequence[Sequence[Any]]) -> dict[str, dict[str, int]]:
    """gold label -> {predicted label | "(missed)": count}; a spurious prediction (no gold
    overlap) is counted in row "(none)"."""
    table: dict[str, Counter] = defaultdict(Counter)
    for doc, preds in zip(gold_docs, predictions):
        ps = _spans(preds)
        used = set()
        for g in doc.spans:
            best, best_ov = None, 0
            for k, (s, e, lab) in enumerate(ps):
                ov = min(e, g.end) - max(s, g.start)
                if ov > best_ov:
                    best, best_ov = k, ov
            if best is None:
                table[g.label][MISSED] += 1
            else:
                used.add(best)
                table[g.label][ps[best][2]] += 1
        for k, (s, e, lab) in enumerate(ps):
            if k not in used and not any(min(e, g.end) > max(s, g.start) for g in doc.spans):
                table[SPURIOUS][lab] += 1
    return {g: dict(sorted(c.items())) for g, c in sorted(table.items())}


def worst_misses(scores: Any, top: int = 50) -> list[dict]:
    """Gold entities not found exactly, grouped by (text, label, kind), most frequent first
    (kind: missed / boundary / wrong-label; `predicted` is what overlapped instead)."""
    return [{**m, "predicted": m.get("predicted") or ""} for m in scores.worst_misses(top)]


# ---------------------------------------------------------------------- running
def _only(doc, labels: set[str]):
    from dataclasses import replace

    return replace(doc, spans=tuple(s for s in doc.spans if s.label in labels))


def _filter(preds: Iterable[Any], labels: set[str], unscored: Counter) -> list[Any]:
    out = []
    for e in preds:
        if e.label in labels:
            out.append(e)
        else:
            unscored[e.label] += 1
    return out


def evaluate_predictions(gold_docs: Sequence, systems: Mapping[str, Sequence[Sequence[Any]]], *,
                         labels: Iterable[str] | None = None,
                         seconds: Mapping[str, float] | None = None,
                         analyse: str | None = "hybrid",
                         only_labels: Iterable[str] | None = None) -> EvaluationReport:
    """Score ready-made predictions (lists of objects with start/end/label) per system.

    Scored labels: `only_labels` when given, else the gold labels plus `labels`.
    """
    from entrec.training.metrics import score_documents

    gold_docs = list(gold_docs)
    if only_labels:
        label_set = set(only_labels)
        gold_docs = [_only(d, label_set) for d in gold_docs]
    else:
        label_set = set(labels or ()) | {s.label for d in gold_docs for s in d.spans}
    unscored: Counter = Counter()
    results = {}
    for name, preds in systems.items():
        kept = [_filter(p, label_set, unscored) for p in preds]
        results[name] = SystemResult(name, score_documents(gold_docs, kept, labels=label_set,
                                                           name=name),
                                     kept, (seconds or {}).get(name, 0.0))
    focus = analyse if analyse in results else (list(results)[-1] if results else None)
    conf = confusion_table(gold_docs, results[focus].predictions) if focus else {}
    misses = worst_misses(results[focus].scores) if focus else []
    return EvaluationReport(n_docs=len(gold_docs), labels=sorted(label_set), systems=results,
                            confusion=conf, misses=misses, unscored_predictions=dict(unscored),
                            focus=focus or "")


def load_engines(model: str | Path | None, *, rules: Sequence[str | Path] | str | Path | None = None,
                 systems: Sequence[str] = SYSTEMS) -> dict[str, Any]:
    """One view per system of a single loaded engine (loaded once, sharing every part).

    hybrid is the engine as shipped (placement and arbitration from the artifact);
    model-only is the model alone (a `presets` model runs free; a model trained with rule
    features still gets its features); rules-only is rules + grammar with the packs' policy.
    """
    from entrec.engine import Engine

    full = Engine.load(rules=rules, model=model)
    src = full.model_source()
    engines = {}
    for name in systems:
        comps = SYSTEM_COMPONENTS[name]
        if "model" in comps and src is None:
            continue  # no model, or a rules-only artifact: no model system to compare
        if name == "hybrid":
            engines[name] = full
        elif name == "model":
            view = full.subset(comps)
            engines[name] = view if src.placement == "features" else view.with_placement("resolver")
        else:
            engines[name] = full.subset(comps)
    return engines


def evaluate_engines(gold_docs: Sequence, engines: Mapping[str, Any], *,
                     labels: Iterable[str] | None = None, batch_size: int = 64,
                     progress: Callable[[str], None] | None = None,
                     only_labels: Iterable[str] | None = None) -> EvaluationReport:
    """Run every engine over the documents' texts and score them."""
    gold_docs = list(gold_docs)
    texts = [d.text for d in gold_docs]
    preds, secs = {}, {}
    model_labels: set[str] = set()
    for name, eng in engines.items():
        if progress:
            progress(name)
        t0 = time.perf_counter()
        preds[name] = list(eng.pipe(texts, batch_size=batch_size))
        secs[name] = time.perf_counter() - t0
        for src in eng.sources():
            if getattr(src, "source", None) == "model":
                model_labels |= set(getattr(src, "labels", ()))
    return evaluate_predictions(gold_docs, preds, labels=set(labels or ()) | model_labels,
                                seconds=secs, only_labels=only_labels)


def evaluate_model(model: str | Path | None, gold_docs: Sequence, *,
                   rules: Sequence[str | Path] | str | Path | None = None,
                   systems: Sequence[str] = SYSTEMS, labels: Iterable[str] | None = None,
                   only_labels: Iterable[str] | None = None,
                   progress: Callable[[str], None] | None = None) -> EvaluationReport:
    """`entrec evaluate`: load the artifact three ways and compare on `gold_docs`."""
    engines = load_engines(model, rules=rules, systems=systems)
    report = evaluate_engines(gold_docs, engines, labels=labels, progress=progress,
                              only_labels=only_labels)
    hybrid = engines.get("hybrid")
    if hybrid is not None and hybrid.arbitration:
        arb = hybrid.arbitration
        report.extra["shipped_arbitration"] = {
            "placement": arb.get("placement"), "policy": arb.get("policy"),
            "summary": f"hybrid runs placement {arb.get('placement')} with {arb.get('policy')} "
                       f"(selected at training: {arb.get('summary', 'no summary')})"}
    return report


def write_report(report: EvaluationReport, out_dir: str | Path, *, title: str = "entrec evaluation"
                 ) -> tuple[Path, Path]:
    """`report.md` and `evaluation.json` in `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = out / "report.md"
    md.write_text(report.to_markdown(title=title), encoding="utf-8")
    js = out / "evaluation.json"
    js.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n",
                  encoding="utf-8")
    return md, js
