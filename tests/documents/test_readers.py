"""Documents to units: each reader, the error rows, and the length-preserving normalisation."""
from __future__ import annotations

import hashlib
import io
import json

import pytest
from hypothesis import given, strategies as st

from entrec.documents import join_lone_breaks, normalize_newlines, read_document
from entrec.documents.pdf_writer import write_pdf


# ------------------------------------------------------------------ normalisation
def test_lone_break_becomes_space_paragraph_breaks_stay():
    text = "desligar a LT 500 kV\nPresidente Dutra / Teresina II C2\n\nNovo parágrafo.\nTabela 1:\nx"
    out = join_lone_breaks(text)
    assert "LT 500 kV Presidente Dutra / Teresina II C2" in out
    assert "\n\nNovo parágrafo.\nTabela 1:\nx" in out  # blank line, and breaks after . and : stay
    assert len(out) == len(text)


@given(st.text(alphabet=st.sampled_from(list("ab .:\n\r\f")), max_size=60))
def test_join_lone_breaks_only_swaps_newlines_for_spaces(text):
    out = join_lone_breaks(text)
    assert len(out) == len(text)
    assert all(a == b or (a == "\n" and b == " ") for a, b in zip(text, out))


def test_normalize_newlines():
    assert normalize_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


# ------------------------------------------------------------------ PDF
def test_pdf_pages_in_order_with_joined_line_break():
    data = write_pdf([["Desligar a LT 500 kV", "Presidente Dutra / Teresina II C2 agora."],
                      ["Segunda página: UHE Tucuruí."], []])
    units = read_document(data, "/docs/p.pdf")
    assert [(u.unit_kind, u.unit_no) for u in units] == [("page", 1), ("page", 2), ("page", 3)]
    assert all(u.doc_id == hashlib.sha256(data).hexdigest() for u in units)
    assert "LT 500 kV Presidente Dutra / Teresina II C2" in units[0].text
    assert "\r" not in units[0].text
    assert units[1].text.strip() == "Segunda página: UHE Tucuruí."
    assert units[2].text == "" and units[2].error is None  # a page without text is still a page
    assert units[0].extractor == "pypdfium2" and units[0].extractor_version


def test_broken_and_encrypted_pdf_are_error_rows():
    (broken,) = read_document(b"%PDF-1.4\ngarbage", "/docs/b.pdf")
    assert (broken.error, broken.unit_no, broken.text) == ("pdf-unreadable", 0, "")
    assert "/docs/b.pdf" in broken.error_message
    (enc,) = read_document(write_pdf([["segredo"]], encrypted=True), "/docs/e.pdf")
    assert enc.error == "pdf-encrypted" and "encrypted" in enc.error_message


# ------------------------------------------------------------------ DOCX
def _docx(build) -> bytes:
    import docx

    doc = docx.Document()
    build(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_keeps_tables_in_document_order_and_heading_paths():
    def build(doc):
        doc.add_paragraph("Introdução do procedimento.")
        doc.add_heading("Limites", 1)
        doc.add_paragraph("Antes da tabela.")
        t = doc.add_table(rows=2, cols=2)
        t.cell(0, 0).text, t.cell(0, 1).text = "Linha", "Limite"
        t.cell(1, 0).text, t.cell(1, 1).text = "LT 500 kV Tucuruí / Marabá C1", "não superior a 800 MW"
        doc.add_paragraph("Depois da tabela.")
        doc.add_heading("Tensão", 2)
        doc.add_paragraph("Manter 525 kV.")

    data = _docx(build)
    units = read_document(data, "/docs/l.docx")
    assert [u.heading_path for u in units] == [(), ("Limites",), ("Limites", "Tensão")]
    assert [u.unit_no for u in units] == [1, 2, 3] and {u.unit_kind for u in units} == {"section"}
    assert units[1].text == ("Limites\nAntes da tabela.\nLinha | Limite\n"
                             "LT 500 kV Tucuruí / Marabá C1 | não superior a 800 MW\nDepois da tabela.")
    # what Document.paragraphs would have given: the limit is gone
    import docx

    assert "800 MW" not in "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


def test_docx_merged_cells_are_written_once():
    def build(doc):
        t = doc.add_table(rows=1, cols=3)
        a = t.cell(0, 0).merge(t.cell(0, 1))
        a.text = "SE Xingu"
        t.cell(0, 2).text = "500 kV"

    (u,) = read_document(_docx(build), "/docs/m.docx")
    assert u.text == "SE Xingu | 500 kV"


def test_bad_docx_files_are_error_rows():
    (ole,) = read_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "/docs/x.docx")
    assert ole.error == "docx-encrypted"
    (bad,) = read_document(b"PK\x03\x04 not a zip", "/docs/y.docx")
    assert bad.error == "docx-unreadable" and "/docs/y.docx" in bad.error_message


# ------------------------------------------------------------------ TXT / MD
def test_txt_pages_on_form_feed():
    data = "Página um\r\ncontinua.\fPágina dois\n\fPágina três\n\f\n".encode()
    units = read_document(data, "/docs/n.txt")
    assert [u.unit_no for u in units] == [1, 2, 3]
    assert units[0].text == "Página um continua."
    assert units[0].extractor_version == "1 utf-8"


def test_txt_in_windows_1252_is_decoded_and_says_so():
    (u,) = read_document("tensão de 500 kV".encode("cp1252"), "/docs/w.txt")
    assert u.text == "tensão de 500 kV" and u.extractor_version.endswith("cp1252")


# ------------------------------------------------------------------ JSON Lines
def test_jsonl_records_bad_lines_and_unit_round_trip():
    unit = read_document(write_pdf([["SE Xingu"]]), "s3://b/p.pdf")[0].to_dict()
    lines = [json.dumps({"text": "SE Xingu", "id": 7, "lang": "pt"}), "{broken", "",
             json.dumps({"text": 3}), json.dumps(unit)]
    units = read_document("\n".join(lines).encode(), "/docs/t.jsonl")
    assert [(u.unit_no, u.error) for u in units[:3]] == [(1, None), (2, "bad-jsonl"), (4, "bad-jsonl")]
    assert units[0].record_id == "7" and units[0].lang == "pt" and units[0].unit_kind == "record"
    assert "/docs/t.jsonl:2" in units[1].error_message
    assert units[3].to_dict() == unit  # a unit written by `entrec pages` keeps its identity


def test_unsupported_type_is_an_error_row():
    (u,) = read_document(b"x", "/docs/a.xlsx")
    assert u.error == "unsupported-type" and u.doc_type == "unknown"
