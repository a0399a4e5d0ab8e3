"""Hostile rule files (issue 16): every kind the attack run found is a located diagnostic.

Each test uses the exact input of the report; the assertion is the code, the location and,
where it matters, that nothing outside the pack is read or quoted.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from entrec.engine.errors import LexiconError, RuleFileError
from entrec.engine.rules.loader import CODES, check_rule_files, load_rule_files

HEAD = "version: 1\nlanguage: pt\nlabels:\n  SUBESTACAO: s\n"  # 4 lines
RULE = "rules:\n  - id: pt.a\n    label: SUBESTACAO\n"  # lines 5-7


def errors_of(*paths, **kw):
    _, diags = check_rule_files(list(paths), **kw)
    errs = [d for d in diags if d.severity == "error"]
    for d in errs:  # the invariant: every error is located and printable
        assert d.file and d.line >= 1 and d.column >= 1, d.format()
        d.format().encode("utf-8")
    return errs


def one(tmp_path: Path, body: str, *, name: str = "r.yaml", **kw):
    p = tmp_path / name
    p.write_text(HEAD + body, encoding="utf-8")
    errs = errors_of(p, **kw)
    assert len(errs) == 1, [d.format() for d in errs]
    return errs[0]


# ----------------------------------------------------------------- characters
def test_esc_byte_is_located(tmp_path):
    d = one(tmp_path, "rules: []\n# colour \x1b[31m\n")
    assert (d.code, d.line, d.column) == ("yaml-invalid-character", 6, 10)
    assert d.message == "character U+001B (ESC) is not allowed in a YAML file"
    assert "\x1b" not in d.format()  # never replayed to the terminal


def test_u_fffe_is_located(tmp_path):
    d = one(tmp_path, "rules: []\nx: \ufffe\n")
    assert (d.code, d.line, d.column) == ("yaml-invalid-character", 6, 4)


@pytest.mark.parametrize("body, line, col", [
    ('    regex: "a\\ud800"\n', 8, 12),
    ('    phrases: ["SE \\udc80"]\n', 8, 15),
])
def test_lone_surrogate_in_regex_or_phrase(tmp_path, body, line, col):
    d = one(tmp_path, RULE + body)
    assert (d.code, d.line, d.column) == ("yaml-invalid-character", line, col)
    assert "lone surrogate" in d.message


def test_not_utf8_points_at_the_byte(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_bytes(HEAD.encode() + b"rules: []\n# caf\xe9\n")
    d = only = errors_of(p)
    assert len(only) == 1
    d = only[0]
    assert (d.code, d.line, d.column) == ("file-encoding", 6, 6)


# ----------------------------------------------------------------- structure and bounds
def test_billion_laughs_is_refused_before_expanding(tmp_path):
    bomb = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
            + "".join(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg")))
    d = one(tmp_path, bomb)
    assert d.code == "yaml-alias-expansion"
    assert d.message == "anchor &f expands to more than 200,000 nodes through aliases"
    assert (d.line, d.column) == (10, 4)


def test_self_referencing_alias(tmp_path):
    d = one(tmp_path, "x: &r [*r]\n")
    assert (d.code, d.line, d.column) == ("yaml-recursive-alias", 5, 4)
    assert d.message == "alias *r is used inside the node it names (a loop)"


def test_500_nested_brackets(tmp_path):
    d = one(tmp_path, "x: " + "[" * 500 + "]" * 500 + "\n")
    assert (d.code, d.line, d.column) == ("yaml-too-deep", 5, 67)


def test_5000_digit_integer(tmp_path):
    d = one(tmp_path, RULE + "    phrases: [x]\n    priority: " + "9" * 5000 + "\n")
    assert (d.code, d.line, d.column) == ("yaml-number-too-large", 9, 15)
    assert d.message == "integer with 5000 characters (limit 64)"
    assert len(d.format().splitlines()[1]) < 200  # the source line is cut around the caret


def test_impossible_date_is_a_value_error(tmp_path):
    d = one(tmp_path, "rules: []\nwhen: 2024-13-45\n")
    assert (d.code, d.line, d.column) == ("yaml-bad-value", 6, 7)


def test_file_size_bound(tmp_path):
    from entrec.engine.yamlsource import YamlLimits, load_yaml

    p = tmp_path / "big.yaml"
    p.write_text(HEAD + "rules: []\n" + "# pad\n" * 100, encoding="utf-8")
    with pytest.raises(RuleFileError) as ei:
        load_yaml(p, limits=YamlLimits(max_bytes=200))
    d = ei.value.diagnostics[0]
    assert (d.code, d.line, d.column) == ("file-too-large", 1, 1)


def test_include_depth_bound(tmp_path):
    for i in range(40):
        (tmp_path / f"f{i}.yaml").write_text(HEAD + f"include: [f{i + 1}.yaml]\n", encoding="utf-8")
    (tmp_path / "f40.yaml").write_text(HEAD, encoding="utf-8")
    errs = errors_of(tmp_path / "f0.yaml")
    assert [d.code for d in errs] == ["include-too-deep"]
    assert Path(errs[0].file).name == "f31.yaml" and errs[0].line == 5


# ----------------------------------------------------------------- paths
@pytest.mark.parametrize("body, code, line, col", [
    ("include: [..]\n", "path-outside-pack", 5, 11),
    ("include: [sub]\n", "file-not-regular", 5, 11),
    (RULE + "    phrases_file: sub\n", "file-not-regular", 8, 19),
    (RULE + "    phrases_file: ..\n", "path-outside-pack", 8, 19),
    ('include: ["a\\0b.yaml"]\n', "path-invalid", 5, 11),
    ("include: [" + "a" * 300 + ".yaml]\n", "path-invalid", 5, 11),
    (RULE + "    phrases_file: " + "b" * 300 + ".csv\n", "path-invalid", 8, 19),
    (RULE + "    phrases_file: /dev/zero\n", "path-outside-pack", 8, 19),
    (RULE + "    phrases_file: /etc/shadow\n", "path-outside-pack", 8, 19),
    (RULE + "    phrases_file: ../../../../../etc/hostname\n", "path-outside-pack", 8, 19),
])
def test_bad_references(tmp_path, body, code, line, col):
    pack = tmp_path / "pack"
    (pack / "sub").mkdir(parents=True)
    d = one(pack, body)
    assert (d.code, d.line, d.column) == (code, line, col), d.format()


def test_include_etc_passwd_is_refused_without_reading_it(tmp_path):
    d = one(tmp_path, "include: [/etc/passwd]\n")
    assert d.code == "path-outside-pack"
    assert d.message == "include: absolute path '/etc/passwd' is not allowed"
    assert "root:" not in d.format()


def test_allowed_outside_file_is_never_quoted(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: [line\n", encoding="utf-8")  # broken YAML
    pack = tmp_path / "pack"
    pack.mkdir()
    d = one(pack, f"include: [{outside}]\n", allow_outside_paths=True)
    assert d.code == "yaml-syntax" and Path(d.file).name == "r.yaml" and d.line == 5
    assert "secret" not in d.format()


def test_devices_and_fifos_are_refused_even_when_allowed(tmp_path):
    fifo = tmp_path / "pack" / "words.txt"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    d = one(tmp_path / "pack", RULE + "    phrases_file: words.txt\n")
    assert (d.code, d.message) == ("file-not-regular", "'words.txt' is a FIFO, not a regular file")
    d = one(tmp_path / "pack", RULE + "    phrases_file: /dev/zero\n", allow_outside_paths=True)
    assert (d.code, d.message) == ("file-not-regular", "'/dev/zero' is a device, not a regular file")


def test_link_out_of_the_pack_folder(tmp_path):
    (tmp_path / "secret.yaml").write_text("x: 1\n", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "ok.yaml").write_text(HEAD + "rules: []\n", encoding="utf-8")
    (pack / "evil.yaml").symlink_to(tmp_path / "secret.yaml")
    errs = errors_of(pack)
    assert [d.code for d in errs] == ["path-outside-pack"]


def test_phrases_file_size_bound(tmp_path, monkeypatch):
    import entrec.engine.rules.loader as loader

    monkeypatch.setattr(loader, "MAX_PHRASES_FILE_BYTES", 10)
    (tmp_path / "w.txt").write_text("SE Xingu\nSE Jirau\n", encoding="utf-8")
    d = one(tmp_path, RULE + "    phrases_file: w.txt\n")
    assert (d.code, d.line) == ("file-too-large", 8)
    assert d.message == "phrases file is 18 bytes; the limit is 10"


# ----------------------------------------------------------------- regexes
@pytest.mark.parametrize("pattern, code, line, col", [
    ("[{TEXT: {REGEX: '(a'}}]", "regex-invalid", 8, 31),
    ("[{TEXT: {REGEX: '(x+x+)+y'}}]", "regex-backtracking", 8, 30),
    ("'SE /(x+x+)+y/'", "regex-backtracking", 8, 19),
    ("'SE /a(?=b)/'", "regex-invalid", 8, 20),
    ("[{TEXT: {REGEX: '" + "(" * 1000 + "a" + ")" * 1000 + "'}}]", "regex-invalid", 8, 30),
])
def test_token_regex_predicates(tmp_path, pattern, code, line, col):
    d = one(tmp_path, RULE + f"    pattern: {pattern}\n")
    assert (d.code, d.line, d.column) == (code, line, col), d.format()


def test_token_regex_guard_of_literal_words_is_accepted(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + RULE + "    pattern: [{TEXT: {REGEX: '^(?!(?:As|Os)$)[A-Z][a-z]+$'}}]\n", encoding="utf-8")
    assert errors_of(p) == []


def test_nested_capture_groups_are_stripped(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(HEAD + RULE + "    regex: '" + "(" * 1000 + "a" + ")" * 1000 + "'\n", encoding="utf-8")
    rule = load_rule_files([p])["pt"].rules[0]
    assert rule.regex.groups == 0
    assert [m.span() for m in rule.regex.finditer("a b a")] == [(0, 1), (4, 5)]


def test_strip_captures_keeps_classes_escapes_and_lookaround():
    from entrec.engine.rules.regexcheck import strip_captures

    assert strip_captures(r"(a)(?P<x>b)(?<y>c)(?<=d)[(]\(\Q(\E[[:alpha:]()]") == \
        r"(?:a)(?:b)(?:c)(?<=d)[(]\(\Q(\E[[:alpha:]()]"
    assert strip_captures(r"[]()](x)") == r"[]()](?:x)"


# ----------------------------------------------------------------- tests inside rule files
def test_test_case_language_is_checked(tmp_path):
    d = one(tmp_path, "tests:\n  - {text: x, lang: xx}\n")
    assert (d.code, d.yaml_path, d.line) == ("schema-value", "tests[0].lang", 6)


# ----------------------------------------------------------------- Engine.load and artifacts
def test_engine_load_raises_a_located_rule_file_error(tmp_path):
    from entrec.engine import Engine

    (tmp_path / "r.yaml").write_text(HEAD + "x: &r [*r]\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as ei:
        Engine.load(rules=tmp_path, components=("rules",))
    d = ei.value.diagnostics[0]
    assert (d.code, d.line) == ("yaml-recursive-alias", 5)


def test_checksummed_artifact_with_an_esc_byte(tmp_path):
    from entrec.engine import Engine

    model = tmp_path / "model"
    rule = model / "rules" / "pt" / "r.yaml"
    rule.parent.mkdir(parents=True)
    rule.write_bytes((HEAD + "rules: []\nnote: a\x1bb\n").encode())
    digest = hashlib.sha256(rule.read_bytes()).hexdigest()
    (model / "manifest.json").write_text(json.dumps(
        {"format_version": 1, "name": "m", "version": "v1", "files": {"rules/pt/r.yaml": digest}}))
    with pytest.raises(RuleFileError) as ei:
        Engine.load(model=model, components=("rules",))
    d = ei.value.diagnostics[0]
    assert (d.code, Path(d.file).name, d.line, d.column) == ("yaml-invalid-character", "r.yaml", 6, 8)


def test_engine_load_allow_outside_paths(tmp_path):
    from entrec.engine import Engine

    words = tmp_path / "words.txt"
    words.write_text("SE Xingu\n", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "r.yaml").write_text(HEAD + RULE + f"    phrases_file: {words}\n", encoding="utf-8")
    with pytest.raises(RuleFileError):
        Engine.load(rules=pack, components=("rules",))
    engine = Engine.load(rules=pack, components=("rules",), allow_outside_paths=True)
    assert [e.text for e in engine.extract("Na SE Xingu.")] == ["SE Xingu"]


# ----------------------------------------------------------------- lexicons share the reader
def test_lexicon_bounds_are_located():
    from entrec.engine.inequality.lexicon import parse_lexicon

    with pytest.raises(LexiconError) as ei:
        parse_lexicon("lang: pt\ncomparators: &r {gt: [*r]}\n", "lex.yaml")
    d = ei.value.diagnostics[0]
    assert (d.code, d.line, d.column) == ("yaml-recursive-alias", 2, 14)
    with pytest.raises(LexiconError) as ei:
        parse_lexicon("lang: pt\n\x1b\n", "lex.yaml")
    assert (ei.value.diagnostics[0].code, ei.value.diagnostics[0].line) == ("yaml-invalid-character", 2)


def test_new_codes_are_listed():
    for code in ("yaml-invalid-character", "yaml-too-deep", "yaml-alias-expansion", "yaml-recursive-alias",
                 "yaml-number-too-large", "yaml-bad-value", "file-not-regular", "file-too-large",
                 "file-unreadable", "path-invalid", "path-outside-pack", "regex-backtracking",
                 "rule-compile-failed", "include-too-deep"):
        assert code in CODES
