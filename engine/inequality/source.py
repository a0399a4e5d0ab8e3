"""The inequality grammar as an engine `CandidateSource` (source "grammar")."""
from __future__ import annotations

import re
from dataclasses import replace

from spacy.tokens import Doc

from ..entity import Candidate
from ..textfold import fold
from ..tokenizer import DOC_FOLDED_KEY, DOC_TEXT_KEY, doc_text_folded
from .extractor import InequalityExtractor

__all__ = ["InequalitySource", "VALUE_OPS"]


# the word before a span, read backwards from the span's start: whitespace, then the word
# (reversed); one anchored attempt instead of a search through everything before the span
_LAST_WORD_REVERSED = re.compile(r"\s+([^\W\d_]+)")
_LOOK_BACK = 64

#: operators that are not conditions in entity output: "fator K igual a 1" states a value
#: (annotation conventions of real operating text); the extractor itself still reads them,
#: so the conformance suites (which do count "igual a 20") score the grammar unchanged
VALUE_OPS: tuple[str, ...] = ("eq",)


class InequalitySource:
    """Runs `InequalityExtractor` on `doc.text` in the doc's language. Never raises."""

    source = "grammar"
    name = "grammar:inequality"

    def __init__(self, extractor: InequalityExtractor, exclude_ops: tuple[str, ...] = VALUE_OPS):
        self.extractor = extractor
        self.exclude_ops = frozenset(exclude_ops)
        #: per language: the verbs that lead a range into the span ("varia de 24 a 43")
        self._lead_in_words = {lang: lex.context_words.get("range_lead_in") or frozenset()
                               for lang, lex in extractor.lexicons.items()}
        #: per language: (the verbs as a tuple, for `str.endswith`; the longest one's length)
        self._lead_in_ends = {lang: (tuple(ws), max(map(len, ws)))
                              for lang, ws in self._lead_in_words.items() if ws}

    def find(self, doc: Doc) -> list[Candidate]:
        return self.find_many((doc,))[0]

    def _lead_in(self, text: str, c: Candidate, lang: str, folded: str | None = None) -> Candidate:
        """"varia de 24 a 43 meses": a verb leading a range belongs to the entity span.
        `folded`: `fold(text)`, when the caller has it."""
        if (c.value or {}).get("op") != "between":
            return c
        words = self._lead_in_words.get(lang)
        if not words:
            return c
        ends, longest = self._lead_in_ends[lang]
        # a test every lead-in passes, cheaper than finding the word: whitespace before the
        # span, and the folded text before that whitespace ends with one of the verbs (the
        # word found below ends there, and folding keeps lengths); a whitespace run longer
        # than the slice leaves nothing to test, so the full search decides
        lo = max(0, c.start - longest - 8)
        before = text[lo:c.start]
        kept = before.rstrip()
        if len(kept) == len(before):
            return c  # no whitespace before the span: no word "followed by whitespace"
        if kept or lo == 0:
            tail = folded[lo:lo + len(kept)] if folded is not None else fold(kept)
            if not tail.endswith(ends):
                return c
        start = _last_word_start(text, c.start)
        if start is not None and fold(text[start:c.start].rstrip()) in words:
            return replace(c, start=start)
        return c

    def find_many(self, docs) -> list[list[Candidate]]:
        """`find` of each doc. One loop per batch: the language (the vocabulary's) is read
        once per vocabulary, the text and its fold straight from where `make_doc` and the
        rule source left them, and a range is handed to `_lead_in` only when whitespace
        precedes it (what every lead-in needs)."""
        out = []
        vocab = lang = None
        extract = self.extractor.extract
        exclude = self.exclude_ops
        leads = False
        for d in docs:
            if d.vocab is not vocab:
                vocab, lang = d.vocab, d.lang_  # a look-up in spaCy's strings
                leads = lang in self._lead_in_ends
            data = d.user_data
            text = data.get(DOC_TEXT_KEY)
            folded = data.get(DOC_FOLDED_KEY)
            if text is None or folded is None:
                text, folded = doc_text_folded(d)
            try:
                cands = extract(text, lang, exclude_ops=exclude, folded=folded)
            except Exception:  # pragma: no cover - extract itself never raises
                cands = []
            if cands and leads:
                # (`extract` made the list: the ranges are replaced in it)
                for k, c in enumerate(cands):
                    start = c.start
                    if start and c.value["op"] == "between" and text[start - 1].isspace():
                        cands[k] = self._lead_in(text, c, lang, folded)
            out.append(cands)
        return out


def _last_word_start(text: str, end: int) -> int | None:
    """Start of the letters-only word that, followed by whitespace, ends `text[:end]`
    (the match of `([^\W\d_]+)\s+$` searched in it), or None."""
    lo = max(0, end - _LOOK_BACK)
    while True:
        rev = text[lo:end][::-1]
        m = _LAST_WORD_REVERSED.match(rev)
        if lo == 0 or (m is None and not rev.isspace()) or (m is not None and m.end(1) < len(rev)):
            return None if m is None else end - m.end(1)
        lo = 0  # the window may have cut the whitespace or the word: read all of it
