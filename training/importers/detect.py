"""Guess a file's format: by extension when it is unambiguous, else by its first bytes.

`.jsonl`/`.ndjson` and `.conll`/`.iob`/`.bio` decide by name; `.json`, `.csv`, `.txt`,
`.tsv` and extension-less files are sniffed (Label Studio tasks have `data` objects and
`annotations`; Comprehend CSVs are told apart by their header).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .base import Importer

__all__ = ["detect_format", "read_head"]

# sniffing order matters: the most specific formats first
_SNIFF_ORDER = ("label-studio", "comprehend", "comprehend-entity-list", "jsonl", "conll")


def read_head(path: Path, size: int = 65536) -> str:
    with open(path, "rb") as f:
        data = f.read(size)
    return data.decode("utf-8-sig", errors="ignore")


def detect_format(path: str | Path, importers: "dict[str, Importer] | None" = None) -> str | None:
    """The registered format name for `path`, or None when nothing recognizes it."""
    from .registry import IMPORTERS

    importers = importers if importers is not None else IMPORTERS
    path = Path(path)
    ext = path.suffix.lower()
    for name, imp in importers.items():
        if ext and ext in getattr(imp, "extensions", ()):
            return name
    try:
        head = read_head(path)
    except OSError:
        return None
    order = [n for n in _SNIFF_ORDER if n in importers] + [
        n for n in importers if n not in _SNIFF_ORDER]
    for name in order:
        try:
            if importers[name].sniff(path, head):
                return name
        except Exception:  # a sniffer must never break detection of other formats
            continue
    return None
