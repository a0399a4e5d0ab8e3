"""`entrec import`: report on the terminal, --json, --report FILE, --out docs.jsonl, exit codes."""
import json

from entrec.cli.main import main
from entrec.training.importers import read_documents_jsonl


def test_import_cli_report_and_out(fx, tmp_path, capsys):
    out, md = tmp_path / "docs.jsonl", tmp_path / "report.md"
    rc = main(["import", str(fx / "prodigy.jsonl"), str(fx / "lener_sample.conll"),
               "--out", str(out), "--report", str(md)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "rejected-answer" in text and "wrote 5 document(s)" in text
    assert len(read_documents_jsonl(out)) == 5
    assert md.read_text(encoding="utf-8").startswith("# Import report")


def test_import_cli_json_labels_and_strict(fx, tmp_path, capsys):
    rc = main(["import", str(fx / "doccano.jsonl"), "--json", "--labels", "AGENTE"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert set(d["labels"]) == {"AGENTE"} and d["reasons"]["unknown-label"] >= 1
    assert main(["import", str(fx / "doccano.jsonl"), "--strict"]) == 1
    capsys.readouterr()


def test_import_cli_errors(tmp_path, capsys):
    assert main(["import", str(tmp_path / "missing")]) == 2
    assert "path-not-found" in capsys.readouterr().err
    (tmp_path / "e.jsonl").write_text("not json\n")
    assert main(["import", str(tmp_path / "e.jsonl")]) == 1  # nothing usable
    assert "no usable document" in capsys.readouterr().err
