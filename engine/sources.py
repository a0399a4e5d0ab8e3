"""The one small interface every candidate source implements.

Rules, the inequality grammar and the spaCy model are all `CandidateSource`s: given a
tokenized `Doc` they return `Candidate`s with character offsets. The engine tokenizes each
text once, runs every source on that Doc (the rules exactly once; a model whose placement
uses rule matches receives them from that pass through `find_many(docs, rule_spans=...)`),
then hands all candidates to its resolver. A new source (a gazetteer service, a second
model) is one class with `find`; nothing else changes.
"""
from __future__ import annotations

from typing import Iterable, Protocol, runtime_checkable

from spacy.tokens import Doc

from .entity import Candidate

__all__ = ["CandidateSource", "find_many"]


@runtime_checkable
class CandidateSource(Protocol):
    #: "rule", "grammar" or "model": written to `Entity.source`.
    source: str
    #: Human name used in --explain output ("rules:pt", "grammar:inequality", "model:ner").
    name: str

    def find(self, doc: Doc) -> list[Candidate]:
        """Candidates for one document. Must not raise on any text."""
        ...


def find_many(source: CandidateSource, docs: Iterable[Doc]) -> list[list[Candidate]]:
    """Batch entry point: uses the source's own `find_many` when it has one (the model
    batches through `nlp.pipe`), else calls `find` per doc."""
    docs = list(docs)
    batch = getattr(source, "find_many", None)
    if batch is not None:
        return batch(docs)
    return [source.find(d) for d in docs]
