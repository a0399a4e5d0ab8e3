"""Token-pattern REGEX predicates run on RE2 with Python's meaning, or fail at load."""
from __future__ import annotations

import re
import textwrap

import pytest

from entrec.engine import Engine
from entrec.engine.errors import RuleFileError
from entrec.engine.rules.token_regex import TokenRegexError, compile_token_regex


@pytest.mark.parametrize("pattern,text", [
    (r"^\w+$", "Tucuruí"), (r"^\w+$", "São-Paulo"), (r"^\d{1,2}$", "١٢"), (r"^\d+$", "12a"),
    (r"^\s$", "\u00a0"), (r"^a$", "a\n"), (r"^a$", "a\n\n"), (r"^[]a]+$", "]a"), (r"^\W", "-x"),
    (r"^(?!(?:As|Os)$)[A-ZÀ-Ý][a-zà-ÿ][\w-]*$", "As"), (r"^(?!(?:As|Os)$)[A-ZÀ-Ý][a-zà-ÿ][\w-]*$", "Asa"),
    (r"^(?=T)\w+í$", "Tucuruí"), (r"(?P<n>C)(\d)", "LC1"), (r"(?i)^xingu$", "XINGU"), (r"^x{,2}$", "xx"),
])
def test_same_answer_as_python_re(pattern, text):
    assert compile_token_regex(pattern).search(text) == bool(re.search(pattern, text))


def test_catastrophic_pattern_runs_in_linear_time():
    # Python's backtracking `re` would not return on this input in any reasonable time
    assert compile_token_regex(r"(x+x+)+y").search("x" * 100_000) is False


@pytest.mark.parametrize("pattern", [r"(?<=a)b", r"a(?!b)", r"(a)\1", r"\bword\b", r"x^(?!a)|b"])
def test_constructs_rre2_cannot_run_are_rejected(pattern):
    with pytest.raises(TokenRegexError):
        compile_token_regex(pattern)


def test_rule_file_with_lookbehind_token_regex_is_pattern_invalid(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent("""\
        version: 1
        language: pt
        labels: {X: x}
        rules:
          - id: pt.x
            label: X
            pattern: [{TEXT: {REGEX: '(?<=a)b'}}]
        """), encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        Engine.load(rules=[p], components=("rules",))
    d = exc.value.diagnostics[0]
    assert d.code == "regex-invalid" and d.line == 7


def test_token_regex_rre2_accepts_but_python_meaning_cannot_keep_is_pattern_invalid(tmp_path):
    # RE2 compiles \b, but as an ASCII word boundary: Python's is Unicode, so the pattern is
    # refused rather than silently matching differently on "Tucuruí"
    p = tmp_path / "r.yaml"
    p.write_text(textwrap.dedent("""\
        version: 1
        language: pt
        labels: {X: x}
        rules:
          - id: pt.x
            label: X
            pattern: 'SE /\\bX/'
        """), encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        Engine.load(rules=[p], components=("rules",))
    d = exc.value.diagnostics[0]
    assert d.code == "pattern-invalid" and "word boundary" in d.message and d.line == 7
