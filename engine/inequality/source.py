"""The inequality grammar as an engine `CandidateSource` (source "grammar")."""
from __future__ import annotations

import re
from dataclasses import replace

from spacy.tokens import Doc

from ..entity import Candidate
from ..textfold import fold
from ..tokenizer import doc_text
from .extractor import InequalityExtractor

__all__ = ["InequalitySource", "VALUE_OPS"]


_LAST_WORD = re.compile(r"([^\W\d_]+)\s+$")

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

    def find(self, doc: Doc) -> list[Candidate]:
        try:
            text = doc_text(doc)
            cands = self.extractor.extract(text, doc.lang_)
        except Exception:  # pragma: no cover - extract itself never raises
            return []
        if self.exclude_ops:
            cands = [c for c in cands if (c.value or {}).get("op") not in self.exclude_ops]
        return [self._lead_in(text, c, doc.lang_) for c in cands]

    def _lead_in(self, text: str, c: Candidate, lang: str) -> Candidate:
        """"varia de 24 a 43 meses": a verb leading a range belongs to the entity span."""
        if (c.value or {}).get("op") != "between":
            return c
        lex = self.extractor.lexicons.get(lang)
        words = lex.context_words.get("range_lead_in") if lex is not None else None
        if not words:
            return c
        m = _LAST_WORD.search(text, 0, c.start)
        if m and fold(m.group(1)) in words:
            return replace(c, start=m.start(1))
        return c

    def find_many(self, docs) -> list[list[Candidate]]:
        return [self.find(d) for d in docs]
