"""A declared label set: a label outside it is an import error with file:line and a guess."""
import ast
import json
from pathlib import Path

import pytest

from entrec.training.importers import load_documents
from entrec.training.label_set import LabelSetError, parse_label_set

IMPORTERS_DIR = Path(__file__).resolve().parents[3] / "training" / "importers"


def _write(tmp_path, rows) -> Path:
    f = tmp_path / "week.jsonl"
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return f


def test_typo_label_is_reported_with_file_line_and_did_you_mean(tmp_path):
    f = _write(tmp_path, [
        {"text": "A CHESF liberou a LT.", "spans": [{"start": 2, "end": 7, "label": "ORGANIZACAO"}]},
        {"text": "A ONS coordena.", "spans": [{"start": 2, "end": 5, "label": "ORGANIZAÇAO"}]},
    ])
    docs, rep = load_documents([f], declared_labels={"ORGANIZACAO", "PESSOA"})
    assert [d.text for d in docs] == ["A CHESF liberou a LT."]
    (err,) = rep.skipped
    assert (err.file, err.line_or_index, err.reason_code, err.scope) == (
        str(f), 2, "undeclared-label", "record")
    assert "'ORGANIZAÇAO'" in err.message and "did you mean `ORGANIZACAO`?" in err.message
    assert "ORGANIZAÇAO" not in rep.labels
    assert "undeclared-label" in rep.to_markdown()


def test_without_a_declaration_every_label_is_imported(tmp_path):
    f = _write(tmp_path, [{"text": "A ONS coordena.",
                           "spans": [{"start": 2, "end": 5, "label": "ORGANIZAÇAO"}]}])
    docs, rep = load_documents([f])
    assert len(docs) == 1 and rep.labels == {"ORGANIZAÇAO": 1}


def test_label_set_from_rule_packs_and_names():
    rules = parse_label_set("rules", lang="pt")
    assert {"SUBESTACAO", "USINA", "AGENTE", "INEQUALITY"} <= rules
    assert parse_label_set("rules,PESSOA", lang="pt") == rules | {"PESSOA"}
    assert parse_label_set("PESSOA ORGANIZACAO") == {"PESSOA", "ORGANIZACAO"}
    assert parse_label_set("") is None and parse_label_set(None) is None
    with pytest.raises(LabelSetError) as ei:
        parse_label_set("PESSOA,ORG/X")
    assert ei.value.code == "bad-label-set"


def test_the_unknown_format_message_names_no_option(tmp_path):
    (tmp_path / "NOTES.md").write_text("notes\n")
    _, rep = load_documents([tmp_path])
    (s,) = rep.skipped
    assert s.reason_code == "unknown-format" and "--" not in s.message


def test_no_import_circle_between_the_package_and_detection():
    """detect.py and registry.py never import the package __init__ (`from . import`)."""
    for name in ("detect.py", "registry.py"):
        tree = ast.parse((IMPORTERS_DIR / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                assert node.module, f"{name} imports the package itself: {ast.dump(node)}"
