"""`textfold.fold`'s Latin-1 fast path (bytes through a 256-entry table) folds exactly like
the per-character definition (`fold_char`) it replaced, in every mode."""
from __future__ import annotations

import random

import pytest

from entrec.engine.textfold import fold, fold_char

MODES = [(lo, st) for lo in (True, False) for st in (True, False)]


def _reference(text: str, lower: bool, strip_accents: bool) -> str:
    return "".join(fold_char(c, lower, strip_accents) for c in text)


@pytest.mark.parametrize("lower,strip_accents", MODES)
def test_every_latin1_character_folds_as_defined(lower, strip_accents):
    for k in range(256):
        text = "x" + chr(k)  # not ASCII from 0x80 on: the fast path; below, str.lower
        assert fold(text, lower, strip_accents) == _reference(text, lower, strip_accents), hex(k)


@pytest.mark.parametrize("lower,strip_accents", MODES)
def test_mixed_text_folds_as_defined_and_keeps_length(lower, strip_accents):
    rnd = random.Random(11)
    alphabet = ("aAzZ09 _-.,;'\n\tçÇãÃéÉíÍõÕüÜñÑßµÿÀº°ª«»\xa0" + "ǄİĲſΩЖ€≠≮ⅰ²٣Ⓐ\u0301")
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        got = fold(text, lower, strip_accents)
        assert got == _reference(text, lower, strip_accents), text
        assert len(got) == len(text)


def test_portuguese_folds_to_plain_lower_case():
    assert fold("Manutenção na SE São Luís: TENSÃO ≥ 500 kV") == "manutencao na se sao luis: tensao ≥ 500 kv"
    assert fold("AÇÃO", lower=False) == "ACAO"
