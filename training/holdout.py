"""A held-out set that stays put while labeled data grows: membership by content hash.

Why not a seeded shuffle: re-drawn over a grown corpus, a seeded split moves documents the
production model was trained on into the new held-out set, and the retraining gate then
compares a model that has seen the test documents with one that has not (production wins
by memory, not by quality). Here a document is held out when the hash of its normalized
text falls below `fraction`: adding, removing or relabeling other documents never changes
its side, and relabeling it (same text) keeps it where it was.
"""
from __future__ import annotations

import hashlib
import unicodedata
from typing import Iterable, Sequence, TypeVar

__all__ = ["document_key", "in_holdout", "split_holdout", "keys_of", "KEY_HEX"]

T = TypeVar("T")

#: hex digits of a document key (64 bits: no collision in any realistic corpus)
KEY_HEX = 16
_SCALE = 16 ** 13  # the first 13 hex digits decide membership (52 bits, exact in a float)


def document_key(text: str) -> str:
    """Stable id of a document's content: sha256 of its NFC text with whitespace collapsed
    (a CoNLL export and a JSONL export of the same sentence get the same key)."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:KEY_HEX]


def in_holdout(key: str, fraction: float) -> bool:
    """True when the document with this key belongs to a held-out share of `fraction`."""
    return int(key[:13], 16) < fraction * _SCALE


def split_holdout(docs: Sequence[T], fraction: float) -> tuple[list[T], list[T]]:
    """(kept for training, held out), order preserved; `fraction` 0 holds out nothing."""
    if not 0.0 <= fraction < 1.0:
        from entrec.engine.errors import EntrecError

        raise EntrecError(f"held-out fraction must be in [0, 1), got {fraction}",
                          code="bad-holdout-fraction")
    kept: list[T] = []
    held: list[T] = []
    for d in docs:
        (held if fraction and in_holdout(document_key(d.text), fraction) else kept).append(d)
    return kept, held


def keys_of(docs: Iterable) -> list[str]:
    """Sorted document keys (what a manifest records as the documents a model saw)."""
    return sorted({document_key(d.text) for d in docs})
