"""Phrase lists generated from the open-data gazetteers (training/gazetteers.py)."""
from __future__ import annotations

from pathlib import Path

from entrec.engine.rules.phrases import read_phrases_file
from entrec.training.gazetteers import main, write_lists


def _csv(path: Path, header: str, rows: list[str]) -> None:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_lists_carry_written_variants_and_leave_out_places(tmp_path):
    g = tmp_path / "g"
    g.mkdir()
    _csv(g / "agentes.csv", "name,cnpj,role,source", [
        "AFLUENTE GERAÇÃO DE ENERGIA ELÉTRICA S.A,1,x,ANEEL agentes de geração 2023-05-01",
        "Light S.A.,2,x,ANEEL agentes de geração 2023-05-01",
        "3M do Brasil Ltda,3,x,ANEEL agentes de geração 2023-05-01",
        "CHESF,,owner,ONS subestacao + linha-transmissao (short names)",
        "FORMOSA,,owner,ONS subestacao + linha-transmissao (short names)",
        "XINGU,,owner,ONS subestacao + linha-transmissao (short names)",
        "IE MADEIRA,,owner,ONS subestacao + linha-transmissao (short names)",
        "UHE SAO MANOEL,,owner,ONS subestacao + linha-transmissao (short names)",
    ])
    _csv(g / "subestacoes.csv", "name,ons_id,voltages_kv,state,subsystem,agent", ["XINGU,1,500,PA,N,X"])
    _csv(g / "usinas.csv", "name,ceg,type,state,phase,fuel,capacity_kw,source", [
        "Aimorés,c1,UHE,MG,Operação,,330000,s", "E,c2,UFV,MG,Operação,,6000,s",
        "Sol Pequeno,c3,UFV,MG,Operação,,75,s", "Ventos Altos 12,c4,EOL,BA,Operação,,30000,s"])
    out = tmp_path / "out"
    out.mkdir()
    counts = write_lists(g, out)
    assert counts == {"agentes_razao_social.csv": 3, "agentes_ons.csv": 2, "usinas_aneel.csv": 2}
    legal = {r.text for r in read_phrases_file(out / "agentes_razao_social.csv")}
    assert {"AFLUENTE GERAÇÃO DE ENERGIA ELÉTRICA S.A.", "AFLUENTE GERAÇÃO DE ENERGIA ELÉTRICA S/A",
            "AFLUENTE GERAÇÃO DE ENERGIA ELÉTRICA", "3M do Brasil Ltda.", "3M do Brasil"} <= legal
    assert "Light" not in legal and "Light S.A." in legal  # one word without suffix is too ambiguous
    ons = {r.text for r in read_phrases_file(out / "agentes_ons.csv")}
    assert ons == {"CHESF", "IE MADEIRA", "IE Madeira"}  # places and plants left out
    plants = {r.text for r in read_phrases_file(out / "usinas_aneel.csv")}
    assert plants == {"UHE Aimorés", "EOL Ventos Altos 12"}


def test_main_usage(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


def test_committed_lists_are_what_the_generator_builds(tmp_path):
    import pytest

    from entrec.engine.paths import rules_dir

    gaz = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "gazetteers"
    if not (gaz / "agentes.csv").is_file():
        pytest.skip(f"shared gazetteers not found at {gaz} (needs ../shared)")
    write_lists(gaz, tmp_path)
    for name in ("agentes_razao_social.csv", "agentes_ons.csv", "usinas_aneel.csv"):
        assert (tmp_path / name).read_bytes() == (rules_dir() / "pt" / name).read_bytes(), \
            f"rules/pt/{name} is stale: rerun python -m entrec.training.gazetteers"
