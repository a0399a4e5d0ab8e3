"""Prodigy and doccano JSONL: real-shaped files with broken records and their report."""
import json

from entrec.training.importers import load_documents


def by_reason(report):
    out = {}
    for s in report.skipped:
        out.setdefault(s.reason_code, []).append(s.line_or_index)
    return out


def test_prodigy_file_imports_good_records_and_reports_every_broken_one(fx):
    docs, rep = load_documents([fx / "prodigy.jsonl"],
                               labels={"SUBESTACAO", "AGENTE", "USINA", "LINHA_TRANSMISSAO",
                                       "CENTRO_OPERACAO", "EQUIPAMENTO"})
    got = {d.text: d.entities() for d in docs}
    assert got["A SE Xingu foi energizada pela CHESF às 10h."] == [
        ("SE Xingu", "SUBESTACAO"), ("CHESF", "AGENTE")]
    assert got["O ONS autorizou a manobra."] == [("ONS", "AGENTE")]  # trailing space trimmed
    # DOCUMENTO is not in the label set: that span is dropped, the record is kept
    assert got["Conforme o Submódulo 10.21, a COSR-NE liberou."] == [
        ("COSR-NE", "CENTRO_OPERACAO")]
    assert len(docs) == 3
    r = by_reason(rep)
    assert r == {
        "rejected-answer": [2, 3],
        "malformed-record": [4, 15],  # bad JSON; span without label
        "overlapping-spans": [5],
        "span-not-aligned": [6],
        "empty-text": [8],
        "duplicate": [9],
        "conflicting-duplicate": [10],
        "text-mismatch": [11],
        "bad-offsets": [12, 14],  # token_end used as exclusive; end past the text
        "unknown-label": [13],
    }
    assert rep.fixes["trimmed-whitespace"] == 1
    assert rep.imported == 3
    assert rep.files[str(fx / "prodigy.jsonl")].records == 15
    assert rep.files[str(fx / "prodigy.jsonl")].format == "jsonl"
    assert docs[0].annotator == "ops-ana" and docs[0].meta["doc"] == "IO-01"
    assert docs[0].source == f"{fx / 'prodigy.jsonl'}:1"


def test_prodigy_messages_say_why(fx):
    _, rep = load_documents([fx / "prodigy.jsonl"])
    msg = {}
    for s in rep.skipped:
        msg.setdefault(s.reason_code, s.message)
    assert "inclusive" in msg["bad-offsets"]
    assert "'Xingu'" in msg["span-not-aligned"] or "SEXingu" in msg["span-not-aligned"]
    assert "COSR" in msg["text-mismatch"] and "CNOS" in msg["text-mismatch"]
    assert "kept" in msg["conflicting-duplicate"]
    # without a label set, DOCUMENTO is kept
    assert "unknown-label" not in msg


def test_token_end_inclusive_derives_offsets_from_tokens(tmp_path):
    text = "A SE Xingu abriu."
    tokens = [{"text": "A", "start": 0, "end": 1, "id": 0}, {"text": "SE", "start": 2, "end": 4, "id": 1},
              {"text": "Xingu", "start": 5, "end": 10, "id": 2}, {"text": "abriu", "start": 11, "end": 16, "id": 3},
              {"text": ".", "start": 16, "end": 17, "id": 4}]
    rec = {"text": text, "tokens": tokens,
           "spans": [{"token_start": 1, "token_end": 2, "label": "SUBESTACAO"}]}
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    docs, rep = load_documents([p])
    assert docs[0].entities() == [("SE Xingu", "SUBESTACAO")]


def test_doccano_key_variants(fx):
    docs, rep = load_documents([fx / "doccano.jsonl"])
    got = {d.id: d.entities() for d in docs}
    assert got == {
        "1": [("UTE Porto do Pecém I", "USINA")],
        "2": [("autotransformador AT-03", "EQUIPAMENTO"), ("SE Campina Grande II", "SUBESTACAO")],
        "3": [("Eletronorte", "AGENTE"), ("COSR-N", "CENTRO_OPERACAO")],
        "4": [("UHE Tucuruí", "USINA")],
        "5": [("CHESF", "AGENTE")],  # old `data` key
        "9": [],  # a document without entities is a valid negative example
    }
    assert next(d for d in docs if d.id == "4").annotator == "2"
    assert by_reason(rep) == {"malformed-record": [6, 8], "bad-offsets": [7]}
    msgs = " ".join(s.message for s in rep.skipped)
    assert "classification" in msgs and "missing `text`" in msgs


def test_json_array_of_records_is_read_with_indexes(tmp_path):
    p = tmp_path / "arr.json"
    p.write_text(json.dumps([{"text": "A CHESF.", "label": [[2, 7, "AGENTE"]]},
                             {"text": "", "label": []}]), encoding="utf-8")
    docs, rep = load_documents([p])
    assert [d.entities() for d in docs] == [[("CHESF", "AGENTE")]]
    assert [(s.line_or_index, s.reason_code) for s in rep.skipped] == [("#1", "empty-text")]
