"""Coordinated lists after plural triggers: the `coordinate:` rule option."""
from __future__ import annotations

import textwrap

import pytest

from entrec.engine import Engine
from entrec.engine.errors import EntrecError

RULES = textwrap.dedent("""\
    version: 1
    language: pt
    labels:
      SUBESTACAO: subestação
    rules:
      - id: t.plural
        label: SUBESTACAO
        priority: 8
        regex: '(?i:subesta[çc][õo]es) de [A-Z]\\pL+'
        normalize: slug
        coordinate:
          item: '[A-Z]\\pL+(?: [A-Z]\\pL+)?'
          separators: [",", "e"]
          max_items: 3
    """)


@pytest.fixture()
def eng(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(RULES, encoding="utf-8")
    return Engine.load(rules=[f], components=("rules",))


def _spans(eng, text):
    return [(e.text, e.id) for e in eng.extract(text, "pt")]


def test_items_after_a_plural_trigger_take_its_label(eng):
    got = _spans(eng, "Falha nas subestações de Canoinhas, Mafra Velha e Porto, depois normal.")
    assert got == [("subestações de Canoinhas", "SUBESTACOES_DE_CANOINHAS"),
                   ("Mafra Velha", "MAFRA_VELHA"), ("Porto", "PORTO")]


def test_the_list_stops_at_a_non_item_and_at_max_items(eng):
    assert _spans(eng, "As subestações de Canoinhas e outras falharam.") == [
        ("subestações de Canoinhas", "SUBESTACOES_DE_CANOINHAS")]
    got = _spans(eng, "subestações de Ana, Bia, Cid, Davi e Eva")
    assert [t for t, _ in got] == ["subestações de Ana", "Bia", "Cid", "Davi"]


def test_without_the_option_nothing_is_carried(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text(RULES.split("    coordinate:")[0], encoding="utf-8")
    eng = Engine.load(rules=[f], components=("rules",))
    assert [e.text for e in eng.extract("subestações de Canoinhas e Mafra", "pt")] == [
        "subestações de Canoinhas"]


@pytest.mark.parametrize("bad,needle", [
    ("      item: '[A-Z(\\\\w+'\n", "invalid RE2 regex"),
    ("      item: 'x'\n      separators: [' e ']\n", "separators"),
])
def test_bad_option_is_a_located_schema_error(tmp_path, bad, needle):
    text = RULES.split("      item:")[0] + bad
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(EntrecError) as ei:
        Engine.load(rules=[f], components=("rules",))
    msg = str(ei.value) + " ".join(str(d) for d in getattr(ei.value, "diagnostics", []))
    assert needle in msg and "bad.yaml" in msg
