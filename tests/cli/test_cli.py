"""The `entrec` CLI: extract (text/jsonl, errors), validate and dry-run exit codes, schema."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from entrec.cli.main import main

PACK = textwrap.dedent("""\
    version: 1
    language: pt
    labels: {SUBESTACAO: s, DOCUMENTO: d}
    rules:
      - id: pt.se
        label: SUBESTACAO
        priority: 5
        pattern: 'SE [TITLE]+'
      - id: pt.se.curto
        label: SUBESTACAO
        priority: 1
        phrases: ["SE Xingu"]
      - id: pt.doc
        label: DOCUMENTO
        priority: 5
        regex: 'IO-[A-Z]{2}\\.[A-Z0-9.]+[A-Z0-9]'
    tests:
      - text: "Na SE Xingu conforme IO-ON.NE.2NE."
        expect: [{text: "SE Xingu", label: SUBESTACAO}, {text: "IO-ON.NE.2NE", label: DOCUMENTO}]
    """)


@pytest.fixture
def pack(tmp_path):
    p = tmp_path / "pack.yaml"
    p.write_text(PACK, encoding="utf-8")
    return p


def test_extract_jsonl_keeps_order_ids_and_lang(tmp_path, pack, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "a", "text": "SE Xingu"}\n\n{"text": "nada aqui", "lang": "en"}\n', encoding="utf-8")
    assert main(["extract", "--rules", str(pack), "--format", "jsonl", "--json", str(inp)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r.get("id") for r in lines] == ["a", None]
    e = lines[0]["entities"][0]
    assert {k: e[k] for k in ("start", "end", "label", "text", "source", "rule_id")} == {
        "start": 0, "end": 8, "label": "SUBESTACAO", "text": "SE Xingu", "source": "rule", "rule_id": "pt.se"}
    assert set(e) == {"start", "end", "label", "text", "source", "rule_id", "score", "id", "value"}


def test_extract_freezes_the_loaded_engine_before_reading(tmp_path, pack, capsys, monkeypatch):
    """extract owns its process: the engine is loaded, then frozen out of the collector's
    generations, before the first text is read (long runs spent ~10% in full collections)."""
    import gc

    import entrec.cli.extract as extract

    gc.unfreeze()
    counts = []
    read = extract._records

    def records(args):  # what is frozen when the input starts being read
        counts.append(gc.get_freeze_count())
        return read(args)

    monkeypatch.setattr(extract, "_records", records)
    inp = tmp_path / "in.txt"
    inp.write_text("SE Xingu\n", encoding="utf-8")
    assert main(["extract", "--rules", str(pack), "--lines", "--json", str(inp)]) == 0
    assert counts and counts[0] > 1000
    assert json.loads(capsys.readouterr().out)["entities"][0]["text"] == "SE Xingu"


def test_extract_bad_jsonl_is_exit_2_with_location(tmp_path, pack, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text": "ok"}\n{"text": 3}\n', encoding="utf-8")
    assert main(["extract", "--rules", str(pack), "--format", "jsonl", str(inp)]) == 2
    err = capsys.readouterr().err
    assert "in.jsonl:2" in err and "bad-jsonl" in err and "Traceback" not in err


def test_extract_explain_lists_discarded(pack, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Na SE Xingu."))
    assert main(["extract", "--rules", str(pack), "--json", "--explain"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["discarded"][0]["reason"] == "lost to pt.se: lower priority 1 < 5 (same span and label)"
    assert out["discarded"][0]["candidate"]["rule_id"] == "pt.se.curto"


def test_extract_reads_stdin_for_a_dash(pack, capsys, monkeypatch, tmp_path):
    import io

    monkeypatch.chdir(tmp_path)  # no file named "-" here: "-" must mean stdin
    monkeypatch.setattr(sys, "stdin", io.StringIO("Na SE Xingu."))
    assert main(["extract", "--rules", str(pack), "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["text"] == "Na SE Xingu." and [e["text"] for e in out["entities"]] == ["SE Xingu"]


def test_extract_display_highlights(pack, capsys, tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("Na SE Xingu.\n", encoding="utf-8")
    assert main(["extract", "--rules", str(pack), "--display", str(f)]) == 0
    out = capsys.readouterr().out
    assert "[SE Xingu]SUBESTACAO" in out and "pt.se" in out


def test_invalid_rules_exit_2_for_extract_and_1_for_validate(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nlanguage: pt\nlabels: {A: a}\nrules:\n  - id: x\n    label: B\n    regex: 'a'\n")
    assert main(["extract", "--rules", str(bad), "--json"]) == 2
    assert "label-unknown" in capsys.readouterr().err
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:6:12: error[label-unknown]" in err


def test_validate_ok_and_json(pack, capsys):
    assert main(["validate", str(pack), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["rules"] == 3 and out["tests"] == 1
    assert [d["code"] for d in out["diagnostics"]] == ["rule-shadowed"]


def test_dry_run_pass_then_fail_with_fp_fn(pack, tmp_path, capsys):
    assert main(["dry-run", str(pack), "--no-grammar"]) == 0
    capsys.readouterr()
    failing = tmp_path / "f.yaml"
    failing.write_text(PACK + textwrap.indent(textwrap.dedent("""\
        - text: "A SE Nova Iguaçu e a SE Xin."
          expect: [{text: "SE Nova", label: SUBESTACAO}]
        """), "  "), encoding="utf-8")
    assert main(["dry-run", str(failing), "--no-grammar", "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["failed"] == 1 and rep["passed"] == 1
    assert rep["rules"]["pt.se"] == {"tp": 1, "fp": 2, "fn": 0}
    kinds = sorted(f["kind"] for c in rep["cases"] for f in c["findings"])
    assert kinds == ["missing", "unexpected", "unexpected"]


def test_dry_run_free_text(pack, capsys):
    assert main(["dry-run", str(pack), "--no-grammar", "--text", "SE Xingu"]) == 0
    out = capsys.readouterr().out
    assert "SE Xingu" in out and "lost to pt.se" in out


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["title"] == "entrec rule file"
    assert "rules" in s["properties"] and "RuleModel" in s["$defs"]


def test_console_script_runs_without_traceback_on_missing_file():
    r = subprocess.run([sys.executable, "-m", "entrec.cli.main", "extract", "/nonexistent.txt"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "file-not-found" in r.stderr and "Traceback" not in r.stderr
