"""A compiled rule pack as a `CandidateSource`: phrases, token patterns and RE2 regexes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..entity import Candidate
from ..textfold import fold, slug, words
from .coordination import compile_coordinators, extend_coordinated
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


def _needles(words_list: list[str]) -> tuple[str, ...]:
    return tuple(f" {' '.join(w for _, _, w in words(fold(n)))} " for n in words_list)


@dataclass(frozen=True)
class _Context:
    """A context clause with its word lists folded once, at compile time."""

    window: int
    require_before: tuple[str, ...]
    forbid_before: tuple[str, ...]
    require_after: tuple[str, ...]
    forbid_after: tuple[str, ...]

    @classmethod
    def compile(cls, ctx: ContextModel) -> "_Context":
        return cls(ctx.window, _needles(ctx.require_before), _needles(ctx.forbid_before),
                   _needles(ctx.require_after), _needles(ctx.forbid_after))

    def ok(self, folded: list[str], tstart: int, tend: int) -> bool:
        before = " " + " ".join(folded[max(tstart - self.window, 0):tstart]) + " "
        after = " " + " ".join(folded[tend:tend + self.window]) + " "
        if self.require_before and not any(n in before for n in self.require_before):
            return False
        if self.require_after and not any(n in after for n in self.require_after):
            return False
        if self.forbid_before and any(n in before for n in self.forbid_before):
            return False
        if self.forbid_after and any(n in after for n in self.forbid_after):
            return False
        return True


def text_tokens(doc: Doc) -> list[str]:
    return [t.text for t in doc]


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
        self._contexts = {r.id: _Context.compile(r.model.context) for r in self.rules
                          if r.model.context is not None}
        self._coordinators = compile_coordinators(self.rules)
        self._normalize = {r.id: r.model.normalize for r in self.rules}

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
                for t, f in zip(doc, (fold(x) for x in text_tokens(doc))):
                    t.norm_ = f
            strings = self._vocab.strings
            for key, ts, te in self._matcher(doc):
                r = self._by_key[strings[key]]
                span = doc[ts:te]
                out.append((span.start_char, span.end_char, r, None))
        return out

    def find(self, doc: Doc) -> list[Candidate]:
        text = doc.text  # Doc.text is rebuilt on every access: read it once
        folded: list[str] | None = None  # folded token texts, built on first context check
        seen: set[tuple[int, int, str]] = set()
        out: list[Candidate] = []
        for s, e, r, cid in self.raw_matches(doc):
            span = doc.char_span(s, e, alignment_mode="expand")
            if span is None or not span.text.strip():
                continue
            # expansion never crosses into whitespace: trim to the original match ends
            start, end = span.start_char, span.end_char
            ctx = self._contexts.get(r.id)
            if ctx is not None:
                if folded is None:
                    folded = [fold(t) for t in text_tokens(doc)]
                if not ctx.ok(folded, span.start, span.end):
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
        if self._coordinators:
            out = extend_coordinated(text, out, self._coordinators, self._normalize)
        return out
