"""Learned rules (the "trainable entity ruler"): propose phrase and shape rules from labeled data.

For every labeled mention we propose the phrase (and, where the token shapes are specific,
a token pattern), then measure it on the training texts the way the rule engine would match
it, and keep it when it is labeled often enough (`support`) and reliably enough (`precision`):

- phrase precision = (occurrences of the phrase in the training texts that are gold spans
  with that label) / (all occurrences of the phrase), where an occurrence is a run of words
  as the phrase matcher sees them (`entrec.engine.textfold.words` on case- and accent-folded text,
  the default `case_sensitive: false` / `accent_sensitive: false`). When the folded phrase
  fails but its most frequent exact spelling passes, the rule is emitted with
  `case_sensitive: true` / `accent_sensitive: true`.
- pattern precision: same ratio over the token matches of the spaCy Matcher pattern on
  `entrec.engine.tokenizer.make_nlp(lang)` tokens. Patterns are pure `SHAPE` sequences, or the
  label's most frequent first word (`LOWER`) followed by shapes; only shapes holding a digit
  or a symbol are proposed (a bare `Xxxxx` would match any capitalized word).

The output is an ordinary rule file (`render_rule_file`), one rule per proposal with its
figures in the description and in a YAML comment, for an analyst to review before committing.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from entrec.engine.textfold import fold, words
from entrec.training.importers.document import LabeledDocument

__all__ = ["Proposal", "InduceResult", "induce_rules", "render_rule_file"]

_SEP = "\x1f"


@dataclass
class Proposal:
    """One proposed rule and its figures on the training data."""

    kind: str  # "phrase" | "pattern"
    label: str
    support: int  # occurrences labeled `label`
    occurrences: int  # all occurrences the rule would match
    phrase: str | None = None
    pattern: list[dict[str, Any]] | None = None
    case_sensitive: bool = False
    variants: list[str] = field(default_factory=list)  # other spellings seen (folded equal)
    confused_with: dict[str, int] = field(default_factory=dict)  # other labels on same span
    example: str | None = None  # source of one labeled occurrence
    hits: frozenset = field(default=frozenset(), repr=False, compare=False)  # labeled occurrences

    @property
    def precision(self) -> float:
        return self.support / self.occurrences if self.occurrences else 0.0

    def sort_key(self) -> tuple:
        return (-self.support, -self.precision, self.kind, self.phrase or json.dumps(self.pattern))

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "phrase": self.phrase,
                "pattern": self.pattern, "support": self.support,
                "occurrences": self.occurrences, "precision": round(self.precision, 4),
                "case_sensitive": self.case_sensitive, "variants": self.variants,
                "confused_with": self.confused_with, "example": self.example}


@dataclass
class InduceResult:
    kept: list[Proposal]
    candidates: int
    below_support: int
    below_precision: int
    over_max: int
    subsumed: int
    documents: int
    spans: int
    thresholds: dict[str, Any]

    def summary(self) -> str:
        per = Counter(p.label for p in self.kept)
        return (f"{self.documents} document(s), {self.spans} labeled span(s): {self.candidates} "
                f"candidate rule(s); kept {len(self.kept)} ("
                + ", ".join(f"{k} {v}" for k, v in sorted(per.items())) + f"); rejected "
                f"{self.below_support} below min support, {self.below_precision} below min "
                f"precision, {self.subsumed} covered by a better rule, {self.over_max} over "
                f"--max-rules")

    def to_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "spans": self.spans, "candidates": self.candidates,
                "kept": [p.to_dict() for p in self.kept], "below_support": self.below_support,
                "below_precision": self.below_precision, "over_max": self.over_max,
                "subsumed": self.subsumed,
                "thresholds": self.thresholds}


# ---------------------------------------------------------------------------------------------
# phrases

@dataclass
class _PhraseStats:
    labels: Counter = field(default_factory=Counter)  # gold label counts of the phrase's spans
    surfaces: Counter = field(default_factory=Counter)
    occ: int = 0
    labeled: Counter = field(default_factory=Counter)  # occurrences that are gold spans, by label
    occ_surface: Counter = field(default_factory=Counter)
    labeled_surface: Counter = field(default_factory=Counter)  # (surface, label)
    hits: dict[str, set] = field(default_factory=lambda: defaultdict(set))  # label -> {(doc, a, b, surface)}
    example: dict[str, str] = field(default_factory=dict)


def _key(text: str) -> tuple[str, int]:
    ws = words(fold(text))
    return _SEP.join(w for _, _, w in ws), len(ws)


def _phrase_proposals(docs: Sequence[LabeledDocument], extra: Iterable[tuple[str, str]],
                      max_words: int) -> list[Proposal]:
    stats: dict[str, _PhraseStats] = defaultdict(_PhraseStats)
    lens_by_first: dict[str, set[int]] = defaultdict(set)

    def add(text: str, label: str, from_gold: bool) -> None:
        text = " ".join(text.split())
        if len(text) < 2:
            return
        key, n = _key(text)
        if not key or n > max_words:
            return
        st = stats[key]
        if from_gold:
            st.labels[label] += 1
            st.surfaces[text] += 1
        else:
            st.labels[label] += 0
            st.surfaces[text] += 0
        lens_by_first[key.split(_SEP, 1)[0]].add(n)

    for d in docs:
        for s in d.spans:
            add(d.text[s.start:s.end], s.label, True)
    for text, label in extra:
        add(text, label, False)

    for i, d in enumerate(docs):
        gold = {(s.start, s.end): s.label for s in d.spans}
        ws = words(fold(d.text))
        n = len(ws)
        for j in range(n):
            lens = lens_by_first.get(ws[j][2])
            if not lens:
                continue
            for L in lens:
                if j + L > n:
                    continue
                key = _SEP.join(w for _, _, w in ws[j:j + L])
                st = stats.get(key)
                if st is None:
                    continue
                a, b = ws[j][0], ws[j + L - 1][1]
                surface = " ".join(d.text[a:b].split())
                st.occ += 1
                st.occ_surface[surface] += 1
                lab = gold.get((a, b))
                if lab is not None:
                    st.labeled[lab] += 1
                    st.labeled_surface[(surface, lab)] += 1
                    st.hits[lab].add((i, a, b, surface))
                    st.example.setdefault(lab, d.source or d.id or f"#{i}")

    out = []
    for key, st in stats.items():
        for label in st.labels:
            surface = max(st.surfaces, key=lambda s: (st.surfaces[s], st.occ_surface[s], s))
            variants = sorted(s for s in st.surfaces if s != surface)
            others = {k: v for k, v in st.labeled.items() if k != label}
            out.append(Proposal("phrase", label, st.labeled[label], st.occ, phrase=surface,
                                variants=variants, confused_with=others,
                                example=st.example.get(label),
                                hits=frozenset(h[:3] for h in st.hits[label])))
            # the exact spelling, case/accent sensitive, as a fallback candidate
            top = max((s for s in st.occ_surface), key=lambda s: (
                st.labeled_surface[(s, label)], st.occ_surface[s], s), default=None)
            if top is not None and st.occ_surface[top] < st.occ:
                out.append(Proposal("phrase", label, st.labeled_surface[(top, label)],
                                    st.occ_surface[top], phrase=top, case_sensitive=True,
                                    confused_with=others, example=st.example.get(label),
                                    hits=frozenset(h[:3] for h in st.hits[label] if h[3] == top)))
    return out


# ---------------------------------------------------------------------------------------------
# shape patterns

def _specific(shape: str) -> bool:
    return any(c not in "xX" for c in shape)


def _pattern_proposals(docs: Sequence[LabeledDocument], lang: str, max_tokens: int,
                       min_variety: int = 2) -> list[Proposal]:
    from entrec.training.importers import _nlp

    nlp = _nlp(lang)
    sdocs = [nlp.make_doc(d.text) for d in docs]
    cands: dict[str, tuple[list[dict[str, Any]], Counter]] = {}

    def add(pattern: list[dict[str, Any]], label: str) -> None:
        k = json.dumps(pattern, ensure_ascii=False)
        if k not in cands:
            cands[k] = (pattern, Counter())
        cands[k][1][label] += 1

    for d, sd in zip(docs, sdocs):
        for s in d.spans:
            span = sd.char_span(s.start, s.end, alignment_mode="strict")
            if span is None or not 1 <= len(span) <= max_tokens:
                continue
            toks = list(span)
            shapes = [t.shape_ for t in toks]
            if not any(_specific(x) for x in shapes):
                continue
            add([{"SHAPE": x} for x in shapes], s.label)
            if len(toks) >= 2 and toks[0].is_alpha:
                add([{"LOWER": toks[0].lower_}] + [{"SHAPE": x} for x in shapes[1:]], s.label)
    if not cands:
        return []
    # Patterns are fixed-length SHAPE/LOWER sequences: index them by their first token test
    # (spaCy's Matcher gives the same matches but is slow with thousands of patterns).
    def test(tok_spec: dict[str, Any]) -> tuple[str, str]:
        (attr, val), = tok_spec.items()
        return attr, val

    keys = list(cands)
    by_first: dict[tuple[str, str], list[tuple[str, tuple]]] = defaultdict(list)
    for k in keys:
        seq = tuple(test(t) for t in cands[k][0])
        by_first[seq[0]].append((k, seq))
    occ: Counter = Counter()
    labeled: dict[str, Counter] = defaultdict(Counter)
    surfaces: dict[tuple[str, str], set[str]] = defaultdict(set)
    hits: dict[tuple[str, str], set] = defaultdict(set)
    example: dict[tuple[str, str], str] = {}
    for i, (d, sd) in enumerate(zip(docs, sdocs)):
        gold = {(s.start, s.end): s.label for s in d.spans}
        feats = [{"SHAPE": t.shape_, "LOWER": t.lower_} for t in sd]
        n = len(feats)
        for a in range(n):
            f0 = feats[a]
            for first in (("SHAPE", f0["SHAPE"]), ("LOWER", f0["LOWER"])):
                for k, seq in by_first.get(first, ()):
                    b = a + len(seq)
                    if b > n or any(feats[a + j][attr] != val
                                    for j, (attr, val) in enumerate(seq[1:], 1)):
                        continue
                    ca, cb = sd[a].idx, sd[b - 1].idx + len(sd[b - 1])
                    occ[k] += 1
                    lab = gold.get((ca, cb))
                    if lab is not None:
                        labeled[k][lab] += 1
                        surfaces[(k, lab)].add(d.text[ca:cb].lower())
                        hits[(k, lab)].add((i, ca, cb))
                        example.setdefault((k, lab), d.source or d.id or f"#{i}")
    out = []
    for k in keys:
        pattern, labels = cands[k]
        for label in labels:
            if len(surfaces[(k, label)]) < min_variety:
                continue  # matches one text only: the phrase rule says it better
            others = {x: v for x, v in labeled[k].items() if x != label}
            out.append(Proposal("pattern", label, labeled[k][label], occ[k], pattern=pattern,
                                confused_with=others, example=example.get((k, label)),
                                hits=frozenset(hits[(k, label)])))
    return out


# ---------------------------------------------------------------------------------------------

def induce_rules(docs: Sequence[LabeledDocument], *, lang: str = "pt", min_support: int = 3,
                 min_precision: float = 0.8, max_rules: int = 200, patterns: bool = True,
                 max_phrase_words: int = 8, max_pattern_tokens: int = 6,
                 extra_phrases: Iterable[tuple[str, str]] = ()) -> InduceResult:
    """Propose, measure and filter rules; `kept` is sorted best first (support, precision).

    `extra_phrases` ((text, label) pairs, e.g. a Comprehend entity list) are measured on the
    data like the labeled mentions and kept under the same thresholds.
    """
    docs = list(docs)
    props = _phrase_proposals(docs, extra_phrases, max_phrase_words)
    if patterns:
        props += _pattern_proposals(docs, lang, max_pattern_tokens)
    below_support = below_precision = 0
    ok: list[Proposal] = []
    for p in props:
        if p.support < min_support:
            below_support += 1
        elif p.precision < min_precision:
            below_precision += 1
        else:
            ok.append(p)
    # a case-sensitive variant only when its folded phrase did not pass
    folded_ok = {(p.label, _key(p.phrase)[0]) for p in ok if p.kind == "phrase"
                 and not p.case_sensitive}
    ok = [p for p in ok if not (p.case_sensitive and (p.label, _key(p.phrase)[0]) in folded_ok)]
    # one spelling per folded phrase and label; then drop what a better rule already covers
    seen: set[tuple[str, str]] = set()
    uniq: list[Proposal] = []
    subsumed = 0
    by_label: dict[str, list[Proposal]] = defaultdict(list)
    for p in sorted(ok, key=Proposal.sort_key):
        if p.kind == "phrase":
            k = (p.label, _key(p.phrase)[0])
            if k in seen:
                continue
            seen.add(k)
        if any(p.hits <= q.hits for q in by_label[p.label]):
            subsumed += 1  # every labeled occurrence is already found by a kept rule
            continue
        by_label[p.label].append(p)
        uniq.append(p)
    # a phrase whose labeled occurrences a (later, less supported) pattern also finds
    patterns_of = defaultdict(list)
    for p in uniq:
        if p.kind == "pattern":
            patterns_of[p.label].append(p)
    before = len(uniq)
    uniq = [p for p in uniq if p.kind != "phrase" or not any(
        p.hits <= q.hits for q in patterns_of[p.label])]
    subsumed += before - len(uniq)
    kept = uniq[:max_rules] if max_rules > 0 else uniq
    return InduceResult(kept=kept, candidates=len(props), below_support=below_support,
                        below_precision=below_precision, over_max=len(uniq) - len(kept),
                        subsumed=subsumed,
                        documents=len(docs), spans=sum(len(d.spans) for d in docs),
                        thresholds={"min_support": min_support, "min_precision": min_precision,
                                    "max_rules": max_rules})


def _q(s: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(s, ensure_ascii=False)


def _flow(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def render_rule_file(result: InduceResult, *, lang: str = "pt", source: str = "training data",
                     tests: Sequence[dict[str, Any]] = (), phrase_priority: int = 5,
                     pattern_priority: int = 3) -> str:
    """The induced rules as a commented rule file (format version 1)."""
    t = result.thresholds
    per_label: dict[str, list[Proposal]] = defaultdict(list)
    for p in result.kept:
        per_label[p.label].append(p)
    lines = [
        "# Rules induced by `entrec induce` from labeled data: REVIEW BEFORE COMMITTING.",
        f"# Data: {source}",
        f"# {result.summary()}",
        f"# Thresholds: min support {t['min_support']}, min precision {t['min_precision']}, "
        f"max rules {t['max_rules']}.",
        "# support = occurrences labeled with the rule's label; precision = support / all",
        "# occurrences the rule matches in the training texts. Delete what you do not want.",
        "version: 1",
        f"language: {lang}",
        "labels:",
    ]
    for label in sorted(per_label):
        lines.append(f"  {label}: {_q(f'induced from {source}')}")
    if not per_label:
        lines[-1] = "labels: {}"
    lines.append("rules:" if result.kept else "rules: []")
    counters: Counter = Counter()
    for p in sorted(result.kept, key=lambda p: (p.label, p.kind != "phrase", p.sort_key())):
        counters[(p.label, p.kind)] += 1
        n = counters[(p.label, p.kind)]
        base = p.label.lower()
        rid = f"induced.{base}.{n:04d}" if p.kind == "phrase" else f"induced.{base}.shape.{n:04d}"
        figures = (f"support {p.support}, precision {p.precision:.2f} ({p.support}/"
                   f"{p.occurrences}) on training data")
        comment = f"  # {figures}"
        if p.confused_with:
            comment += "; also labeled " + ", ".join(f"{k} x{v}" for k, v in
                                                     sorted(p.confused_with.items()))
        if p.example:
            comment += f"; e.g. {p.example}"
        lines.append(comment.replace("\n", " "))
        lines.append(f"  - id: {rid}")
        lines.append(f"    label: {p.label}")
        lines.append(f"    priority: {phrase_priority if p.kind == 'phrase' else pattern_priority}")
        lines.append(f"    description: {_q(figures)}")
        if p.kind == "phrase":
            lines.append(f"    phrases: [{_q(p.phrase or '')}]")
            if p.variants:
                lines.append("    # also written: " + ", ".join(_q(v) for v in p.variants[:10])
                             .replace("\n", " "))
            if p.case_sensitive:
                lines.append("    case_sensitive: true")
                lines.append("    accent_sensitive: true")
        else:
            lines.append(f"    pattern: {_flow(p.pattern)}")
    if tests:
        lines.append("tests:")
        for case in tests:
            lines.append(f"  - text: {_q(case['text'])}")
            lines.append("    expect:")
            for e in case["expect"]:
                lines.append(f"      - {{text: {_q(e['text'])}, label: {e['label']}}}")
    else:
        lines.append("tests: []")
    return "\n".join(lines) + "\n"


def _lines(docs: Sequence[LabeledDocument]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Every line of every document with the gold spans inside it (offsets in the line)."""
    out = []
    for d in docs:
        pos = 0
        for line in d.text.split("\n"):
            end = pos + len(line)
            spans = [(s.start - pos, s.end - pos, s.label) for s in d.spans
                     if pos <= s.start and s.end <= end]
            out.append((line, spans))
            pos = end + 1
    return out


def make_tests(rule_file_text: str, docs: Sequence[LabeledDocument], *, lang: str = "pt",
               n: int = 5, max_chars: int = 240) -> list[dict[str, Any]]:
    """Embedded tests: short training lines where the induced rules alone find exactly the
    gold spans of the labels they find (rule-file tests are exhaustive per expected label),
    covering as many labels as possible. Needs the rule engine; [] when it cannot load."""
    import tempfile
    from pathlib import Path

    try:
        from entrec.engine import Engine

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "induced.yaml"
            path.write_text(rule_file_text, encoding="utf-8")
            engine = Engine.load(rules=[path], components=("rules",), lang=lang)
    except Exception:  # the rules stand without tests; the CLI says so
        return []
    cands = sorted({(t, tuple(sp)) for t, sp in _lines(docs)
                    if sp and len(t) <= max_chars and t.strip()},
                   key=lambda c: (len(c[0]), c[0]))
    good: list[tuple[str, list[tuple[int, int, str]]]] = []
    for text, spans in cands:
        try:
            ents = engine.extract(text)
        except Exception:
            continue
        if not ents:
            continue
        labels = {e.label for e in ents}
        got = sorted((e.start, e.end, e.label) for e in ents)
        if got == sorted(s for s in spans if s[2] in labels):
            good.append((text, got))
        if len(good) >= 20 * n:
            break
    picked, covered = [], set()
    for text, got in good:  # first, one test per label not yet covered
        if {lab for *_, lab in got} - covered and len(picked) < n:
            picked.append((text, got))
            covered |= {lab for *_, lab in got}
    for text, got in good:
        if len(picked) >= n:
            break
        if (text, got) not in picked:
            picked.append((text, got))
    return [{"text": t, "expect": [{"text": t[a:b], "label": lab} for a, b, lab in got]}
            for t, got in picked]
