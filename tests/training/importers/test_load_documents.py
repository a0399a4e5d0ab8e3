"""Registry, detection, folders, options, errors and the import report renderings."""
import json

import pytest

from entrec.engine.errors import DataImportError
from entrec.training.importers import (IMPORTERS, ImportReport, LabeledDocument, RawRecord, RawSpan,
                                Span, detect_format, load_documents, read_documents_jsonl,
                                register_importer, write_documents)


@pytest.mark.parametrize("name,fmt", [
    ("prodigy.jsonl", "jsonl"), ("doccano.jsonl", "jsonl"), ("lener_sample.conll", "conll"),
    ("tabbed.iob", "conll"), ("label_studio.json", "label-studio"),
    ("comprehend/annotations.csv", "comprehend"),
    ("comprehend/entity_list.csv", "comprehend-entity-list")])
def test_detect_by_extension_and_content(fx, name, fmt):
    assert detect_format(fx / name) == fmt


def test_detect_by_content_when_extension_says_nothing(fx, tmp_path):
    for src, fmt in [("lener_sample.conll", "conll"), ("prodigy.jsonl", "jsonl"),
                     ("label_studio.json", "label-studio")]:
        p = tmp_path / (src.split(".")[0] + ".txt")
        p.write_bytes((fx / src).read_bytes())
        assert detect_format(p) == fmt
    (tmp_path / "notes.txt").write_text("just some notes\nnothing labeled\n")
    assert detect_format(tmp_path / "notes.txt") is None


def test_folder_import_mixes_formats_and_reports_unknown_files(fx, tmp_path):
    (tmp_path / "a.jsonl").write_bytes((fx / "doccano.jsonl").read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.conll").write_bytes((fx / "lener_sample.conll").read_bytes())
    (tmp_path / "README.md").write_text("# data\n")
    (tmp_path / ".hidden.jsonl").write_text("garbage\n")
    docs, rep = load_documents([tmp_path])
    assert rep.formats == {"jsonl": 6, "conll": 2}
    unknown = [s for s in rep.skipped if s.reason_code == "unknown-format"]
    assert [(s.file.rsplit("/", 1)[-1], s.scope) for s in unknown] == [("README.md", "file")]
    assert rep.imported == len(docs) == 8


def test_forced_format_and_unknown_format_name(fx):
    docs, _ = load_documents(fx / "doccano.jsonl", format="doccano")  # alias of jsonl
    assert len(docs) == 6
    with pytest.raises(DataImportError) as e:
        load_documents([fx / "doccano.jsonl"], format="docano")
    assert e.value.code == "unknown-format" and "doccano" in str(e.value)


def test_missing_path_and_bad_option(tmp_path):
    with pytest.raises(DataImportError) as e:
        load_documents([tmp_path / "nope.jsonl"])
    assert e.value.code == "path-not-found"
    with pytest.raises(DataImportError) as e:
        load_documents([tmp_path], sentence_per_doc=3)
    assert e.value.code == "bad-option"


def test_not_utf8_is_reported(tmp_path):
    p = tmp_path / "latin1.jsonl"
    p.write_bytes('{"text": "Usina São João", "label": []}\n'.encode("latin-1"))
    docs, rep = load_documents([p])
    assert docs == [] and rep.skipped[0].reason_code == "unreadable-file"
    assert "UTF-8" in rep.skipped[0].message


def test_dedupe_can_be_disabled(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "A CHESF.", "label": [[2, 7, "AGENTE"]]}\n' * 2)
    assert len(load_documents([p])[0]) == 1
    docs, rep = load_documents([p], dedupe=False)
    assert len(docs) == 2 and rep.skipped == []


def test_duplicates_are_detected_across_files(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "A CHESF.", "label": [[2, 7, "AGENTE"]]}\n')
    (tmp_path / "b.jsonl").write_text('{"text": "A CHESF.", "label": []}\n')
    docs, rep = load_documents([tmp_path])
    assert len(docs) == 1
    assert [s.reason_code for s in rep.skipped] == ["conflicting-duplicate"]
    assert "a.jsonl:1" in rep.skipped[0].message


def test_register_custom_importer(tmp_path):
    class Tsv:
        name, aliases, extensions, description = "test-tsv", (), (".ttsv",), "test"

        def sniff(self, path, head):
            return False

        def companions(self, path, options):
            return set()

        def read(self, ctx):
            for n, line in enumerate(ctx.path.read_text().splitlines(), 1):
                text, label = line.split("\t")
                yield RawRecord(text, [RawSpan(0, len(text), label)], ctx.display, n)

    register_importer(Tsv())
    try:
        (tmp_path / "x.ttsv").write_text("CHESF\tAGENTE\n")
        docs, _ = load_documents([tmp_path / "x.ttsv"])
        assert docs[0].entities() == [("CHESF", "AGENTE")]
        with pytest.raises(ValueError):
            register_importer(Tsv())
    finally:
        IMPORTERS.pop("test-tsv")


def test_report_renderings(fx):
    _, rep = load_documents([fx / "prodigy.jsonl"], labels={"SUBESTACAO", "AGENTE"})
    d = rep.to_dict()
    assert d["imported"] == rep.imported
    assert d["reasons"]["rejected-answer"] == 2
    assert d["fixes"] == {"trimmed-whitespace": 1}
    assert json.loads(json.dumps(d)) == d
    text = rep.format()
    assert "rejected-answer" in text and "Skipped by reason" in text
    md = rep.to_markdown()
    assert md.startswith("# Import report") and "| rejected-answer | 2 |" in md
    assert isinstance(rep, ImportReport)


def test_documents_jsonl_roundtrip(tmp_path):
    docs = [LabeledDocument("A CHESF.", (Span(2, 7, "AGENTE"),), id="1", source="f:1",
                            meta={"k": 1})]
    write_documents(docs, tmp_path / "o.jsonl")
    back = read_documents_jsonl(tmp_path / "o.jsonl")
    assert back == docs and back[0].meta == {"k": 1}
    # and the written file is itself importable as JSONL spans
    again, rep = load_documents([tmp_path / "o.jsonl"])
    assert again[0].entities() == [("CHESF", "AGENTE")] and not rep.skipped
