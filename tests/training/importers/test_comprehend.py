"""Amazon Comprehend annotations CSV (with its documents file) and entity list CSV."""
import pytest

from entrec.engine.errors import DataImportError
from entrec.training.importers import load_documents, read_entity_list


def test_annotations_one_doc_per_line(fx):
    docs, rep = load_documents([fx / "comprehend"])  # the folder: CSVs + documents.txt
    by_line = {d.meta["comprehend_line"]: d.entities() for d in docs
               if d.meta["format"] == "comprehend"}
    assert by_line == {0: [("SE Xingu", "SUBESTACAO")],
                       2: [("CHESF", "AGENTE"), ("Eletronorte", "AGENTE")],
                       3: [],  # unannotated line: a negative example
                       }
    reasons = sorted((str(s.line_or_index), s.reason_code) for s in rep.skipped)
    # row 6 ("x" offset) makes line 4's record fail; row 5 points past the file; row 8: missing file
    assert ("6", "bad-offsets") in reasons or ("5", "bad-offsets") in reasons
    assert ("8", "missing-document") in reasons
    assert rep.notes["comprehend:blank-lines-not-imported"] >= 1
    # documents.txt is a companion of the CSV, not an unknown-format file
    assert not any(s.reason_code == "unknown-format" for s in rep.skipped)


def test_annotations_errors_exact(fx):
    docs, rep = load_documents([fx / "comprehend" / "annotations.csv"])
    got = sorted((s.file.rsplit("/", 1)[-1], str(s.line_or_index), s.reason_code)
                 for s in rep.skipped)
    assert got == [("annotations.csv", "6", "bad-offsets"),      # Line 9 past the 5 lines
                   ("annotations.csv", "8", "missing-document"),
                   ("documents.txt", "5", "bad-offsets")]        # Begin Offset "x"
    assert sum(len(d.spans) for d in docs) == 3 and len(docs) == 3


def test_entity_list_needs_documents_and_auto_labels(fx):
    docs, rep = load_documents([fx / "comprehend" / "entity_list.csv"])
    assert docs == [] and rep.skipped[0].reason_code == "missing-document"
    docs, rep = load_documents([fx / "comprehend" / "entity_list.csv"],
                               documents=fx / "comprehend" / "documents.txt")
    assert [d.entities() for d in docs] == [
        [("SE Xingu", "SUBESTACAO")], [("CHESF", "AGENTE"), ("Eletronorte", "AGENTE")], [],
        [("ONS", "AGENTE")]]
    assert any(s.reason_code == "malformed-record" for s in rep.skipped)  # the ",AGENTE" row


def test_read_entity_list(fx):
    entries = read_entity_list(fx / "comprehend" / "entity_list.csv")
    assert [(e.text, e.label) for e in entries][:2] == [("SE Xingu", "SUBESTACAO"),
                                                        ("CHESF", "AGENTE")]
    with pytest.raises(DataImportError) as e:
        read_entity_list(fx / "comprehend" / "annotations.csv")
    assert e.value.code == "bad-entity-list"


def test_one_doc_per_file_when_no_line_column(tmp_path):
    (tmp_path / "a.txt").write_text("A SE Xingu.\nO ONS.\n", encoding="utf-8")
    (tmp_path / "ann.csv").write_text("File,Begin Offset,End Offset,Type\n"
                                      "a.txt,2,10,SUBESTACAO\na.txt,14,17,AGENTE\n")
    docs, rep = load_documents([tmp_path / "ann.csv"])
    assert [d.entities() for d in docs] == [[("SE Xingu", "SUBESTACAO"), ("ONS", "AGENTE")]]
