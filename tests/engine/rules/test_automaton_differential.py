"""The compiled token automaton agrees with spaCy's Matcher on generated patterns and texts.

A seeded generator builds 1,000 rule sets of 1-3 patterns each (ORTH/LOWER/NORM literals,
IN/NOT_IN, flags, SHAPE, LENGTH comparisons, REGEX, empty specs; operators none ? * + ! and
{n,m}) and runs each on 10 generated texts: 10,000 cases, compared both as the raw set of all
matches and after greedy="LONGEST", the form `RuleSource` consumes.
"""
from __future__ import annotations

import random

import pytest
import spacy
from spacy.matcher import Matcher

from entrec.engine.rules.automaton import TokenAutomaton
from entrec.engine.textfold import fold
from entrec.engine.tokenizer import make_nlp

WORDS = ["SE", "Se", "se", "Xingu", "XINGU", "de", "da", "500", "kV", "-", "/", "II", "Água", "água",
         "Tucuruí", "C1", ",", "TR-3", "Marabá", "e", "LT", "São", "João", "do", "3", "III", "ONS", "x"]
REGEXES = [r"^[A-Z]", r"^\d+$", r"^[IVX]+$", r"í", r"^(?!(?:Se|SE)$)[A-ZÀ-Ý][a-zà-ÿ][\w-]*$",
           r"^C\d{1,2}$", r"(?i)^x", r"\w-\w", r"^.{2}$", r"[^\w\s]"]
OPS = [None, None, None, "?", "*", "+", "!", "{1,2}", "{2}", "{,2}"]


def random_spec(rnd: random.Random) -> dict:
    w = rnd.choice(WORDS)
    kind = rnd.randrange(13)
    if kind == 0:
        spec = {"ORTH": w}
    elif kind == 1:
        spec = {"LOWER": w.lower()}
    elif kind == 2:
        spec = {"NORM": fold(w)}
    elif kind == 3:
        spec = {"IS_TITLE": rnd.random() < 0.8}
    elif kind == 4:
        spec = {"IS_UPPER": True}
    elif kind == 5:
        spec = {"LIKE_NUM": True} if rnd.random() < 0.5 else {"IS_DIGIT": True}
    elif kind == 6:
        spec = {"IS_PUNCT": rnd.random() < 0.7}
    elif kind == 7:
        spec = {}
    elif kind == 8:
        spec = {"TEXT": {"REGEX": rnd.choice(REGEXES)}}
    elif kind == 9:
        spec = {"LOWER": {"IN": [x.lower() for x in rnd.sample(WORDS, 4)]}}
    elif kind == 10:
        spec = {"NORM": {"NOT_IN": [fold(x) for x in rnd.sample(WORDS, 5)]}}
    elif kind == 11:
        spec = {"LENGTH": {rnd.choice([">=", "<", "=="]): rnd.randint(1, 4)}}
    else:
        spec = {"SHAPE": rnd.choice(["Xx", "Xxxxx", "XX", "ddd", "x"])}
    if rnd.random() < 0.15:
        spec = {**spec, "IS_ALPHA": rnd.random() < 0.7}
    op = rnd.choice(OPS)
    if op is not None:
        spec = {**spec, "OP": op}
    return spec


def random_patterns(rnd: random.Random) -> list[list[dict]]:
    out = []
    for _ in range(rnd.randint(1, 3)):
        out.append([random_spec(rnd) for _ in range(rnd.randint(1, 4))])
    return out


@pytest.fixture(scope="module")
def nlp():
    return make_nlp("pt")


def spacy_matches(matcher: Matcher, doc, strings) -> set:
    return {(strings[k], s, e) for k, s, e in matcher(doc)}


def test_automaton_equals_spacy_matcher(nlp):
    rnd = random.Random(20261127)
    cases = nonempty = 0
    for round_ in range(1000):
        rules = [random_patterns(rnd) for _ in range(rnd.randint(1, 2))]
        auto = TokenAutomaton(rules)
        every = Matcher(nlp.vocab)
        longest = Matcher(nlp.vocab)
        for r, pats in enumerate(rules):
            every.add(f"r{r}", pats)
            longest.add(f"r{r}", pats, greedy="LONGEST")
        for _ in range(10):
            text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 12)))
            doc = nlp.make_doc(text)
            for t in doc:
                t.norm_ = fold(t.text)
            strings = nlp.vocab.strings
            want_all = spacy_matches(every, doc, strings)
            got_all = {(f"r{r}", s, e) for r, s, e in auto.all_matches(doc)}
            assert got_all == want_all, (rules, text)
            want = spacy_matches(longest, doc, strings)
            got = {(f"r{r}", s, e) for r, s, e in auto.match(doc)}
            assert got == want, (rules, text)
            cases += 1
            nonempty += bool(want)
    assert cases == 10_000
    assert nonempty > 3_000, nonempty  # the generator must exercise real matches, not only misses
