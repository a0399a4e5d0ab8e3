"""`InequalityExtractor`: lexicons + scanner + grammar, loaded once, safe to share.

Everything is built in `load` (lexicons validated, parser tables built) and nothing mutates
afterwards, so one extractor can serve threads, forked gunicorn workers and pickling (the
Lark parser is rebuilt from the grammar text on unpickle).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..entity import Candidate
from ..errors import LexiconError
from ..diagnostics import Diagnostic
from ..textfold import fold
from .bound_context import CHAIN_SYMBOLS, BoundContext
from .interval import Bound
from ._compiled import native_has_trigger, native_has_word, native_slot_filler
from .lexicon import Lexicon
from .lexicon_cache import load_lexicon_cached
from .parser import InequalityParser
from .refine import Refiner
from .scanner import Scanner

__all__ = ["InequalityExtractor", "Match", "LABEL", "DEFAULT_PRIORITY"]

LABEL = "INEQUALITY"
DEFAULT_PRIORITY = 20
_TRIGGER = re.compile(r"[\d<>=≤≥≠⩽⩾]")
#: does a text hold a digit or a comparator? (`_TRIGGER` searched, or the same test in C)
_has_trigger = native_has_trigger() or (lambda text: _TRIGGER.search(text) is not None)
_WORDS = re.compile(r"[^\W\d_]+")
#: is one of `words` (none longer than `longest`) a word of the folded text? (`_WORDS`'
#: runs against the set, or the same test in C without the list of every word)
_has_word = native_has_word() or (lambda folded, words, longest: not words.isdisjoint(_WORDS.findall(folded)))
_new_object = object.__new__
_ZERO, _TEN = Decimal(0), Decimal(10)  # (an int operand is converted on every comparison)
#: builds a `Candidate` from all its fields by filling its slots, in a compiled build
_fill_candidate = native_slot_filler(Candidate)


@dataclass(frozen=True)
class Match:
    """One recognised inequality with the details scoring needs."""

    start: int
    end: int
    value: dict[str, Any]
    rule_id: str
    #: end without a trailing unit ("menos de 174" in "menos de 174 gramas")
    core_end: int

    def to_candidate(self, priority: int) -> Candidate:
        return Candidate(start=self.start, end=self.end, label=LABEL, source="grammar",
                         rule_id=self.rule_id, priority=priority, score=1.0, value=self.value)


class InequalityExtractor:
    """Finds numeric conditions ("superior a 4.000 MW", "between 10 and 20 kV") in text.

    Languages: one lexicon per `grammars/lexicon/<lang>.yaml` ("pt", "en" ship). A text in
    a language without a lexicon is read with every lexicon, earlier ones (pt first) winning
    overlaps.
    """

    def __init__(self, grammar_text: str, lexicons: dict[str, Lexicon], *,
                 half_open: bool = False, priority: int = DEFAULT_PRIORITY,
                 grammar_file: str = "<grammar>", reference_parser: bool = False):
        self.half_open = half_open
        self.reference_parser = reference_parser
        self.priority = priority
        self.grammar_file = grammar_file
        self.lexicons = dict(lexicons)
        self._grammar_text = grammar_text
        self._parser = InequalityParser(grammar_text, half_open=half_open, reference=reference_parser)
        self._scanners = {lang: Scanner(lex) for lang, lex in self.lexicons.items()}
        self._refiners = {lang: Refiner(lex) for lang, lex in self.lexicons.items()}
        self._contexts = {lang: BoundContext(lex) for lang, lex in self.lexicons.items()}
        #: per language: the substrings `BoundContext.gate` (read on every text: a dict
        #: look-up here, not an attribute of a Python object)
        self._context_gates = {lang: c.gate for lang, c in self._contexts.items()}
        self._word_triggers = {lang: self._trigger_words(lex) for lang, lex in self.lexicons.items()}
        #: per language: the longest number word's length (longer words are not looked up)
        self._word_longest = {lang: max(map(len, ws), default=0) for lang, ws in self._word_triggers.items()}

    @staticmethod
    def _trigger_words(lex: Lexicon) -> frozenset[str]:
        nw = lex.numbers
        return frozenset(set(nw.cardinals) | set(nw.scales) | set(nw.ordinals)
                         | set(nw.standalone))

    # -- construction --------------------------------------------------------------------
    @classmethod
    def load(cls, grammars_dir: str | Path | None = None, half_open: bool = False, *,
             priority: int = DEFAULT_PRIORITY, reference_parser: bool = False) -> "InequalityExtractor":
        """Load `inequality.lark` and every `lexicon/*.yaml` under `grammars_dir`
        (default: the packaged grammars). Raises `LexiconError` (located diagnostics for
        every bad lexicon file) or `EntrecError` if the grammar is missing or has conflicts.
        reference_parser: parse with Lark itself instead of the fast table driver (same
        results, much slower; for checking the fast path)."""
        from ..errors import EntrecError
        from ..paths import grammars_dir as default_dir

        gdir = Path(grammars_dir) if grammars_dir is not None else default_dir()
        gfile = gdir / "inequality.lark"
        try:
            grammar = gfile.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise EntrecError(f"no inequality grammar at {gfile}", code="grammar-not-found") from None
        diags: list[Diagnostic] = []
        lexicons: dict[str, Lexicon] = {}
        files = sorted((gdir / "lexicon").glob("*.yaml"))
        if not files:
            raise LexiconError([Diagnostic(code="lexicon-not-found",
                                           message=f"no lexicon files in {gdir / 'lexicon'}",
                                           file=str(gdir / "lexicon"))])
        for f in files:
            try:
                lex = load_lexicon_cached(f)
            except LexiconError as exc:
                diags.extend(exc.diagnostics)
                continue
            if lex.lang != f.stem:
                diags.append(Diagnostic(code="lexicon-lang-mismatch",
                                        message=f"lang {lex.lang!r} does not match file name {f.name}",
                                        file=str(f), line=1, column=1, yaml_path="lang"))
                continue
            lexicons[lex.lang] = lex
        if diags:
            raise LexiconError(diags)
        order = sorted(lexicons, key=lambda k: (k != "pt", k != "en", k))
        try:
            return cls(grammar, {k: lexicons[k] for k in order}, half_open=half_open,
                       priority=priority, grammar_file=str(gfile), reference_parser=reference_parser)
        except Exception as exc:  # lark GrammarError / conflicts under strict=True
            if isinstance(exc, EntrecError):
                raise
            raise EntrecError(f"{gfile}: invalid grammar: {exc}", code="grammar-invalid") from None

    def __getstate__(self) -> dict:
        return {"grammar_text": self._grammar_text, "lexicons": self.lexicons,
                "half_open": self.half_open, "priority": self.priority,
                "grammar_file": self.grammar_file, "reference_parser": self.reference_parser}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["grammar_text"], state["lexicons"], half_open=state["half_open"],
                      priority=state["priority"], grammar_file=state["grammar_file"],
                      reference_parser=state.get("reference_parser", False))

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.lexicons)

    # -- extraction ----------------------------------------------------------------------
    def matches(self, text: str, lang: str = "pt") -> list[Match]:
        """Every inequality in `text`, in order. Never raises."""
        return [self._to_match(b) for b in self._bounds(text, lang)]

    def _bounds(self, text: str, lang: str, folded: str | None = None) -> list[Bound]:
        """The parsed bounds of `matches`, in order and apart. Never raises."""
        if not isinstance(text, str) or not text:
            return []
        if type(text) is not str:  # a str subclass: its value as a plain str (the compiled
            text = str.__str__(text)  # scanner takes exact strs; offsets are the same)
        if folded is None or type(folded) is not str or len(folded) != len(text):
            folded = fold(text)
        if lang in self.lexicons:
            try:
                found = self._matches_one(text, lang, folded)
            except Exception:  # pragma: no cover - defensive: extraction never raises
                return []
            # one parse pass yields its matches in order and apart; checked, not assumed
            if len(found) < 2 or all(a.end <= b.start for a, b in zip(found, found[1:])):
                return found
            langs = [lang]
        else:
            langs = list(self.lexicons)
        out: list[Bound] = []  # non-overlapping, sorted by start (so by end too)
        starts: list[int] = []
        for lg in langs:
            try:
                found = self._matches_one(text, lg, folded)
            except Exception:  # pragma: no cover - defensive: extraction never raises
                found = []
            for m in found:
                # only the neighbours in start order can overlap (bisect, not a scan of all)
                i = bisect.bisect_right(starts, m.start)
                if i > 0 and _overlap(out[i - 1], m) or i < len(out) and _overlap(out[i], m):
                    continue
                starts.insert(i, m.start)
                out.insert(i, m)
        out.sort(key=lambda m: (m.start, m.end))
        return out

    def _matches_one(self, text: str, lang: str, folded: str) -> list[Bound]:
        if not _has_trigger(text):
            # no digit or comparator symbol: only number words can start an inequality
            if not _has_word(folded, self._word_triggers[lang], self._word_longest[lang]):
                return []
        toks = self._refiners[lang](text, self._scanners[lang].scan(text, folded), folded)
        marks = None
        for w in self._context_gates[lang]:
            if w in folded:  # "entre 69 kV (inclusive) e 230 kV": the mark off the range
                toks, marks = self._contexts[lang].strip_marks(folded, toks)
                break
        found = self._parser.parse_all(toks)
        if found:
            # a chain ("0,95 ≤ V ≤ 1,05"), a scale word on a range's second end ("entre 4 e
            # 5 mil") or a trailing "inclusive" may change a bound: read by `BoundContext`
            # only where one of the trailing words is in the text (the test above), a
            # range's high end is ten times its low one or more, or a one-sided bound starts
            # with a symbol comparator
            if marks is not None:
                return self._contexts[lang].apply(text, folded, toks, found, marks)
            for b in found:
                if b.op == "between":
                    if b.low > _ZERO and b.high >= b.low * _TEN:
                        return self._contexts[lang].apply(text, folded, toks, found)
                elif text[b.start] in CHAIN_SYMBOLS:
                    return self._contexts[lang].apply(text, folded, toks, found)
        return found

    @staticmethod
    def _to_match(b: Bound) -> Match:
        # the fields set directly: a frozen dataclass's __init__ assigns each one through
        # object.__setattr__, half the cost of a match on short texts; same object
        m = _new_object(Match)
        m.__dict__.update(start=b.start, end=b.end, value=b.value(),
                          rule_id="inequality." + b.production,
                          core_end=b.core_end)
        return m

    def extract(self, text: str, lang: str = "pt", *,
                exclude_ops: frozenset[str] | tuple[str, ...] = (),
                folded: str | None = None) -> list[Candidate]:
        """`Candidate`s (label INEQUALITY, source grammar) for the engine, the same as
        `m.to_candidate(self.priority)` for each of `matches` whose operator is not in
        `exclude_ops`. `folded`: `fold(text)` when the caller has it (the engine's Doc
        does). Never raises."""
        try:
            return self._candidates(self._bounds(text, lang, folded), exclude_ops)
        except Exception:  # pragma: no cover - defensive
            return []

    def _candidates(self, bounds: list[Bound], exclude_ops=()) -> list[Candidate]:
        # straight from the bounds: no `Match` in between, and in a compiled build the
        # candidate's slots are filled directly (`_slotfill`: a sixth of the class's cost)
        # a plain loop: a comprehension's own set-up costs as much as a candidate's fields
        out: list[Candidate] = []
        if not bounds:
            return out
        make = _fill_candidate or Candidate
        priority = self.priority
        for b in bounds:
            if b.op not in exclude_ops:
                out.append(make(b.start, b.end, LABEL, "grammar", "inequality." + b.production,
                                priority, 1.0, None, b.value()))
        return out


def _overlap(a: Bound, b: Bound) -> bool:
    return a.start < b.end and b.start < a.end
