"""CoNLL/IOB/BILOU (LeNER-Br style) import, including the real LeNER-Br train split."""
import hashlib
from pathlib import Path

import pytest

from entrec.training.importers import load_documents
from entrec.training.importers.conll import decode_tags

LENER = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "lener-br"


def test_decode_tags_tolerates_iob1_iob2_bilou():
    tags = ["B-A", "I-A", "O", "I-B", "I-B", "B-B", "U-C", "B-D", "L-D", "S-E", "I-A", "B-A"]
    assert decode_tags(tags) == [(0, 2, "A"), (3, 5, "B"), (5, 6, "B"), (6, 7, "C"),
                                 (7, 9, "D"), (9, 10, "E"), (10, 11, "A"), (11, 12, "A")]


def test_sample_docstart_groups_and_bad_sentences_reported(fx):
    docs, rep = load_documents([fx / "lener_sample.conll"])
    assert len(docs) == 2  # two -DOCSTART- blocks
    d1, d2 = docs
    assert d1.text.split("\n")[0].startswith("EMENTA : APELAÇÃO --")
    assert d1.meta["sentences"] == 2 and d1.meta["tokens"] == 22
    assert d1.entities() == [("MINISTÉRIO PÚBLICO", "ORGANIZACAO"), ("Brasília", "LOCAL"),
                             ("Lei nº 8.666/93", "LEGISLACAO"), ("João Silva", "PESSOA"),
                             ("10 de maio de 2017", "TEMPO")]
    assert d2.entities() == [("TCU", "ORGANIZACAO"), ("Acórdão 1.234/2017", "JURISPRUDENCIA"),
                             ("Constituição Federal", "LEGISLACAO"), ("STF", "ORGANIZACAO"),
                             ("STJ", "ORGANIZACAO")]
    for d in docs:  # offsets agree with the rebuilt text
        for s in d.spans:
            assert d.text[s.start:s.end] == d.text[s.start:s.end].strip()
    skipped = [(s.line_or_index, s.reason_code) for s in rep.skipped]
    assert skipped == [(27, "malformed-record"), (30, "malformed-record")]
    assert "expected `token TAG`" in rep.skipped[0].message
    assert "'X-ORG'" in rep.skipped[1].message
    assert rep.files[str(fx / "lener_sample.conll")].format == "conll"


def test_sentences_per_doc_option(fx):
    docs, _ = load_documents([fx / "lener_sample.conll"], sentences_per_doc=1)
    assert [d.meta["sentences"] for d in docs] == [1, 1, 1]


def test_tab_separated_with_extra_columns(fx):
    docs, rep = load_documents([fx / "tabbed.iob"])
    assert docs[0].entities() == [("TCU", "ORGANIZACAO")] and not rep.skipped


@pytest.mark.skipif(not (LENER / "train.conll").is_file(),
                    reason="../shared/data/lener-br is absent (read-only shared material)")
def test_lener_br_train_counts_match_its_readme():
    path = LENER / "train.conll"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == (
        "6fdf9066333c84565f9e3d28ee8f0f519336bece69b63f8d78b8de0fe96dcd47")
    docs, rep = load_documents([path])
    assert rep.skipped == []
    assert sum(d.meta["sentences"] for d in docs) == 7827
    assert sum(d.meta["tokens"] for d in docs) == 229277
    assert sum(len(d.spans) for d in docs) == 8894
    assert dict(rep.labels) == {"ORGANIZACAO": 2400, "LEGISLACAO": 1920, "PESSOA": 1525,
                                "TEMPO": 1334, "JURISPRUDENCIA": 1104, "LOCAL": 611}
