"""`entrec induce`: proposals measured on the data, thresholds, and a valid rule file."""
import json

import pytest
import yaml

from entrec.cli.main import main
from entrec.training.importers import LabeledDocument, Span
from entrec.training.induce import induce_rules, render_rule_file


def _doc(text, *pairs):
    spans = []
    for sub, label in pairs:
        i = text.index(sub)
        spans.append(Span(i, i + len(sub), label))
    return LabeledDocument(text, tuple(spans))


@pytest.fixture
def docs():
    out = []
    for n, (se, d) in enumerate([("SE Xingu", "12/03/2021"), ("SE Marabá", "01/04/2022"),
                                  ("SE Xingu", "15/05/2020"), ("SE Tucuruí", "20/06/2019"),
                                  ("SE Xingu", "02/07/2021")]):
        out.append(_doc(f"A {se} foi energizada pela CHESF em {d}.", (se, "SUBESTACAO"),
                        ("CHESF", "AGENTE"), (d, "TEMPO")))
    # "chesf" unlabeled once, lower-case: folded precision of CHESF = 5/6
    out.append(_doc("O relatório da chesf foi enviado.",))
    # "Xingu" alone is a river here, never labeled
    out.append(_doc("O rio Xingu subiu.",))
    return out


def test_precision_and_support_are_measured_on_occurrences(docs):
    res = induce_rules(docs, min_support=2, min_precision=0.0, patterns=False, max_rules=0)
    by = {(p.phrase, p.label, p.case_sensitive): p for p in res.kept}
    p = by[("CHESF", "AGENTE", False)]
    assert (p.support, p.occurrences) == (5, 6)
    assert by[("SE Xingu", "SUBESTACAO", False)].support == 3
    assert by[("SE Xingu", "SUBESTACAO", False)].precision == 1.0


def test_thresholds_filter_and_case_sensitive_fallback(docs):
    res = induce_rules(docs, min_support=3, min_precision=0.9, patterns=False)
    kept = {(p.phrase, p.label): p for p in res.kept}
    # folded "chesf" fails 5/6 < 0.9 but the exact spelling "CHESF" is 5/5
    assert kept[("CHESF", "AGENTE")].case_sensitive is True
    assert ("SE Xingu", "SUBESTACAO") in kept
    assert ("SE Marabá", "SUBESTACAO") not in kept  # support 1 < 3
    assert res.below_support > 0


def test_shape_pattern_generalizes_dates(docs):
    res = induce_rules(docs, min_support=3, min_precision=0.9)
    pats = [p for p in res.kept if p.kind == "pattern"]
    assert any(p.label == "TEMPO" and p.pattern == [{"SHAPE": "dd/dd/dddd"}] for p in pats)
    # every date phrase is covered by the pattern: not proposed separately
    assert not any(p.kind == "phrase" and p.label == "TEMPO" for p in res.kept)


def test_max_rules(docs):
    res = induce_rules(docs, min_support=1, min_precision=0.5, max_rules=2)
    assert len(res.kept) == 2 and res.over_max > 0


def test_rendered_file_is_a_valid_rule_file(docs, tmp_path):
    from entrec.engine.rules.loader import check_rule_files

    res = induce_rules(docs, min_support=3, min_precision=0.9)
    text = render_rule_file(res, source="unit test")
    data = yaml.safe_load(text)
    assert data["version"] == 1 and data["language"] == "pt"
    assert set(data["labels"]) == {"AGENTE", "SUBESTACAO", "TEMPO"}
    ids = [r["id"] for r in data["rules"]]
    assert len(ids) == len(set(ids))
    assert all(r["description"].startswith("support ") for r in data["rules"])
    assert "# support" in text  # figures as YAML comments too
    path = tmp_path / "induced.yaml"
    path.write_text(text, encoding="utf-8")
    _, diags = check_rule_files([path])
    assert [d.format() for d in diags if d.severity == "error"] == []


def test_cli_writes_rules_with_passing_tests(tmp_path, capsys):
    from entrec.engine import Engine
    from entrec.engine.dryrun import run_tests

    data = tmp_path / "data.jsonl"
    rows = []
    for se, d in [("SE Xingu", "12/03/2021"), ("SE Xingu", "01/04/2022"), ("SE Xingu", "15/05/2020")]:
        text = f"A {se} foi energizada pela CHESF em {d}."
        rows.append({"text": text, "label": [[text.index(se), text.index(se) + len(se), "SUBESTACAO"],
                                             [text.index(d), text.index(d) + len(d), "TEMPO"]]})
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    out = tmp_path / "rules.yaml"
    assert main(["induce", "--data", str(data), "--out", str(out), "--min-support", "2"]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed
    rules = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert rules["tests"], "expected embedded tests taken from the data"
    engine = Engine.load(rules=[out], components=("rules",))
    report = run_tests(engine)
    assert all(c.passed for c in report.cases)
    # refuses to overwrite, exit 2 with a message
    assert main(["induce", "--data", str(data), "--out", str(out)]) == 2
    assert "out-exists" in capsys.readouterr().err
