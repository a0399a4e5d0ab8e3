"""A compiled rule pack as a `CandidateSource`: phrases, token patterns and RE2 regexes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..entity import Candidate
from ..textfold import fold, slug, words
from .phrases import PhraseIndex
from .schema import ContextModel, RuleModel

__all__ = ["CompiledRule", "RuleSource"]


@dataclass
class CompiledRule:
    """One rule ready to run: the validated model plus its compiled matcher."""

    model: RuleModel
    file: str
    kind: str  # "phrases" | "pattern" | "regex"
    phrase_index: PhraseIndex | None = None
    patterns: list[list[dict[str, Any]]] = field(default_factory=list)
    regex: Any = None  # re2 compiled pattern

    @property
    def id(self) -> str:
        return self.model.id


def _context_ok(doc: Doc, tstart: int, tend: int, ctx: ContextModel) -> bool:
    def window_text(a: int, b: int) -> str:
        return " " + " ".join(fold(t.text) for t in doc[max(a, 0):max(b, 0)]) + " "

    before = window_text(tstart - ctx.window, tstart)
    after = window_text(tend, min(tend + ctx.window, len(doc)))

    def has(hay: str, needles: list[str]) -> bool:
        return any(f" {' '.join(w for _, _, w in words(fold(n)))} " in hay for n in needles)

    if ctx.require_before and not has(before, ctx.require_before):
        return False
    if ctx.require_after and not has(after, ctx.require_after):
        return False
    if ctx.forbid_before and has(before, ctx.forbid_before):
        return False
    if ctx.forbid_after and has(after, ctx.forbid_after):
        return False
    return True


class RuleSource:
    """Runs every enabled rule of one language over a Doc. Built once, read-only after."""

    source = "rule"

    def __init__(self, language: str, rules: list[CompiledRule], vocab: Vocab):
        self.name = f"rules:{language}"
        self.language = language
        self.rules = [r for r in rules if r.model.enabled]
        self._by_key: dict[str, CompiledRule] = {}
        self._matcher = Matcher(vocab, validate=True)
        self._uses_norm = False
        for r in self.rules:
            if r.kind == "pattern":
                self._matcher.add(r.id, r.patterns, greedy="LONGEST")
                self._by_key[r.id] = r
                self._uses_norm = self._uses_norm or any("NORM" in t for p in r.patterns for t in p)
        self._phrase_modes = sorted({(r.phrase_index.lower, r.phrase_index.strip_accents)
                                     for r in self.rules if r.kind == "phrases"})
        self._vocab = vocab

    def __len__(self) -> int:
        return len(self.rules)

    def raw_matches(self, doc: Doc) -> list[tuple[int, int, CompiledRule, str | None]]:
        """(char start, char end, rule, id) before token alignment and context filters."""
        text = doc.text
        out: list[tuple[int, int, CompiledRule, str | None]] = []
        if self._phrase_modes:
            split = {mode: words(fold(text, *mode)) for mode in self._phrase_modes}
            for r in self.rules:
                if r.kind == "phrases":
                    idx = r.phrase_index
                    for s, e, cid in idx.match(split[(idx.lower, idx.strip_accents)]):
                        out.append((s, e, r, cid))
        for r in self.rules:
            if r.kind == "regex":
                for m in r.regex.finditer(text):
                    if m.end() > m.start():
                        out.append((m.start(), m.end(), r, None))
        if self._by_key:
            if self._uses_norm:
                for t in doc:
                    t.norm_ = fold(t.text)
            strings = self._vocab.strings
            for key, ts, te in self._matcher(doc):
                r = self._by_key[strings[key]]
                span = doc[ts:te]
                out.append((span.start_char, span.end_char, r, None))
        return out

    def find(self, doc: Doc) -> list[Candidate]:
        text = doc.text  # Doc.text is rebuilt on every access: read it once
        seen: set[tuple[int, int, str]] = set()
        out: list[Candidate] = []
        for s, e, r, cid in self.raw_matches(doc):
            span = doc.char_span(s, e, alignment_mode="expand")
            if span is None or not span.text.strip():
                continue
            # expansion never crosses into whitespace: trim to the original match ends
            start, end = span.start_char, span.end_char
            if r.model.context is not None and not _context_ok(doc, span.start, span.end, r.model.context):
                continue
            key = (start, end, r.id)
            if key in seen:
                continue
            seen.add(key)
            m = r.model
            if cid is None:
                if m.canonical:
                    cid = m.canonical
                elif m.normalize == "upper":
                    cid = text[start:end].upper()
                elif m.normalize == "lower":
                    cid = text[start:end].lower()
                elif m.normalize == "slug":
                    cid = slug(text[start:end])
            out.append(Candidate(start=start, end=end, label=m.label, source="rule", rule_id=m.id,
                                 priority=m.priority, score=1.0, id=cid))
        return out
