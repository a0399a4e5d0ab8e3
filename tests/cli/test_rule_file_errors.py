"""`validate`, `dry-run` and `extract` on hostile rule files: located errors, no traceback."""
from __future__ import annotations

import pytest

from entrec.cli.main import main

HEAD = "version: 1\nlanguage: pt\nlabels:\n  SUBESTACAO: s\n"
CASES = {
    "esc": (HEAD + "rules: []\nnote: a\x1bb\n", "yaml-invalid-character", ":6:8"),
    "alias-loop": (HEAD + "x: &r [*r]\n", "yaml-recursive-alias", ":5:4"),
    "passwd": (HEAD + "include: [/etc/passwd]\n", "path-outside-pack", ":5:11"),
    "token-regex": (HEAD + "rules:\n  - id: pt.a\n    label: SUBESTACAO\n    pattern: [{TEXT: {REGEX: '(a'}}]\n",
                    "regex-invalid", ":8:31"),
}


@pytest.fixture(params=sorted(CASES))
def hostile(request, tmp_path):
    text, code, where = CASES[request.param]
    p = tmp_path / "r.yaml"
    p.write_text(text, encoding="utf-8")
    return p, code, where


def _check_output(out: str, path, code: str, where: str) -> None:
    assert "Traceback" not in out
    assert f"{path}{where}: error[{code}]" in out
    assert "root:" not in out and "\x1b" not in out


def test_validate(hostile, capsys):
    path, code, where = hostile
    assert main(["validate", str(path)]) == 1
    cap = capsys.readouterr()
    _check_output(cap.out + cap.err, path, code, where)


def test_dry_run(hostile, capsys):
    path, code, where = hostile
    assert main(["dry-run", "--no-grammar", str(path)]) == 2
    cap = capsys.readouterr()
    _check_output(cap.out + cap.err, path, code, where)


def test_extract(hostile, capsys, monkeypatch):
    import io

    path, code, where = hostile
    monkeypatch.setattr("sys.stdin", io.StringIO("SE Xingu"))
    assert main(["extract", "--rules", str(path), "--json"]) == 2
    cap = capsys.readouterr()
    _check_output(cap.out + cap.err, path, code, where)


def test_allow_outside_paths_flag(tmp_path, capsys):
    words = tmp_path / "words.txt"
    words.write_text("SE Xingu\n", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "r.yaml").write_text(HEAD + f"rules:\n  - id: pt.a\n    label: SUBESTACAO\n    phrases_file: {words}\n",
                                 encoding="utf-8")
    assert main(["validate", "--no-lint", str(pack)]) == 1
    assert "path-outside-pack" in capsys.readouterr().err
    assert main(["validate", "--no-lint", "--allow-outside-paths", str(pack)]) == 0


def test_extract_input_that_is_a_folder(tmp_path, capsys):
    assert main(["extract", str(tmp_path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "[file-unreadable]" in err and "Traceback" not in err
