"""The extractor never raises, spans are always valid, and it is safe to pickle/fork."""
from __future__ import annotations

import pickle

from hypothesis import HealthCheck, given, settings, strategies as st

from entrec.engine.inequality import InequalityExtractor, InequalitySource

_ALPHABET = st.sampled_from(list("0123456789.,-–~<>=≤≥ %°/+:h$€ abcdeklmnoprstuvwxyzãéíóúç\n"))
_WORDS = st.sampled_from(["maior", "que", "menos", "de", "entre", "e", "a", "até", "ou", "mais",
                          "não", "between", "and", "or", "at", "least", "not", "than", "mil",
                          "dez", "kV", "MW", "10", "4.000", "1,5", "-", "~", ">=", "no", "mínimo",
                          "igual", "dollars", "cents", "1/2", "12/03/2024", "the", "a", "half"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_ALPHABET, max_size=60), st.sampled_from(["pt", "en", "es"]))
def test_random_text_never_raises(ext, text, lang):
    _check(ext, text, lang)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_WORDS, max_size=14), st.sampled_from(["pt", "en"]))
def test_random_word_salad_never_raises(ext, words, lang):
    _check(ext, " ".join(words), lang)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_unicode_never_raises(ext, text):
    _check(ext, text, "pt")


def _check(ext, text, lang):
    cands = ext.extract(text, lang)
    prev_end = -1
    for c in cands:
        assert 0 <= c.start < c.end <= len(text)
        assert c.start >= prev_end  # no overlaps, in order
        prev_end = c.end
        v = c.value
        assert v["op"] in ("gt", "ge", "lt", "le", "eq", "ne", "between")
        if v["low"] is not None and v["high"] is not None:
            assert v["low"] <= v["high"]
        if v["low"] is None:
            assert v["low_inclusive"] is False
        if v["high"] is None:
            assert v["high_inclusive"] is False


def test_non_string_input_returns_empty(ext):
    assert ext.extract(None, "pt") == []  # type: ignore[arg-type]
    assert ext.extract("", "pt") == []


def test_pickle_roundtrip_behaves_the_same(ext):
    clone = pickle.loads(pickle.dumps(ext))
    text = "entre 525 e 550 kV, no mínimo 5%"
    assert clone.extract(text, "pt") == ext.extract(text, "pt")
    assert clone.half_open == ext.half_open


def test_source_protocol(ext):
    from entrec.engine.sources import CandidateSource
    from entrec.engine.tokenizer import make_nlp

    src = InequalitySource(ext)
    assert isinstance(src, CandidateSource)
    assert (src.source, src.name) == ("grammar", "grammar:inequality")
    doc = make_nlp("en")("load at least 500 MW")
    cands = src.find(doc)
    assert [doc.text[c.start:c.end] for c in cands] == ["at least 500 MW"]
    assert src.find_many([doc, make_nlp("pt")("sem números")]) == [cands, []]
    # each doc read in its own vocabulary's language, however the batch mixes them
    pt, en = make_nlp("pt"), make_nlp("en")
    docs = [pt("mais de 5 MW"), en("more than 5 MW"), en("at least 2 kV"), pt("no mínimo 2 kV"),
            pt("more than 5 MW"), en("mais de 5 MW")]
    got = src.find_many(docs)
    assert got == [src.find(d) for d in docs]
    assert [len(c) for c in got] == [1, 1, 1, 1, 0, 0]


def test_table_driver_matches_lark_parse(ext):
    """The fast table driver gives the same matches as Lark's own parser (public switch)."""
    reference = InequalityExtractor.load(reference_parser=True)
    texts = [("maior que 10 e menor ou igual a 20 ou acima de 50 kV", "pt"),
             ("não deve ser superior a 5 MW", "pt"), ("about $10-$20", "en"),
             ("between 2.0 g and about 7.0 g", "en"), ("500 MW ou mais", "pt"),
             ("Manter a tensão entre 525 kV e 550 kV quando a geração for superior a 4.000 MW", "pt"),
             ("keep the load below 1,200 MW and at least 300 MW", "en")]
    for text, lang in texts:
        fast = ext.matches(text, lang)
        assert fast, text
        assert fast == reference.matches(text, lang), text