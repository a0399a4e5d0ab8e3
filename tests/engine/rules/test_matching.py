"""Phrase, pattern and regex matching behaviour of the rule layer."""
from __future__ import annotations

import textwrap
import time

import pytest

from entrec.engine import Engine

PACK = """\
version: 1
language: pt
labels:
  SUBESTACAO: s
  USINA: u
  DOCUMENTO: d
  GRANDEZA: g
rules:
{rules}
"""


def engine_for(tmp_path, rules: str, **kw) -> Engine:
    p = tmp_path / "r.yaml"
    p.write_text(PACK.format(rules=textwrap.indent(textwrap.dedent(rules), "  ")), encoding="utf-8")
    return Engine.load(rules=[p], components=("rules",), **kw)


def spans(engine, text):
    return [(e.text, e.label, e.id) for e in engine.extract(text)]


@pytest.mark.parametrize("text", ["SE Tucuruí", "SE TUCURUÍ", "se tucurui", "Se Tucurui", "SE  TUCURUI"])
def test_phrases_case_and_accent_insensitive(tmp_path, text):
    eng = engine_for(tmp_path, """\
        - id: pt.se
          label: SUBESTACAO
          phrases: [{text: "SE Tucuruí", id: SE_TUCURUI, aliases: ["Subestação de Tucuruí"]}]
        """)
    assert spans(eng, f"Abrir a {text}, depois.") == [(text, "SUBESTACAO", "SE_TUCURUI")]


def test_phrase_alias_links_to_canonical_id_and_word_boundaries(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.se
          label: SUBESTACAO
          phrases: [{text: "SE Tucuruí", id: SE_TUCURUI, aliases: ["Subestação de Tucuruí"]}]
        """)
    assert spans(eng, "na subestacao de tucurui") == [("subestacao de tucurui", "SUBESTACAO", "SE_TUCURUI")]
    assert spans(eng, "SE Tucuruízinho") == []


def test_case_and_accent_sensitive_options(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.se
          label: SUBESTACAO
          case_sensitive: true
          accent_sensitive: true
          phrases: ["SE Tucuruí"]
        """)
    assert spans(eng, "SE Tucuruí") == [("SE Tucuruí", "SUBESTACAO", None)]
    assert spans(eng, "SE TUCURUÍ") == []
    assert spans(eng, "SE Tucurui") == []


def test_phrases_file_csv_with_ids_and_aliases(tmp_path):
    (tmp_path / "usinas.csv").write_text(
        "phrase,id,aliases\n# comentário\nUHE Belo Monte,UHE_BELO_MONTE,Belo Monte|Usina de Belo Monte\nUHE Jirau,,\n",
        encoding="utf-8")
    eng = engine_for(tmp_path, """\
        - id: pt.usina
          label: USINA
          phrases_file: usinas.csv
        """)
    assert spans(eng, "A usina de Belo Monte e a UHE Jirau.") == [
        ("usina de Belo Monte", "USINA", "UHE_BELO_MONTE"), ("UHE Jirau", "USINA", None)]


def test_compact_pattern_generalizes_and_normalize_slug(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.se.padrao
          label: SUBESTACAO
          normalize: slug
          pattern:
            - 'SE [TITLE]+ [ROMAN]?'
            - 'SE [TITLE]+ (de|da|do|dos|das) [TITLE]+ [ROMAN]?'
        """)
    got = spans(eng, "Energizar a SE São João do Piauí e a SE Recife II.")
    assert got == [("SE São João do Piauí", "SUBESTACAO", "SE_SAO_JOAO_DO_PIAUI"),
                   ("SE Recife II", "SUBESTACAO", "SE_RECIFE_II")]


def test_accent_insensitive_compact_literals(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.g
          label: GRANDEZA
          pattern: 'tensão (nominal|máxima)'
        """)
    assert spans(eng, "A TENSAO MAXIMA da barra") == [("TENSAO MAXIMA", "GRANDEZA", None)]


def test_regex_maps_to_tokens_and_keeps_offsets_exact(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.doc
          label: DOCUMENTO
          regex: 'IO-[A-Z]{2}\\.[A-Z0-9]+\\.[A-Z0-9]+'
        - id: pt.grandeza
          label: GRANDEZA
          regex: '[0-9]+ ?MW'
        """)
    text = "Ver IO-ON.NE.2NE; P≤275MW e (500MW)."
    got = eng.extract(text)
    assert [(e.text, e.label) for e in got] == [("IO-ON.NE.2NE", "DOCUMENTO"), ("275MW", "GRANDEZA"),
                                                 ("500MW", "GRANDEZA")]
    for e in got:
        assert text[e.start:e.end] == e.text


def test_regex_mid_token_match_expands_to_token(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.doc
          label: DOCUMENTO
          regex: 'NE\\.2'
        """)
    assert spans(eng, "IO-ON.NE.2NE") == [("IO-ON.NE.2", "DOCUMENTO", None)]


def test_re2_catastrophic_pattern_is_linear(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.evil
          label: DOCUMENTO
          regex: '(a+)+$'
        """)
    # 1 MB that makes a backtracking engine explode: long runs of "a" never followed by the end
    text = ("a" * 5000 + "!") * 200
    rule = eng.sources("pt")[0].rules[0]
    t0 = time.perf_counter()
    assert list(rule.regex.finditer(text)) == []
    assert time.perf_counter() - t0 < 1.0
    # and through the whole rule source on a tokenized 1 MB document
    doc = eng.make_doc(("a" * 40 + " ") * 25_000, "pt")
    t0 = time.perf_counter()
    assert eng.sources("pt")[0].raw_matches(doc) == []
    assert time.perf_counter() - t0 < 1.0


def test_context_require_and_forbid(tmp_path):
    eng = engine_for(tmp_path, """\
        - id: pt.g
          label: GRANDEZA
          regex: '[0-9]+ kV'
          context: {window: 3, require_before: ["tensão"], forbid_after: ["LT"]}
        """)
    assert spans(eng, "a tensão de 500 kV") == [("500 kV", "GRANDEZA", None)]
    assert spans(eng, "a barra de 500 kV") == []
    assert spans(eng, "tensão de 500 kV da LT") == []


def test_large_gazetteer_scales(tmp_path):
    names = "\n".join(f"SE Nome Sintetico {i}" for i in range(100_000))
    (tmp_path / "g.txt").write_text(names + "\nSE Xingu\n", encoding="utf-8")
    eng = engine_for(tmp_path, """\
        - id: pt.se
          label: SUBESTACAO
          phrases_file: g.txt
        """)
    assert spans(eng, "na SE Nome Sintetico 99999 e SE Xingu") == [
        ("SE Nome Sintetico 99999", "SUBESTACAO", None), ("SE Xingu", "SUBESTACAO", None)]
