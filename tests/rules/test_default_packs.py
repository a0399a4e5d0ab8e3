"""The embedded default rule packs (rules/pt, rules/en) on held-out sentences.

The installation, agent and document names below are NOT in any phrase list (a test checks
that), so these sentences prove the patterns generalize instead of echoing the gazetteers.
Rules only (components=("rules",)): the inequality grammar has its own tests; one test at
the end runs the full engine to check the grammar does not clobber rule entities.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from entrec.engine import Engine
from entrec.engine.engine import default_rule_paths
from entrec.engine.paths import rules_dir, samples_dir
from entrec.engine.rules.loader import check_rule_files
from entrec.engine.rules.phrases import read_phrases_file
from entrec.engine.textfold import fold

PT = rules_dir() / "pt"


@pytest.fixture(scope="module")
def eng() -> Engine:
    return Engine.load(components=("rules",))


def _pairs(entities) -> set[tuple[str, str]]:
    return {(e.text, e.label) for e in entities}


# (sentence, [(span, label), ...]) -- every name here is unseen by the phrase lists
HELD_OUT_PT = [
    ("Manter a tensão na SE Lagoa Dourada II entre 525 kV e 550 kV.",
     [("SE Lagoa Dourada II", "SUBESTACAO")]),
    ("A SE Morro Alto do Sul 2 deve ser energizada somente após autorização do COSR-S, por telefone.",
     [("SE Morro Alto do Sul 2", "SUBESTACAO"), ("COSR-S", "CENTRO_OPERACAO")]),
    ("Abrir o disjuntor 52-27 da SE Porto das Garças e informar o CNOS.",
     [("disjuntor 52-27", "EQUIPAMENTO"), ("SE Porto das Garças", "SUBESTACAO"),
      ("CNOS", "CENTRO_OPERACAO")]),
    ("A SE Vale Verde da Eletronorte opera assistida.",
     [("SE Vale Verde", "SUBESTACAO"), ("Eletronorte", "AGENTE")]),
    ("Regular a tensão da SE Campo Alegre 500 kV pelo tape do autotransformador AT-07.",
     [("SE Campo Alegre", "SUBESTACAO"), ("autotransformador AT-07", "EQUIPAMENTO")]),
    ("A UHE Cachoeira do Tigre III deve reduzir a geração em 200 MW.",
     [("UHE Cachoeira do Tigre III", "USINA")]),
    ("A UTE Porto Novo II e a EOL Ventos do Seridó sincronizam às 18h.",
     [("UTE Porto Novo II", "USINA"), ("EOL Ventos do Seridó", "USINA")]),
    ("A UFV Sertão Dourado e a PCH Salto Bonito devem ficar desligadas.",
     [("UFV Sertão Dourado", "USINA"), ("PCH Salto Bonito", "USINA")]),
    ("O fluxo na LT 345 kV Serra Verde / Campo Limpo C3 deve ser inferior a 900 MW.",
     [("LT 345 kV Serra Verde / Campo Limpo C3", "LINHA_TRANSMISSAO")]),
    ("Desligar a LT 500 kV Boa Vista do Norte – Rio Claro II circuito 1 para manutenção.",
     [("LT 500 kV Boa Vista do Norte – Rio Claro II circuito 1", "LINHA_TRANSMISSAO")]),
    ("Religar a LT 230 kV Pedra Furada - Açude Velho C2 após a inspeção.",
     [("LT 230 kV Pedra Furada - Açude Velho C2", "LINHA_TRANSMISSAO")]),
    ("A LT 500 kV Serra Alta / Campo Verde da Eletronorte está disponível.",
     [("LT 500 kV Serra Alta / Campo Verde", "LINHA_TRANSMISSAO"), ("Eletronorte", "AGENTE")]),
    ("Transferir a carga do autotransformador AT-09 para o transformador TR-12 e fechar a seccionadora 89-31.",
     [("autotransformador AT-09", "EQUIPAMENTO"), ("transformador TR-12", "EQUIPAMENTO"),
      ("seccionadora 89-31", "EQUIPAMENTO")]),
    ("Ligar o reator RE-11 e o banco de capacitores BC-05 da SE Ponte Nova do Sul.",
     [("reator RE-11", "EQUIPAMENTO"), ("banco de capacitores BC-05", "EQUIPAMENTO"),
      ("SE Ponte Nova do Sul", "SUBESTACAO")]),
    ("Com o AT-05 indisponível, limitar o carregamento do TR-8.",
     [("AT-05", "EQUIPAMENTO"), ("TR-8", "EQUIPAMENTO")]),
    ("O agente VENTOSUL e a transmissora Rio Pardo Transmissão devem confirmar a manobra.",
     [("VENTOSUL", "AGENTE"), ("Rio Pardo Transmissão", "AGENTE")]),
    ("A Cerrado Azul Energia solicitou ao COG da Cemig a liberação do vão.",
     [("Cerrado Azul Energia", "AGENTE"), ("COG", "CENTRO_OPERACAO"), ("Cemig", "AGENTE")]),
    ("Seguir a IO-OC.S.4RS, o Submódulo 23.3 e a MOP/ONS 0456-N/2025.",
     [("IO-OC.S.4RS", "DOCUMENTO"), ("Submódulo 23.3", "DOCUMENTO"),
      ("MOP/ONS 0456-N/2025", "DOCUMENTO")]),
    ("O Centro de Operação da Transmissão da Taesa informa o COSR-NCO sobre a LT 500 kV Ribeirão Fundo / Lago Azul C1.",
     [("Centro de Operação da Transmissão", "CENTRO_OPERACAO"), ("Taesa", "AGENTE"),
      ("COSR-NCO", "CENTRO_OPERACAO"),
      ("LT 500 kV Ribeirão Fundo / Lago Azul C1", "LINHA_TRANSMISSAO")]),
    ("Isolar a SE Santa Rosa do Oeste e a Usina Hidrelétrica de Queda Alta.",
     [("SE Santa Rosa do Oeste", "SUBESTACAO"), ("Usina Hidrelétrica de Queda Alta", "USINA")]),
]

# spans that must NOT come out (text, label)
REJECT_PT = [
    ("A SE Vale Verde da Eletronorte opera assistida.", ("SE Vale Verde da Eletronorte", "SUBESTACAO")),
    ("Regular a tensão da SE Campo Alegre 500 kV.", ("SE Campo Alegre 500", "SUBESTACAO")),
    ("A LT 500 kV Serra Alta / Campo Verde da Eletronorte está disponível.",
     ("LT 500 kV Serra Alta / Campo Verde da Eletronorte", "LINHA_TRANSMISSAO")),
    ("Desligar o autotransformador AT-07 500/230 kV.", ("autotransformador AT-07 500", "EQUIPAMENTO")),
    ("Manter a SE Pedra Lisa da Rede Básica energizada.", ("SE Pedra Lisa da Rede Básica", "SUBESTACAO")),
]

# sentences where no entity of any pack label may appear
NOTHING_PT = [
    "Se houver necessidade, o operador deve aguardar de 10-15 minutos antes de religar.",
    "Vale ressaltar que a luz light do painel indica a linha equatorial do gráfico.",
    "Substituir o cartão no módulo 3 do painel de controle.",
]

HELD_OUT_EN = [
    ("Keep the voltage at SE Pedra Azul between 525 kV and 550 kV.",
     [("SE Pedra Azul", "SUBESTACAO")]),
    ("INCIDENT REPORT: TRIP OF 771 KAMBALDA SOUTHERN CROSS 220 KV LINE AT WEST KALGOORLIE POWER STATION",
     [("771 KAMBALDA SOUTHERN CROSS 220 KV LINE", "LINHA_TRANSMISSAO"),
      ("WEST KALGOORLIE POWER STATION", "USINA")]),
    ("The 345 kV Rio Claro–Serra Alta line 2 tripped; close breaker 52-31 and check EOP-011-2.",
     [("345 kV Rio Claro–Serra Alta line 2", "LINHA_TRANSMISSAO"), ("breaker 52-31", "EQUIPAMENTO"),
      ("EOP-011-2", "DOCUMENTO")]),
    ("The operator SOUTHWIND asked the Campo Verde wind farm and the Cuiabá control center to curtail.",
     [("SOUTHWIND", "AGENTE"), ("Campo Verde wind farm", "USINA"),
      ("Cuiabá control center", "CENTRO_OPERACAO")]),
]


def _phrase_list_names() -> set[str]:
    names: set[str] = set()
    for csv_file in PT.glob("*.csv"):
        for row in read_phrases_file(csv_file):
            names.add(fold(row.text))
    return names


# ---------------------------------------------------------------------- honesty of the fixture
def test_held_out_names_are_not_in_any_phrase_list():
    known = _phrase_list_names()
    assert len(known) > 300, "phrase lists unexpectedly small"
    checked = 0
    for _, spans in HELD_OUT_PT:
        for text, label in spans:
            if label in ("SUBESTACAO", "USINA", "LINHA_TRANSMISSAO"):
                assert fold(text) not in known, f"{text!r} is in a phrase list: not a held-out name"
                checked += 1
    assert checked >= 15


# ---------------------------------------------------------------------- generalization
@pytest.mark.parametrize("text,spans", HELD_OUT_PT, ids=[s[:40] for s, _ in HELD_OUT_PT])
def test_pt_held_out_sentences(eng, text, spans):
    got = eng.extract(text, "pt")
    missing = [s for s in spans if s not in _pairs(got)]
    assert not missing, f"missing {missing}; got {[(e.text, e.label, e.rule_id) for e in got]}"
    for e in got:
        assert text[e.start:e.end] == e.text


@pytest.mark.parametrize("text,bad", REJECT_PT, ids=[b[0] for _, b in REJECT_PT])
def test_pt_rejects(eng, text, bad):
    assert bad not in _pairs(eng.extract(text, "pt"))


@pytest.mark.parametrize("text", NOTHING_PT)
def test_pt_no_false_positives(eng, text):
    assert eng.extract(text, "pt") == []


@pytest.mark.parametrize("text,spans", HELD_OUT_EN, ids=[s[:40] for s, _ in HELD_OUT_EN])
def test_en_held_out_sentences(eng, text, spans):
    got = _pairs(eng.extract(text, "en"))
    assert not [s for s in spans if s not in got], got


# ---------------------------------------------------------------------- ids
def test_single_capital_letter_before_final_period(eng):
    got = _pairs(eng.extract("Informar o COSR-S.", "pt")) | _pairs(eng.extract("Parar a UTE Porto Novo I.", "pt"))
    assert ("COSR-S", "CENTRO_OPERACAO") in got
    assert ("UTE Porto Novo I", "USINA") in got


def test_known_names_link_canonical_ids_case_and_accent_insensitively(eng):
    text = "Na SE TUCURUI, na Subestação Xingu e na UHE Belo Monte; a ELETRONORTE informa."
    ids = {(e.text, e.id) for e in eng.extract(text, "pt")}
    assert ("SE TUCURUI", "SE_TUCURUI") in ids
    assert ("Subestação Xingu", "SE_XINGU") in ids
    assert ("UHE Belo Monte", "UHE_BELO_MONTE") in ids
    assert ("ELETRONORTE", "ELETRONORTE") in ids


def test_unseen_names_get_slug_ids(eng):
    ents = {e.text: e for e in eng.extract("Energizar a SE São Bento do Araguaia III pela UHE Barra Funda.", "pt")}
    assert ents["SE São Bento do Araguaia III"].id == "SE_SAO_BENTO_DO_ARAGUAIA_III"
    assert ents["SE São Bento do Araguaia III"].rule_id == "pt.subestacao.nome"
    assert ents["UHE Barra Funda"].id == "UHE_BARRA_FUNDA"


def test_longer_unseen_name_beats_known_prefix(eng):
    # "SE Teresina" is listed; "SE Teresina 4" is not: the pattern's longer span must win
    ents = eng.extract("Transferir a carga para a SE Teresina 4.", "pt")
    assert _pairs(ents) == {("SE Teresina 4", "SUBESTACAO")}


# ---------------------------------------------------------------------- the packs themselves
def test_default_packs_validate_without_errors_or_warnings():
    packs, diags = check_rule_files(default_rule_paths())
    assert set(packs) == {"pt", "en"}
    assert [d.format() for d in diags] == []
    labels = set(packs["pt"].labels)
    assert labels == {"SUBESTACAO", "USINA", "LINHA_TRANSMISSAO", "EQUIPAMENTO", "AGENTE",
                      "DOCUMENTO", "CENTRO_OPERACAO"}
    assert packs["pt"].resolution.policy == "priority-longest.v1"


def test_every_pt_file_loads_and_passes_its_tests_on_its_own():
    from entrec.engine.dryrun import run_tests

    for f in sorted(PT.glob("*.yaml")):
        packs, diags = check_rule_files([f])
        assert [d.format() for d in diags if d.severity == "error"] == [], f
        assert "pt" in packs
        if packs["pt"].tests:
            report = run_tests(Engine.load(rules=[f], components=("rules",)))
            assert report.failed == 0, (f, [c.text for c in report.cases if not c.passed])


def test_embedded_tests_pass_rules_only(eng):
    from entrec.engine.dryrun import run_tests

    report = run_tests(eng)
    failures = [(c.file, c.line, [f.to_dict() for f in c.findings]) for c in report.cases if not c.passed]
    assert len(report.cases) >= 25
    assert failures == []


# ---------------------------------------------------------------------- bundled samples
def test_sample_texts_shape_and_coverage(eng):
    pt_lines = [ln for ln in (samples_dir() / "procedimentos_pt.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    en_lines = [ln for ln in (samples_dir() / "procedures_en.txt").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert 30 <= len(pt_lines) <= 60
    assert len(en_lines) >= 5
    seen_labels: set[str] = set()
    silent = []
    for ln in pt_lines:
        ents = eng.extract(ln, "pt")
        seen_labels |= {e.label for e in ents}
        if not ents:
            silent.append(ln)
    assert seen_labels == {"SUBESTACAO", "USINA", "LINHA_TRANSMISSAO", "EQUIPAMENTO", "AGENTE",
                           "DOCUMENTO", "CENTRO_OPERACAO"}
    # lines that carry only a numeric condition are the grammar's job
    assert len(silent) <= 2, silent
    # an English "Xingu substation" is not an entity (real-text conventions); such a line
    # may carry only a numeric condition, which is the grammar's job
    silent_en = [ln for ln in en_lines if not eng.extract(ln, "en")]
    assert len(silent_en) <= 1, silent_en


def test_full_engine_grammar_does_not_clobber_rule_entities():
    full = Engine.load()  # rules + grammar: a missing grammar is a failure, not a skip
    text = "Manter a tensão no barramento de 500 kV da SE Lagoa Dourada II entre 525 kV e 550 kV."
    got = _pairs(full.extract(text, "pt"))
    assert ("SE Lagoa Dourada II", "SUBESTACAO") in got
    assert ("entre 525 kV e 550 kV", "INEQUALITY") in got
    # "500 kV" alone is a value, not a condition: nothing may claim it
    assert not any(t.startswith("500") or t.endswith("500 kV") for t, _ in got), got
    lt = "O fluxo na LT 345 kV Serra Verde / Campo Limpo C3 deve ser menor ou igual a 900 MW."
    got = _pairs(full.extract(lt, "pt"))
    assert ("LT 345 kV Serra Verde / Campo Limpo C3", "LINHA_TRANSMISSAO") in got
    assert ("menor ou igual a 900 MW", "INEQUALITY") in got
