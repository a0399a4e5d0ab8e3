"""`make_doc` / `doc_text` / `doc_folded`: what every source reads of a Doc."""
from __future__ import annotations

import pytest

from entrec.engine import Engine
from entrec.engine.textfold import fold
from entrec.engine.tokenizer import doc_folded, doc_text, doc_text_folded, make_doc, make_nlp

TEXT = "Manter a tensão na SE Xingu entre 525 kV e 550 kV quando a geração da UHE Belo Monte for superior a 4.000 MW."


def test_doc_folded_is_the_fold_of_the_text_and_is_kept():
    nlp = make_nlp("pt")
    doc = make_doc(nlp, TEXT)
    folded = doc_folded(doc)
    assert folded == fold(TEXT) and len(folded) == len(doc_text(doc))
    assert doc_folded(doc) is folded  # kept on the Doc: folded once
    plain = nlp.make_doc("Tensão ÀS 10h")  # a Doc make_doc did not make: read from doc.text
    assert doc_folded(plain) == "tensao as 10h"


def test_doc_text_folded_is_both_reads_and_keeps_the_fold():
    nlp = make_nlp("pt")
    doc = make_doc(nlp, TEXT)
    text, folded = doc_text_folded(doc)  # folded here first: kept for the next reader
    assert text is doc_text(doc) and folded == fold(TEXT) and doc_folded(doc) is folded
    assert doc_text_folded(doc) == (text, folded) and doc_text_folded(doc)[1] is folded
    plain = nlp.make_doc("Tensão ÀS 10h")  # not made by make_doc: no text kept on it
    assert doc_text_folded(plain) == ("Tensão ÀS 10h", "tensao as 10h")
    assert doc_folded(plain) is doc_text_folded(plain)[1]


@pytest.fixture(scope="module")
def engine():
    return Engine.load()


def test_rules_and_grammar_share_one_fold_per_doc(engine, monkeypatch):
    """The default engine folds each text once: the rule source folds it (through
    `doc_folded`) and the grammar reads that fold instead of folding again."""
    want = [e.to_dict() for e in engine.extract(TEXT, "pt")]
    assert any(e["source"] == "grammar" for e in want) and any(e["source"] == "rule" for e in want)

    from entrec.engine import tokenizer
    from entrec.engine.inequality import extractor

    calls = []
    monkeypatch.setattr(tokenizer, "fold", lambda text: calls.append(text) or fold(text))

    def refold(text, *a, **k):  # the grammar folding the whole text again
        raise AssertionError("the grammar folded the text itself")

    monkeypatch.setattr(extractor, "fold", refold)
    got = [[e.to_dict() for e in ents] for ents in engine.pipe([TEXT, TEXT.upper()], "pt")]
    assert got[0] == want
    assert calls == [TEXT, TEXT.upper()]  # one fold per text
    assert any(e["source"] == "grammar" for e in got[1])
