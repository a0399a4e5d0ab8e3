"""A compiled rule pack as a `CandidateSource`: phrases, token patterns and RE2 regexes.

One scan per matcher kind, whatever the number of rules: every phrase rule of a folding
mode shares one word-sequence table (`MergedPhrases`), every token-pattern rule runs in one
`TokenAutomaton`, and the regex rules are pre-filtered by one `re2.Set` pass so only the
regexes that can match run `finditer`. Nothing mutates the Doc, so it can be shared with the
other sources.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

import re2
from spacy.attrs import IDX, LENGTH
from spacy.tokens import Doc
from spacy.vocab import Vocab

from ..entity import Candidate
from ..textfold import fold, slug, words
from ..tokenizer import doc_folded, doc_text
from .automaton import TokenAutomaton
from .coordination import compile_coordinators, extend_coordinated
from .phrases import MergedPhrases, PhraseIndex
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


def _first_words(needles: tuple[str, ...]) -> tuple[str, ...]:
    # a needle with no words (" ") matches any window: its "first word" is "", always present
    return tuple(n.split()[0] if n.strip() else "" for n in needles)


@dataclass(frozen=True)
class _Context:
    """A context clause with its word lists folded once, at compile time."""

    window: int
    require_before: tuple[str, ...]
    forbid_before: tuple[str, ...]
    require_after: tuple[str, ...]
    forbid_after: tuple[str, ...]

    #: first word of each required needle, for the whole-text pre-check
    first_before: tuple[str, ...] = ()
    first_after: tuple[str, ...] = ()

    @classmethod
    def compile(cls, ctx: ContextModel) -> "_Context":
        rb, ra = _needles(ctx.require_before), _needles(ctx.require_after)
        return cls(ctx.window, rb, _needles(ctx.forbid_before), ra, _needles(ctx.forbid_after),
                   _first_words(rb), _first_words(ra))

    def possible(self, folded_text: str) -> bool:
        """False when no required word occurs anywhere in the folded text: then no match of
        the rule can pass (each needle's first word lies inside one folded token)."""
        for needles, firsts in ((self.require_before, self.first_before), (self.require_after, self.first_after)):
            if needles and _any_of(firsts)(folded_text) is None:
                return False
        return True

    def ok(self, folded: Any, tstart: int, tend: int) -> bool:
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


@lru_cache(maxsize=256)
def _any_of(words: tuple[str, ...]) -> Callable[[str], Any]:
    """`search(text)` finding any of `words` as a substring (one C-level scan instead of a
    Python loop over the words); a search that always matches if one word is empty."""
    return re.compile("|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))).search


def _regex_set(rules: list[CompiledRule]) -> Any:
    """One RE2 set holding every regex rule (case-insensitive ones wrapped in (?i:...))."""
    if len(rules) < 2:
        return None
    opts = re2.Options()
    opts.log_errors = False
    rset = re2.Set.SearchSet(opts)
    for r in rules:
        src = r.regex.pattern
        if not r.regex.options.case_sensitive:
            src = f"(?i:{src})"
        if rset.Add(src) < 0:
            return None
    rset.Compile()
    return rset


class _RuleInfo:
    """What `find` reads about a rule, flattened once (attribute reads on the validated
    model, per hit, were a measurable share of the scan)."""

    __slots__ = ("rule", "id", "label", "priority", "canonical", "normalize", "context")

    def __init__(self, rule: CompiledRule, context: "_Context | None"):
        m = rule.model
        self.rule = rule
        self.id = m.id
        self.label = m.label
        self.priority = m.priority
        self.canonical = m.canonical
        self.normalize = m.normalize
        self.context = context


class RuleSource:
    """Runs every enabled rule of one language over a Doc. Built once, read-only after.

    `phrases`: the pack's merged phrase tables when it has them already (the compiled-pack
    cache keeps them), else they are merged here from the rules' own indexes."""

    source = "rule"

    def __init__(self, language: str, rules: list[CompiledRule], vocab: Vocab | None = None,
                 phrases: MergedPhrases | None = None):
        self.name = f"rules:{language}"
        self.language = language
        self.rules = [r for r in rules if r.model.enabled]
        contexts = {r.id: _Context.compile(r.model.context) for r in self.rules if r.model.context is not None}
        self._contexts = contexts
        info = {id(r): _RuleInfo(r, contexts.get(r.id)) for r in self.rules}
        self._pattern_rules = [r for r in self.rules if r.kind == "pattern"]
        self._pattern_info = [info[id(r)] for r in self._pattern_rules]
        # the packs' regexes were compiled once when loaded: compile them here on first use
        self._automaton = (TokenAutomaton([r.patterns for r in self._pattern_rules], lazy_regex=True)
                           if self._pattern_rules else None)
        self._regex_rules = [r for r in self.rules if r.kind == "regex"]
        self._regex_info = [info[id(r)] for r in self._regex_rules]
        self._regex_set = _regex_set(self._regex_rules)
        phrase_rules = [r for r in self.rules if r.kind == "phrases"]
        phrase_info = [info[id(r)] for r in phrase_rules]
        if not phrase_rules:
            self._phrases = None
        elif phrases is not None and phrases.owners == [i.rule for i in phrase_info]:
            self._phrases = phrases.with_owners(phrase_info)
        else:
            self._phrases = MergedPhrases.build([r.phrase_index for r in phrase_rules], phrase_info)
        #: the phrases read the default fold: the Doc's shared one (`doc_folded`) is handed in
        self._folds_default = self._phrases is not None and self._phrases.folds_default
        self._coordinators = compile_coordinators(self.rules)
        self._normalize = {r.id: r.model.normalize for r in self.rules}

    def __len__(self) -> int:
        return len(self.rules)

    def warm(self) -> None:
        """Compile what is otherwise compiled on first use (a server calls this before it
        reports ready, so no request pays for it)."""
        if self._automaton is not None:
            self._automaton.warm()

    def _regex_matches(self, text: str, out: list) -> None:
        rules, infos = self._regex_rules, self._regex_info
        order = range(len(rules))
        if self._regex_set is not None:
            hits = self._regex_set.Match(text)
            if not hits:
                return
            order = sorted(hits)
        for i in order:
            info = infos[i]
            for m in rules[i].regex.finditer(text):
                s, e = m.span()
                if e > s:
                    out.append((s, e, info, None))

    def _phrase_hits(self, doc: Doc, text: str) -> list:
        """The phrase tables' matches, on the Doc's shared fold when a mode reads it."""
        return self._phrases.match(text, doc_folded(doc) if self._folds_default else None)

    def raw_matches(self, doc: Doc) -> list[tuple[int, int, CompiledRule, str | None]]:
        """(char start, char end, rule, id) before token alignment and context filters."""
        text = doc_text(doc)
        out: list[tuple[int, int, Any, str | None]] = []
        if self._phrases is not None:
            out.extend(self._phrase_hits(doc, text))
        if self._regex_rules:
            self._regex_matches(text, out)
        if self._automaton is not None:
            for r, ts, te in self._automaton.match(doc):
                span = doc[ts:te]
                out.append((span.start_char, span.end_char, self._pattern_info[r], None))
        return [(s, e, info.rule, cid) for s, e, info, cid in out]

    def find(self, doc: Doc) -> list[Candidate]:
        text = doc_text(doc)
        char_hits: list[tuple[int, int, _RuleInfo, str | None]] = (
            self._phrase_hits(doc, text) if self._phrases is not None else [])
        if self._regex_rules:
            self._regex_matches(text, char_hits)
        matches = self._automaton.match(doc) if self._automaton is not None else []
        if not char_hits and not matches:
            return []
        view = _DocView(doc, text)
        starts, ends = view.starts, view.ends
        # (char start, char end, token start, token end, rule info, id)
        hits: list[tuple[int, int, int, int, _RuleInfo, str | None]] = []
        for s, e, info, cid in char_hits:
            if info.context is not None and not view.possible(info.id, info.context):
                continue
            # doc.char_span(s, e, alignment_mode="expand"), by bisection on token offsets
            # (tokens tile the text, each owning its trailing whitespace)
            ts = bisect_right(starts, s) - 1
            te = bisect_right(starts, e - 1)
            if ts < 0 or te <= 0:
                continue
            if s == ends[ts]:
                ts += 1
            if te <= ts:
                continue
            hits.append((starts[ts], ends[te - 1], ts, te, info, cid))
        if matches:
            infos = self._pattern_info
            for ri, ts, te in matches:
                info = infos[ri]
                if info.context is not None and not view.possible(info.id, info.context):
                    continue
                hits.append((starts[ts], ends[te - 1], ts, te, info, None))
        seen: set[tuple[int, int, str]] = set()
        out: list[Candidate] = []
        for start, end, ts, te, info, cid in hits:
            key = (start, end, info.id)
            if key in seen:
                continue
            if info.context is not None and not info.context.ok(view, ts, te):
                continue
            surface = text[start:end]
            if surface.isspace():
                continue
            seen.add(key)
            if cid is None:
                if info.canonical:
                    cid = info.canonical
                elif info.normalize is not None:
                    norm = info.normalize
                    cid = (surface.upper() if norm == "upper" else surface.lower() if norm == "lower"
                           else slug(surface) if norm == "slug" else None)
            out.append(Candidate(start, end, info.label, "rule", info.id, info.priority, 1.0, cid))
        if self._coordinators:
            out = extend_coordinated(text, out, self._coordinators, self._normalize)
        return out


class _DocView:
    """Per-document arrays the checks read, each built on first use: token start and end
    offsets (one `to_array` call), the folded text, and which context rules can pass at
    all. Folded token texts are slices of the folded text (folding keeps offsets), so a
    context check never builds spaCy Token objects."""

    __slots__ = ("doc", "text", "_starts", "_ends", "_possible")

    def __init__(self, doc: Doc, text: str):
        self.doc = doc
        self.text = text
        self._starts: list[int] | None = None
        self._ends: list[int] = []
        self._possible: dict[str, bool] = {}

    def _arrays(self) -> None:
        if len(self.doc) == 0:
            self._starts, self._ends = [], []
            return
        arr = self.doc.to_array([IDX, LENGTH])
        starts = arr[:, 0]
        self._starts = starts.tolist()
        self._ends = (starts + arr[:, 1]).tolist()

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._arrays()
        return self._starts  # type: ignore[return-value]

    @property
    def ends(self) -> list[int]:
        if self._starts is None:
            self._arrays()
        return self._ends

    @property
    def folded(self) -> str:
        return doc_folded(self.doc)  # kept on the Doc, shared with the grammar

    def possible(self, rule_id: str, ctx: _Context) -> bool:
        ok = self._possible.get(rule_id)
        if ok is None:
            ok = self._possible[rule_id] = ctx.possible(self.folded)
        return ok

    def __getitem__(self, sl: slice) -> list[str]:
        starts, ends, f = self.starts, self.ends, self.folded
        lo, hi, _ = sl.indices(len(ends))
        return [f[starts[k]:ends[k]] for k in range(lo, hi)]
