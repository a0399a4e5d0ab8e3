"""A per-text cost guard in front of spaCy's tokenizer: long whitespace-free runs.

Why: spaCy's tokenizer is quadratic in the length of one whitespace-free run (each prefix
or suffix it splits off re-slices the rest of the run): 20,000 `(` take over a minute,
99,999 `a` about 10 s, where ordinary text of that length takes milliseconds. Real
operating documents have no words longer than a few dozen characters (URLs and codes
included), so a run longer than `MAX_RUN` characters is cut into pieces of at most
`MAX_RUN` before the tokenizer sees it; each piece is tokenized as usual, so the cost is
linear in the text's length (at most `MAX_RUN` times the per-character cost).

Offsets stay exact: the tokenizer sees a copy of the text of the same length where one
character every `MAX_RUN + 1` inside such a run is a space, and the `Doc` is then rebuilt
from the original characters (`Doc(words, spaces)`), the replaced character becoming a
token of its own. `doc.text` is the input text, character for character.
"""
from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc

__all__ = ["MAX_RUN", "make_doc", "cut_positions"]

#: Longest whitespace-free run the tokenizer sees in one piece.
MAX_RUN = 100


def _long_run(max_run: int) -> re.Pattern[str]:
    return re.compile(r"\S{%d,}" % (max_run + 1))


def cut_positions(text: str, max_run: int = MAX_RUN) -> list[int]:
    """Positions (strictly inside long runs) where the tokenizer's copy gets a space."""
    cuts: list[int] = []
    for m in _long_run(max_run).finditer(text):
        # a cut every max_run + 1 characters; never the run's last character, so every cut
        # has a non-space on both sides and always becomes a token's trailing space
        run_cuts = list(range(m.start() + max_run, m.end() - 1, max_run + 1))
        last = run_cuts[-1] + 1 if run_cuts else m.start()
        if m.end() - last > max_run:  # the next cut would have been the run's last character
            run_cuts.append(m.end() - 2)
        cuts.extend(run_cuts)
    return cuts


def make_doc(nlp: Any, text: str, max_run: int = MAX_RUN) -> Doc:
    """`nlp.make_doc(text)` with whitespace-free runs longer than `max_run` cut into pieces."""
    if len(text) <= max_run:
        return nlp.make_doc(text)
    cuts = cut_positions(text, max_run)
    if not cuts:
        return nlp.make_doc(text)
    chars = list(text)
    for i in cuts:
        chars[i] = " "
    doc = nlp.make_doc("".join(chars))
    cutset = set(cuts)
    words: list[str] = []
    spaces: list[bool] = []
    for tok in doc:
        end = tok.idx + len(tok)
        words.append(text[tok.idx:end])
        if tok.whitespace_ and end in cutset:
            spaces.append(False)
            words.append(text[end])
            spaces.append(False)
        else:
            spaces.append(bool(tok.whitespace_))
    return Doc(nlp.vocab, words=words, spaces=spaces)
