"""Line-break normalisation that keeps offsets meaningful.

PDF text comes with a hard break at the end of every printed line, so a name set over two lines
("LT 500 kV\\nPresidente Dutra / Teresina II C2") is two fragments to a tokenizer. Replacing a
lone break inside a paragraph by a space joins them again *without changing any length*: offsets
into the normalised text are also offsets into the extractor's text (after `\\r\\n` -> `\\n`).
"""
from __future__ import annotations

import re

__all__ = ["normalize_newlines", "join_lone_breaks"]

# a single \n between two non-break characters, unless the line ends a sentence or a label
# ("... kV.\n", "Tabela 1:\n"): those breaks carry structure and stay
_LONE_BREAK = re.compile(r"(?<=[^\n.:;!?])\n(?=[^\n])")


def normalize_newlines(text: str) -> str:
    """`\\r\\n` and lone `\\r` become `\\n` (this one changes lengths: done before storing)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def join_lone_breaks(text: str) -> str:
    """Replace each lone line break inside a paragraph by a space; `len` is unchanged."""
    out = _LONE_BREAK.sub(" ", text)
    assert len(out) == len(text)
    return out
