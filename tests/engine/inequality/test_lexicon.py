"""Bad lexicon files give located errors (file:line:col, YAML path, stable codes)."""
from __future__ import annotations

import shutil

import pytest

from entrec.engine.errors import LexiconError
from entrec.engine.inequality import InequalityExtractor, parse_lexicon
from entrec.engine.paths import grammars_dir

MINIMAL = """lang: pt
comparators:
  gt: ["maior que"]
"""


def _codes(exc):
    return [d.code for d in exc.value.diagnostics]


def test_minimal_lexicon_loads():
    lex = parse_lexicon(MINIMAL, "x.yaml")
    assert lex.phrases[("maior", "que")] == {"CMP": "gt"}


def test_unknown_operator_is_located_with_hint():
    text = MINIMAL + "  gtt: [acima de]\n"
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text, "pt.yaml")
    d, = exc.value.diagnostics
    assert d.code == "lexicon-unknown-op"
    assert (d.file, d.line, d.column) == ("pt.yaml", 4, 3)
    assert "gt" in (d.hint or "")
    assert "pt.yaml:4:3" in str(exc.value)


def test_conflicting_categories_are_reported():
    text = MINIMAL + "or: [maior que]\n"
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text, "pt.yaml")
    d, = exc.value.diagnostics
    assert d.code == "lexicon-conflict" and d.line == 4 and d.yaml_path == "or[0]"


def test_same_phrase_two_ops_is_a_conflict():
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(MINIMAL + "  lt: [maior que]\n", "f.yaml")
    assert _codes(exc) == ["lexicon-conflict"]


def test_unknown_macro_and_bad_group():
    text = MINIMAL + "  ge: ['acima {DEE}', 'igual (a|ao']\nmacros:\n  DE: [de, do]\n"
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text, "f.yaml")
    diags = exc.value.diagnostics
    assert [d.code for d in diags] == ["lexicon-bad-phrase", "lexicon-bad-phrase"]
    assert "unknown macro" in diags[0].message and diags[0].hint == "did you mean `DE`?"
    assert "unbalanced" in diags[1].message


def test_macros_and_groups_expand():
    text = MINIMAL + "  ge: ['(igual|iguais) ou acima {DE}']\nmacros:\n  DE: [de, do]\n"
    lex = parse_lexicon(text, "f.yaml")
    for words in [("igual", "ou", "acima", "de"), ("iguais", "ou", "acima", "do")]:
        assert lex.phrases[words] == {"CMP": "ge"}


def test_many_errors_reported_together():
    text = "lang: pt\ncomparatorz: {}\nnumbers:\n  cardinals: {dez: dez}\nunits:\n  kV: 5\n"
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text, "f.yaml")
    assert sorted(_codes(exc)) == sorted(["lexicon-unknown-key", "lexicon-missing-key",
                                          "lexicon-bad-number", "lexicon-bad-type"])


def test_a_unit_factor_may_be_a_ratio():
    text = MINIMAL + "units:\n  h: [hora]\n  min:\n    aliases: [minuto]\n    subunit_of: h\n    factor: 1/60\n"
    lex = parse_lexicon(text, "f.yaml")
    assert lex.units["min"].factor * 60 == pytest.approx(1)
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text.replace("1/60", "1/0"), "f.yaml")
    assert _codes(exc) == ["lexicon-bad-number"]


def test_yaml_syntax_error_is_located():
    with pytest.raises(LexiconError) as exc:
        parse_lexicon("lang: pt\ncomparators:\n  gt: [maior que\n", "f.yaml")
    d = exc.value.diagnostics[0]
    assert d.code == "yaml-syntax" and d.line >= 3


def test_load_reports_bad_packaged_copy(tmp_path):
    gdir = tmp_path / "grammars"
    shutil.copytree(grammars_dir(), gdir)
    p = gdir / "lexicon" / "en.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  gt:\n", "  gtx:\n", 1), encoding="utf-8")
    with pytest.raises(LexiconError) as exc:
        InequalityExtractor.load(gdir)
    assert exc.value.code == "lexicon-invalid"
    d = exc.value.diagnostics[0]
    assert d.code == "lexicon-unknown-op" and d.file.endswith("en.yaml") and d.line > 1


def test_lexicon_addition_changes_behaviour_without_grammar_edit(tmp_path):
    gdir = tmp_path / "grammars"
    shutil.copytree(grammars_dir(), gdir)
    p = gdir / "lexicon" / "pt.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("  gt:\n", "  gt:\n    - \"estourar\"\n", 1),
                 encoding="utf-8")
    before = InequalityExtractor.load().extract("pode estourar 500 MW", "pt")
    after = InequalityExtractor.load(gdir).extract("pode estourar 500 MW", "pt")
    assert before == [] and [c.value["op"] for c in after] == ["gt"]


def test_grammar_conflict_fails_at_load(tmp_path):
    gdir = tmp_path / "grammars"
    shutil.copytree(grammars_dir(), gdir)
    g = gdir / "inequality.lark"
    g.write_text(g.read_text(encoding="utf-8").replace(
        "prefix: neg? cmp value\n", "prefix: neg? cmp value\n      | cmp quantity\n"),
        encoding="utf-8")
    from entrec.engine.errors import EntrecError
    with pytest.raises(EntrecError) as exc:
        InequalityExtractor.load(gdir)
    assert exc.value.code == "grammar-invalid"
