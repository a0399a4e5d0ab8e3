"""Score an engine on hand-annotated real text (the `real-dev` format of the shared data).

Why a separate scorer: real-text files carry their own language per line, an `unsure` flag
and, for inequalities, the structured value analysts expect — none of which the training
importers model. This module reads that format as it is and reports what the issue's
targets are written in: per-label precision/recall/F1 with *overlap* (same label, spans
overlap, one-to-one) and *exact* matching, per language, with and without unsure lines,
the worst misses, and inequality *value* scores (same op, bounds, inclusivity and unit).

Record format (one JSON object per line)::

    {"text", "lang": "pt"|"en", "source", "expected": [{"span", "start", "end", "label"}],
     "unsure"?: bool}

Inequality files hold `expected: [{"span", "op", "low", "high", "low_inclusive",
"high_inclusive", "unit"}]` without offsets; the span is found with `text.index(span)`.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

__all__ = [
    "RealRecord", "LabelCounts", "EntityReport", "InequalityReport", "load_real_text",
    "is_real_text_file", "is_inequality_value_file", "select_half", "score_entities", "score_inequalities",
    "evaluate_entities", "evaluate_inequalities",
]

INEQUALITY = "INEQUALITY"
_VALUE_KEYS = ("op", "low", "high", "low_inclusive", "high_inclusive")


@dataclass(frozen=True)
class RealRecord:
    text: str
    lang: str
    source: str
    expected: tuple[dict, ...]
    unsure: bool = False
    where: str = ""


def is_real_text_file(path: str | Path) -> bool:
    """True when the first non-blank line is a real-text record (`text` + `expected`)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    return isinstance(obj, dict) and "text" in obj and "expected" in obj
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return False


def is_inequality_value_file(path: str | Path) -> bool:
    """A real-text file whose expectations are inequality values located by span only."""
    if not is_real_text_file(path):
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    exp = json.loads(line).get("expected") or []
                    if exp:
                        return isinstance(exp[0], dict) and "op" in exp[0] and "start" not in exp[0]
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return False
    return False


def load_real_text(path: str | Path) -> list[RealRecord]:
    """Read a real-text JSONL file; a malformed line is an error naming file:line."""
    from entrec.engine.errors import InputError

    out: list[RealRecord] = []
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}", code="file-not-found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", code="bad-input") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{p}:{n}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{where}: not JSON ({exc})", code="bad-input") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) \
                or not isinstance(obj.get("expected"), list):
            raise InputError(f"{where}: a record needs a string 'text' and a list 'expected'",
                             code="bad-input")
        text = obj["text"]
        exp = []
        for e in obj["expected"]:
            e = dict(e)
            if "start" not in e:  # inequality file: locate the span
                i = text.find(e.get("span", ""))
                if i < 0 or not e.get("span"):
                    raise InputError(f"{where}: span {e.get('span')!r} not in text", code="bad-input")
                e["start"], e["end"] = i, i + len(e["span"])
                e.setdefault("label", INEQUALITY)
            elif text[e["start"]:e["end"]] != e.get("span", text[e["start"]:e["end"]]):
                raise InputError(f"{where}: offsets {e['start']}-{e['end']} do not give "
                                 f"{e.get('span')!r}", code="bad-input")
            exp.append(e)
        out.append(RealRecord(text=text, lang=obj.get("lang") or "pt", source=obj.get("source", ""),
                              expected=tuple(exp), unsure=bool(obj.get("unsure")), where=where))
    return out


def select_half(records: Sequence[RealRecord], half: str | None) -> list[RealRecord]:
    """`A`/`B`: the records of half the *pages* (split by a hash of `source`), else all.

    Splitting by page keeps sentences of one page on one side, so writing rules while
    looking at half A and scoring half B measures generalization to unseen pages.
    """
    if not half:
        return list(records)
    want = {"A": 0, "B": 1}[half.upper()]
    return [r for r in records
            if hashlib.sha1(r.source.encode()).digest()[0] % 2 == want]


@dataclass
class LabelCounts:
    gold: int = 0
    pred: int = 0
    tp_exact: int = 0
    tp_overlap: int = 0

    @staticmethod
    def _prf(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
        p = tp / npred if npred else (1.0 if not ngold else 0.0)
        r = tp / ngold if ngold else (1.0 if not npred else 0.0)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def exact(self) -> tuple[float, float, float]:
        return self._prf(self.tp_exact, self.pred, self.gold)

    def overlap(self) -> tuple[float, float, float]:
        return self._prf(self.tp_overlap, self.pred, self.gold)

    def add(self, o: "LabelCounts") -> None:
        self.gold += o.gold
        self.pred += o.pred
        self.tp_exact += o.tp_exact
        self.tp_overlap += o.tp_overlap


def _match(gold: list[tuple[int, int]], pred: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """One-to-one overlap matching (exact matches first, then largest overlap)."""
    pairs = []
    for gi, (gs, ge) in enumerate(gold):
        for pi, (ps, pe) in enumerate(pred):
            ov = min(ge, pe) - max(gs, ps)
            if ov > 0:
                pairs.append((-(gs == ps and ge == pe), -ov, gi, pi))
    pairs.sort()
    used_g, used_p, out = set(), set(), []
    for _, _, gi, pi in pairs:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


@dataclass
class EntityReport:
    per_label: dict[str, LabelCounts]
    per_lang: dict[str, LabelCounts]
    misses: list[dict] = field(default_factory=list)
    n_docs: int = 0

    def overall(self) -> LabelCounts:
        tot = LabelCounts()
        for c in self.per_label.values():
            tot.add(c)
        return tot

    def to_dict(self) -> dict[str, Any]:
        def d(c: LabelCounts) -> dict:
            p, r, f = c.overlap()
            ep, er, ef = c.exact()
            return {"gold": c.gold, "pred": c.pred, "overlap": {"p": p, "r": r, "f1": f},
                    "exact": {"p": ep, "r": er, "f1": ef}}
        return {"n_docs": self.n_docs, "overall": d(self.overall()),
                "labels": {k: d(v) for k, v in sorted(self.per_label.items())},
                "langs": {k: d(v) for k, v in sorted(self.per_lang.items())},
                "misses": self.misses}

    def format(self, max_misses: int = 25) -> str:
        rows = [f"{'label':<18} {'gold':>5} {'pred':>5}   {'P~':>6} {'R~':>6} {'F1~':>6}   "
                f"{'P':>6} {'R':>6} {'F1':>6}"]

        def line(name: str, c: LabelCounts) -> str:
            p, r, f = c.overlap()
            ep, er, ef = c.exact()
            return (f"{name:<18} {c.gold:>5} {c.pred:>5}   {p:6.3f} {r:6.3f} {f:6.3f}   "
                    f"{ep:6.3f} {er:6.3f} {ef:6.3f}")
        for lab in sorted(self.per_label):
            rows.append(line(lab, self.per_label[lab]))
        rows.append(line("ALL", self.overall()))
        for lg in sorted(self.per_lang):
            rows.append(line(f"ALL lang={lg}", self.per_lang[lg]))
        out = [f"{self.n_docs} documents; ~ = overlap match (same label, spans overlap, "
               "one-to-one), plain = exact span", *rows]
        if max_misses and self.misses:
            out.append(f"\nworst misses ({len(self.misses)} in all; first {max_misses}):")
            for m in self.misses[:max_misses]:
                extra = f" (predicted {m['predicted']})" if m.get("predicted") else ""
                out.append(f"  [{m['kind']}] {m['label']} {m['span']!r}{extra}  @ {m['where']}")
        return "\n".join(out)


_KIND_ORDER = {"missed": 0, "spurious": 1, "boundary": 2}


def score_entities(records: Sequence[RealRecord], predictions: Sequence[Iterable[Any]],
                   labels: Iterable[str] | None = None) -> EntityReport:
    """Compare predictions (objects or dicts with start/end/label) with the records' gold."""
    keep = set(labels) if labels else None
    per_label: dict[str, LabelCounts] = defaultdict(LabelCounts)
    per_lang: dict[str, LabelCounts] = defaultdict(LabelCounts)
    misses: list[dict] = []
    for rec, preds in zip(records, predictions):
        pl = [(_get(p, "start"), _get(p, "end"), _get(p, "label")) for p in preds]
        gl = [(e["start"], e["end"], e["label"]) for e in rec.expected]
        if keep is not None:
            pl = [x for x in pl if x[2] in keep]
            gl = [x for x in gl if x[2] in keep]
        for lab in {x[2] for x in pl} | {x[2] for x in gl}:
            g = [(s, e) for s, e, lb in gl if lb == lab]
            p = [(s, e) for s, e, lb in pl if lb == lab]
            c = LabelCounts(gold=len(g), pred=len(p))
            m = _match(g, p)
            c.tp_overlap = len(m)
            c.tp_exact = sum(1 for gi, pi in m if g[gi] == p[pi])
            per_label[lab].add(c)
            per_lang[rec.lang].add(c)
            mg = {gi: pi for gi, pi in m}
            mp = {pi for _, pi in m}
            for gi, (s, e) in enumerate(g):
                if gi not in mg:
                    other = [f"{lb} {rec.text[a:b]!r}" for a, b, lb in pl if a < e and s < b]
                    misses.append({"kind": "missed", "label": lab, "span": rec.text[s:e],
                                   "where": rec.where, "predicted": ", ".join(other)})
                elif p[mg[gi]] != (s, e):
                    a, b = p[mg[gi]]
                    misses.append({"kind": "boundary", "label": lab, "span": rec.text[s:e],
                                   "where": rec.where, "predicted": repr(rec.text[a:b])})
            for pi, (s, e) in enumerate(p):
                if pi not in mp:
                    misses.append({"kind": "spurious", "label": lab, "span": rec.text[s:e],
                                   "where": rec.where})
    misses.sort(key=lambda m: (_KIND_ORDER[m["kind"]], m["label"], m["where"]))
    return EntityReport(per_label=dict(per_label), per_lang=dict(per_lang), misses=misses,
                        n_docs=len(records))


@dataclass
class InequalityReport:
    gold: int = 0
    pred: int = 0
    tp_value: int = 0
    tp_value_no_unit: int = 0
    tp_span: int = 0
    misses: list[dict] = field(default_factory=list)
    n_docs: int = 0

    def value(self, units: bool = True) -> tuple[float, float, float]:
        return LabelCounts._prf(self.tp_value if units else self.tp_value_no_unit,
                                self.pred, self.gold)

    def to_dict(self) -> dict[str, Any]:
        return {"n_docs": self.n_docs, "gold": self.gold, "pred": self.pred,
                "value": dict(zip("prf", self.value(True))),
                "value_without_unit": dict(zip("prf", self.value(False))),
                "span_overlap": dict(zip("prf", LabelCounts._prf(self.tp_span, self.pred, self.gold))),
                "misses": self.misses}

    def format(self, max_misses: int = 25) -> str:
        p, r, f = self.value(True)
        up, ur, uf = self.value(False)
        sp, sr, sf = LabelCounts._prf(self.tp_span, self.pred, self.gold)
        out = [f"{self.n_docs} documents, {self.gold} expected inequalities, {self.pred} predicted",
               f"value (op, bounds, inclusivity, unit)  P {p:.3f}  R {r:.3f}  F1 {f:.3f}",
               f"value ignoring unit                    P {up:.3f}  R {ur:.3f}  F1 {uf:.3f}",
               f"span overlap only                      P {sp:.3f}  R {sr:.3f}  F1 {sf:.3f}"]
        if max_misses and self.misses:
            out.append(f"\nmisses ({len(self.misses)}; first {max_misses}):")
            for m in self.misses[:max_misses]:
                out.append(f"  [{m['kind']}] {m['span']!r}: {m['detail']}  @ {m['where']}")
        return "\n".join(out)


def _norm_unit(u: Any) -> Any:
    return u if u not in ("",) else None


def _value_eq(g: dict, v: dict | None, units: bool) -> bool:
    if not v:
        return False
    for k in _VALUE_KEYS:
        a, b = g.get(k), v.get(k)
        side = k.split("_")[0]
        if k.endswith("_inclusive") and g.get(side) is None and v.get(side) is None:
            continue  # an open side has no inclusivity (files write null, the engine false)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if abs(a - b) > 1e-9:
                return False
        elif a != b:
            return False
    return not units or _norm_unit(g.get("unit")) == _norm_unit(v.get("unit"))


def score_inequalities(records: Sequence[RealRecord],
                       predictions: Sequence[Iterable[Any]]) -> InequalityReport:
    """Value-level scores: a prediction counts when it overlaps a gold span (one-to-one)
    and carries the same interval (and unit, for the main figure)."""
    rep = InequalityReport(n_docs=len(records))
    for rec, preds in zip(records, predictions):
        ps = [p for p in preds if _get(p, "label") == INEQUALITY]
        gs = [e for e in rec.expected if e.get("label", INEQUALITY) == INEQUALITY]
        rep.gold += len(gs)
        rep.pred += len(ps)
        m = _match([(g["start"], g["end"]) for g in gs], [(_get(p, "start"), _get(p, "end")) for p in ps])
        rep.tp_span += len(m)
        matched_p = set()
        for gi, pi in m:
            g, p = gs[gi], ps[pi]
            v = _get(p, "value")
            matched_p.add(pi)
            ok, ok_nu = _value_eq(g, v, True), _value_eq(g, v, False)
            rep.tp_value += ok
            rep.tp_value_no_unit += ok_nu
            if not ok:
                got = {k: (v or {}).get(k) for k in (*_VALUE_KEYS, "unit")}
                rep.misses.append({"kind": "value" if not ok_nu else "unit", "span": g["span"],
                                   "where": rec.where,
                                   "detail": f"predicted {rec.text[_get(p, 'start'):_get(p, 'end')]!r} {got}"})
        for gi, g in enumerate(gs):
            if gi not in {a for a, _ in m}:
                rep.misses.append({"kind": "missed", "span": g["span"], "where": rec.where,
                                   "detail": {k: g.get(k) for k in (*_VALUE_KEYS, "unit")}})
        for pi, p in enumerate(ps):
            if pi not in matched_p:
                rep.misses.append({"kind": "spurious",
                                   "span": rec.text[_get(p, "start"):_get(p, "end")],
                                   "where": rec.where, "detail": _get(p, "value")})
    return rep


def _get(x: Any, k: str) -> Any:
    return x[k] if isinstance(x, dict) else getattr(x, k)


def _predict(extract: Callable[[str, str], list], records: Sequence[RealRecord]) -> list[list]:
    return [extract(r.text, r.lang) for r in records]


def evaluate_entities(engine: Any, records: Sequence[RealRecord], *, include_unsure: bool = True,
                      labels: Iterable[str] | None = None) -> EntityReport:
    """Run `engine.extract(text, lang)` over the records and score every label."""
    recs = [r for r in records if include_unsure or not r.unsure]
    return score_entities(recs, _predict(engine.extract, recs), labels)


def evaluate_inequalities(engine: Any, records: Sequence[RealRecord], *,
                          include_unsure: bool = True) -> InequalityReport:
    recs = [r for r in records if include_unsure or not r.unsure]
    return score_inequalities(recs, _predict(engine.extract, recs))
