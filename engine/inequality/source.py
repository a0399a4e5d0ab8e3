"""The inequality grammar as an engine `CandidateSource` (source "grammar")."""
from __future__ import annotations

from spacy.tokens import Doc

from ..entity import Candidate
from ..tokenizer import doc_text
from .extractor import InequalityExtractor

__all__ = ["InequalitySource"]


class InequalitySource:
    """Runs `InequalityExtractor` on `doc.text` in the doc's language. Never raises."""

    source = "grammar"
    name = "grammar:inequality"

    def __init__(self, extractor: InequalityExtractor):
        self.extractor = extractor

    def find(self, doc: Doc) -> list[Candidate]:
        try:
            return self.extractor.extract(doc_text(doc), doc.lang_)
        except Exception:  # pragma: no cover - extract itself never raises
            return []

    def find_many(self, docs) -> list[list[Candidate]]:
        return [self.find(d) for d in docs]
