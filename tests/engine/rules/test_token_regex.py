"""Token-pattern REGEX predicates run on RE2 with Python's meaning, or fail at load."""
from __future__ import annotations

import re
import textwrap

import pytest

from entrec.engine import Engine
from entrec.engine.errors import RuleFileError
from entrec.engine.rules.token_regex import TokenRegexError, compile_token_regex, relax_counts


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


@pytest.mark.parametrize("pattern,relaxed", [
    (r"^[A-Z][\p{L}_]{1,30}(?:-[A-Z][\p{L}_]{1,30}){1,4}\z", r"^[A-Z][\p{L}_]+(?:-[A-Z][\p{L}_]+)+\z"),
    (r"x{0,3}y{2}z{2,}", r"x*y+z+"),
    (r"[a{2}]\x{41}{3}", r"[a{2}]\x{41}+"),  # counts inside a class or an escape are not counts
    (r"[]{2}]", None), (r"a{,3}", None), (r"[[:alpha:]]{2}", None), (r"abc", None),
])
def test_relaxed_prefilter_replaces_counts_only(pattern, relaxed):
    assert relax_counts(pattern) == relaxed


LAZY_PATTERNS = [r"^[A-ZÀ-Ý][\wÀ-ÿ]{1,30}(?:-[A-ZÀ-Ý][\wÀ-ÿ]{1,30}){1,4}$", r"^\d{2,3}(?:[,.]\d)?$",
                 r"^(?!(?:As|Os)$)[A-Z]{2,4}\d{0,2}$", r"^(?=C)[A-Z]\d{1,2}$", r"^x{3}$"]
LAZY_TEXTS = ["Colinas-Miracema", "Xingu", "A-B", "Tucuruí-Marabá-Vila", "Ab-Cd-Ef-Gh-Ij-Kl", "a" * 40 + "-B",
              "500", "59,5", "1000", "As", "COSR", "CO12", "C1", "C123", "xxx", "xxxx", "", "-"]


@pytest.mark.parametrize("pattern", LAZY_PATTERNS)
def test_lazily_compiled_regex_answers_like_the_eager_one(pattern):
    eager, lazy = compile_token_regex(pattern), compile_token_regex(pattern, lazy=True)
    for text in LAZY_TEXTS:
        assert lazy.search(text) == eager.search(text) == bool(re.search(pattern, text)), text


def test_lazy_regex_compiles_only_when_its_prefilter_passes():
    rx = compile_token_regex(LAZY_PATTERNS[0], lazy=True)
    assert rx.body._rx is None
    assert rx.search("Manter") is False  # no hyphen: the relaxed prefilter already says no
    assert rx.body._rx is None
    rx.warm()
    assert rx.body._rx is not None
