"""The per-text cost guard: long whitespace-free runs are cut before spaCy's tokenizer (whose
cost is quadratic in a run's length), with `doc.text` and every offset exact."""
from __future__ import annotations

import re

import pytest

from entrec.engine.text_guard import MAX_RUN, cut_positions, make_doc
from entrec.engine.tokenizer import make_nlp


@pytest.fixture(scope="module")
def nlp():
    return make_nlp("pt")


class Recording:
    """Wraps an nlp and records the strings its tokenizer is given."""

    def __init__(self, nlp):
        self.nlp, self.vocab, self.seen = nlp, nlp.vocab, []

    def make_doc(self, text):
        self.seen.append(text)
        return self.nlp.make_doc(text)


def longest_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"\S+", text)), default=0)


@pytest.mark.parametrize("run", ["a" * 99_999, "(" * 5_000, "1" * 20_000, "ab(" * 3_000,
                                 ")" * (MAX_RUN + 1), "x" * (MAX_RUN + 2)])
def test_tokenizer_never_sees_a_run_longer_than_the_limit_and_text_stays_exact(nlp, run):
    text = f"Manter a SE Xingu {run} entre 525 kV e 550 kV.\n\n  fim  "
    rec = Recording(nlp)
    doc = make_doc(rec, text)
    assert doc.text == text
    assert all(longest_run(t) <= MAX_RUN for t in rec.seen)
    assert all(text[t.idx:t.idx + len(t)] == t.text for t in doc)  # every offset exact
    assert [t.text for t in doc][:4] == ["Manter", "a", "SE", "Xingu"]
    words = [t.text for t in doc]
    at = len(words) - 1 - words[::-1].index("entre")
    assert words[at:at + 7] == ["entre", "525", "kV", "e", "550", "kV", "."]


def test_ordinary_text_is_tokenized_exactly_as_spacy_does(nlp):
    text = "A CHESF deve manter 525 kV (ver http://ons.org.br/a/b?c=1) até 10/03/2024."
    assert [(t.text, t.whitespace_) for t in make_doc(nlp, text)] == \
        [(t.text, t.whitespace_) for t in nlp.make_doc(text)]


def test_cut_positions_leave_runs_at_the_limit_alone():
    assert cut_positions("a" * MAX_RUN) == []
    assert cut_positions("a" * (MAX_RUN + 1)) == [MAX_RUN - 1]  # never the last character
    cuts = cut_positions("b " + "a" * (3 * MAX_RUN) + " c")
    assert cuts and all(2 < c < 2 + 3 * MAX_RUN - 1 for c in cuts)
    assert all(b - a == MAX_RUN + 1 for a, b in zip(cuts, cuts[1:]))


def test_engine_finds_the_same_entities_around_a_pathological_run():
    from entrec import Engine

    eng = Engine.load()
    tail = "Manter a tensão na SE Xingu entre 525 kV e 550 kV."
    plain = [(e.label, e.start, e.end, e.text) for e in eng.extract(tail)]
    for run in ("a" * 30_000, "1" * 30_000, "(" * 3_000, "> 1 " * 2_000):
        text = run + " " + tail
        shift = len(run) + 1
        got = [(e.label, e.start - shift, e.end - shift, e.text) for e in eng.extract(text)
               if e.start >= shift]
        assert got == plain, run[:8]
        for e in eng.extract(text):
            assert text[e.start:e.end] == e.text


def test_make_nlp_tokenizes_like_blank_plus_customize():
    # make_nlp builds entrec's tokenizer directly instead of replacing spaCy's default one
    import spacy

    from entrec.engine.tokenizer import customize_tokenizer

    text = ("P≤275MW e V>=500kV (M5) na LT Tucuruí/Marabá em 12/03, 95°C, Colinas–Miracema; "
            "UTE Porto Novo I. e COSR-S. Sr. S.A. don't http://x.com a@b.com  fim")
    for lang in ("pt", "en"):
        ours, theirs = make_nlp(lang), customize_tokenizer(spacy.blank(lang))
        assert [(t.text, t.whitespace_) for t in ours(text)] == [(t.text, t.whitespace_) for t in theirs(text)]
        assert ours.meta["entrec_tokenizer"] == "1"
