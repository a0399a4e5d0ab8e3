"""Label Studio JSON export: annotation choice, cancelled/unannotated tasks, UTF-16 offsets."""
import json

from entrec.training.importers import load_documents


def test_label_studio_export(fx):
    docs, rep = load_documents([fx / "label_studio.json"])
    got = {d.id: d.entities() for d in docs}
    # task 101: the latest of two annotations wins; predictions are never gold
    assert got["101"] == [("SE Xingu", "SUBESTACAO"),
                          ("LT 500 kV Xingu / Tucuruí C2", "LINHA_TRANSMISSAO")]
    # task 102: ground_truth wins over a later annotation
    assert got["102"] == [("CNOS", "CENTRO_OPERACAO"), ("Eletrobras", "AGENTE")]
    d102 = next(d for d in docs if d.id == "102")
    assert d102.meta["ground_truth"] is True and d102.annotator == "1"
    assert next(d for d in docs if d.id == "101").annotator == "bia@ons.example"
    # task 105: JavaScript UTF-16 offsets converted because of the emoji
    assert got["105"] == [("SE Marabá", "SUBESTACAO")]
    assert rep.fixes["utf16-offsets"] == 1
    assert [(s.line_or_index, s.reason_code) for s in rep.skipped] == [
        ("#2", "cancelled-annotation"), ("#3", "unannotated"), ("#5", "overlapping-spans"),
        ("#6", "malformed-record")]
    assert "two labels" in rep.skipped[2].message
    assert "text_key" in rep.skipped[3].message
    assert rep.notes["label-studio:ground-truth-used"] == 1
    assert rep.notes["label-studio:ignored-result:choices"] == 1
    assert rep.files[str(fx / "label_studio.json")].format == "label-studio"


def test_text_key_option(tmp_path):
    p = tmp_path / "ls.json"
    p.write_text(json.dumps([{"id": 1, "data": {"body": "A CHESF.", "title": "t"},
                              "annotations": [{"result": [{"type": "labels", "value": {
                                  "start": 2, "end": 7, "labels": ["AGENTE"]}}]}]}]),
                 encoding="utf-8")
    docs, rep = load_documents([p], text_key="body")
    assert docs[0].entities() == [("CHESF", "AGENTE")]


def test_broken_json_file_is_reported_not_raised(tmp_path):
    p = tmp_path / "ls.json"
    p.write_text('[{"data": {"text": "x"}, "annotations": [\n', encoding="utf-8")
    docs, rep = load_documents([p], format="label-studio")
    assert docs == [] and rep.skipped[0].reason_code == "malformed-record"
    assert rep.skipped[0].scope == "file"
