"""Every validation error code, with its exact message and location."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from entrec.engine.rules.loader import CODES, check_rule_files, load_rule_files
from entrec.engine.errors import RuleFileError

HEAD = """\
version: 1
language: pt
labels:
  SUBESTACAO: substation
  DOCUMENTO: document
"""


def write(tmp_path: Path, body: str, name: str = "r.yaml", head: str = HEAD) -> Path:
    p = tmp_path / name
    p.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return p


def diags_of(*paths):
    _, diags = check_rule_files(list(paths))
    return [d for d in diags if d.severity == "error"]


def only(diags):
    assert len(diags) == 1, [d.format() for d in diags]
    return diags[0]


def test_unknown_key_with_did_you_mean(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            lable: SUBESTACAO
            phrases: [SE Xingu]
        """)
    errs = diags_of(p)
    codes = sorted(d.code for d in errs)
    assert codes == ["schema-missing-field", "schema-unknown-key"]
    unk = next(d for d in errs if d.code == "schema-unknown-key")
    assert unk.message == "unknown key `lable`"
    assert (unk.line, unk.column) == (8, 5)
    assert unk.yaml_path == "rules[0].lable"
    assert unk.hint == "did you mean `label`?"
    assert "lable: SUBESTACAO" in unk.format() and "^" in unk.format()


def test_missing_field(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            phrases: [SE Xingu]
        """)
    d = only(diags_of(p))
    assert (d.code, d.message, d.yaml_path) == ("schema-missing-field", "missing required key `label`", "rules[0]")
    assert d.line == 7


def test_wrong_type_and_value(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
            priority: alta
            phrases: [SE Xingu]
          - id: Pt A
            label: SUBESTACAO
            phrases: [SE Xingu]
        """)
    errs = diags_of(p)
    by = {d.yaml_path: d for d in errs}
    assert by["rules[0].priority"].code == "schema-type"
    assert by["rules[0].priority"].line == 9
    assert by["rules[1].id"].code == "schema-value"
    assert "should match pattern" in by["rules[1].id"].message


def test_yaml_syntax_error_is_located(tmp_path):
    p = write(tmp_path, "rules:\n  - id: [unclosed\n")
    d = only(diags_of(p))
    assert d.code == "yaml-syntax" and d.line >= 7 and d.file == str(p)


def test_duplicate_yaml_key(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
            id: SE_XINGU
            phrases: [SE Xingu]
        """)
    errs = diags_of(p)
    d = next(d for d in errs if d.code == "yaml-duplicate-key")
    assert d.line == 9 and "canonical" in d.hint


def test_duplicate_rule_id_and_unknown_label(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
            phrases: [SE Xingu]
          - id: pt.a
            label: SUBESTACAO
            phrases: [SE Jirau]
          - id: pt.b
            label: SUBESTACOES
            phrases: [SE Jirau]
        """)
    errs = sorted(diags_of(p), key=lambda d: d.line)
    assert [d.code for d in errs] == ["rule-duplicate-id", "label-unknown"]
    assert errs[0].message == f"rule id `pt.a` is already used at {p}:7"
    assert errs[1].message == "label `SUBESTACOES` is not declared in `labels:`"
    assert errs[1].hint == "did you mean `SUBESTACAO`?"


def test_matcher_missing_and_multiple(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
          - id: pt.b
            label: SUBESTACAO
            phrases: [SE Xingu]
            regex: 'SE \\w+'
        """)
    errs = sorted(diags_of(p), key=lambda d: d.line)
    assert [d.code for d in errs] == ["rule-matcher-missing", "rule-matcher-multiple"]
    assert errs[0].message == "rule `pt.a` has no matcher"
    assert errs[1].message == "rule `pt.b` has 2 matchers (phrases, regex)"


def test_re2_error_points_at_the_construct(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: DOCUMENTO
            regex: 'IO-(?=ON)'
        """)
    d = only(diags_of(p))
    assert d.code == "regex-invalid"
    assert d.message == "invalid RE2 regex: invalid perl operator: (?="
    line = d.source_line
    assert line[d.column - 1:d.column + 2] == "(?="
    assert "lookaround" in d.hint


def test_token_pattern_errors(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
            pattern: 'SE [TITEL]+'
          - id: pt.b
            label: SUBESTACAO
            pattern: [{"LOWR": "se"}]
        """)
    errs = sorted(diags_of(p), key=lambda d: d.line)
    assert [d.code for d in errs] == ["pattern-invalid", "pattern-invalid"]
    assert errs[0].message == "compact pattern: unknown token class [TITEL]"
    assert errs[0].hint == "did you mean `TITLE`?"
    assert errs[0].source_line[errs[0].column - 1:].startswith("[TITEL]")
    assert "LOWR" in errs[1].message


def test_phrases_file_errors(tmp_path):
    (tmp_path / "bad.csv").write_text("phrase,id,aliases\nSE Xingu,SE_XINGU,a,b\n", encoding="utf-8")
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            label: SUBESTACAO
            phrases_file: bad.csv
          - id: pt.b
            label: SUBESTACAO
            phrases_file: missing.txt
          - id: pt.c
            label: SUBESTACAO
            phrases: []
        """)
    errs = sorted(diags_of(p), key=lambda d: (d.file, d.line))
    codes = {(d.code, Path(d.file).name, d.line) for d in errs}
    assert ("phrases-file-invalid", "bad.csv", 2) in codes
    assert ("phrases-file-invalid", "r.yaml", 12) in codes
    assert ("phrases-empty", "r.yaml", 15) in codes


def test_include_missing_cycle_and_language_mismatch(tmp_path):
    write(tmp_path, "include: [b.yaml, nope.yaml]\nrules: []\n", name="a.yaml")
    write(tmp_path, "include: [a.yaml]\nrules: []\n", name="b.yaml")
    write(tmp_path, "rules: []\n", name="en.yaml", head=HEAD.replace("language: pt", "language: en"))
    write(tmp_path, "include: [en.yaml]\nrules: []\n", name="c.yaml")
    errs = diags_of(tmp_path / "a.yaml", tmp_path / "c.yaml")
    codes = sorted(d.code for d in errs)
    assert codes == ["include-cycle", "include-missing", "language-mismatch"]


def test_policy_unknown_and_resolution_conflict(tmp_path):
    write(tmp_path, "resolution: {policy: priority-longst.v1}\nrules: []\n", name="a.yaml")
    write(tmp_path, "resolution: {policy: longest-priority.v1}\nrules: []\n", name="b.yaml")
    errs = diags_of(tmp_path / "a.yaml", tmp_path / "b.yaml")
    by = {d.code: d for d in errs}
    assert set(by) == {"policy-unknown", "resolution-conflict"}
    assert by["policy-unknown"].hint == "did you mean `priority-longest.v1`?"


def test_not_a_mapping_and_no_files(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("- just\n- a list\n", encoding="utf-8")
    assert only(diags_of(p)).code == "not-a-mapping"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert only(diags_of(empty)).code == "no-rule-files"
    assert only(diags_of(tmp_path / "absent.yaml")).code == "file-not-found"


def test_every_error_reported_at_once_and_raised(tmp_path):
    p = write(tmp_path, """\
        rules:
          - id: pt.a
            lable: SUBESTACAO
          - id: pt.b
            label: DOCUMENTO
            regex: '(a'
          - id: pt.c
            label: NOPE
            phrases: [x]
        """)
    with pytest.raises(RuleFileError) as ei:
        load_rule_files([p])
    assert len(ei.value.diagnostics) == 4
    assert ei.value.code == "rule-file-invalid"


def test_all_codes_are_kebab_case():
    import re

    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c) for c in CODES)


def test_valid_file_loads(tmp_path):
    p = write(tmp_path, """\
        resolution: {policy: longest-priority.v1, keep_nested: true}
        rules:
          - id: pt.a
            label: SUBESTACAO
            priority: 3
            pattern: 'SE [TITLE]+'
        tests:
          - text: "Na SE Xingu."
            expect: [{text: "SE Xingu", label: SUBESTACAO}]
        """)
    packs = load_rule_files([p])
    assert packs["pt"].resolution.policy == "longest-priority.v1"
    assert packs["pt"].resolution.keep_nested is True
    assert [r.id for r in packs["pt"].rules] == ["pt.a"]
    assert len(packs["pt"].tests) == 1
