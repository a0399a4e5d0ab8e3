"""Diagnostics carry where the offending node ends, so an editor underlines the range."""
from __future__ import annotations

import textwrap
from pathlib import Path

from entrec.engine.rules.loader import check_rule_files

HEAD = "version: 1\nlanguage: pt\nlabels:\n  SUBESTACAO: substation\n"


def errors(tmp_path: Path, body: str):
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    _, diags = check_rule_files([p])
    return [d for d in diags if d.severity == "error"]


def test_scalar_value_range(tmp_path):
    (d,) = errors(tmp_path, "rules:\n  - id: pt.a\n    label: SUBESTACA\n    phrases: [SE Xingu]\n")
    assert (d.code, d.line, d.column, d.end_line, d.end_column) == ("label-unknown", 7, 12, 7, 21)
    assert d.to_dict()["end_column"] == 21


def test_unknown_key_underlines_the_key(tmp_path):
    (d,) = errors(tmp_path, "rules:\n  - id: pt.a\n    label: SUBESTACAO\n    phrase: [SE Xingu]\n")
    assert d.code == "schema-unknown-key"
    assert (d.line, d.column, d.end_line, d.end_column) == (8, 5, 8, 11)


def test_mapping_is_cut_at_its_first_line(tmp_path):
    (d,) = errors(tmp_path, "rules:\n  - id: pt.a\n    label: SUBESTACAO\n")
    assert d.code == "rule-matcher-missing"
    assert d.end_line == d.line and d.end_column > d.column


def test_regex_error_keeps_the_caret_and_ends_with_the_value(tmp_path):
    (d,) = errors(tmp_path, "rules:\n  - id: pt.a\n    label: SUBESTACAO\n    regex: 'SE (?=Xingu)'\n")
    assert d.code == "regex-invalid" and d.end_line == d.line and d.column < d.end_column


def test_yaml_syntax_and_duplicate_key_ranges(tmp_path):
    (d,) = errors(tmp_path, "rules: [\n")
    assert d.code == "yaml-syntax" and d.end_column > d.column
    ds = errors(tmp_path, "rules:\n  - id: pt.a\n    label: SUBESTACAO\n    label: SUBESTACAO\n    phrases: [x]\n")
    d = next(d for d in ds if d.code == "yaml-duplicate-key")
    assert (d.line, d.column, d.end_line, d.end_column) == (8, 5, 8, 10)
