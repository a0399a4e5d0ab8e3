"""Compiled packs come from the content-hash cache only while every input is unchanged."""
from __future__ import annotations

import textwrap

from entrec.engine import Engine
from entrec.engine.rules.pack_cache import load_rule_files_cached

PACK = textwrap.dedent("""\
    version: 1
    language: pt
    labels: {SUBESTACAO: s}
    rules:
      - id: pt.se
        label: SUBESTACAO
        phrases_file: nomes.csv
      - id: pt.se.padrao
        label: SUBESTACAO
        pattern: 'SE [TITLE]+ /^[IVX]+$/?'
        normalize: slug
    """)


def _write(tmp_path, names: str):
    (tmp_path / "nomes.csv").write_text(names, encoding="utf-8")
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    return tmp_path / "pack.yaml"


def entries(cache):
    return sorted((cache / "packs").glob("*.marshal"))


def test_second_load_is_served_from_cache_with_same_results(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(cache))
    pack = _write(tmp_path, "phrase,id\nSE Xingu,SE_XINGU\n")
    first = Engine.load(rules=[pack], components=("rules",))
    assert len(entries(cache)) == 1
    stamp = entries(cache)[0].stat().st_mtime_ns
    second = Engine.load(rules=[pack], components=("rules",))
    assert entries(cache)[0].stat().st_mtime_ns == stamp  # read, not rewritten
    text = "Abrir a SE Xingu e a SE Campina Grande II."
    assert [e.to_dict() for e in first.extract(text)] == [e.to_dict() for e in second.extract(text)]
    assert [(e.text, e.id) for e in second.extract(text)] == [("SE Xingu", "SE_XINGU"),
                                                              ("SE Campina Grande II", "SE_CAMPINA_GRANDE_II")]


def test_editing_a_phrases_file_invalidates_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path / "cache"))
    pack = _write(tmp_path, "phrase,id\nSE Xingu,SE_XINGU\n")
    load_rule_files_cached([pack])
    (tmp_path / "nomes.csv").write_text("phrase,id\nSE Xingu,SE_XINGU_NOVO\n", encoding="utf-8")
    eng = Engine.load(rules=[pack], components=("rules",))
    assert [e.id for e in eng.extract("na SE Xingu")] == ["SE_XINGU_NOVO"]


def test_corrupt_entry_falls_back_to_a_real_load(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(cache))
    pack = _write(tmp_path, "phrase,id\nSE Xingu,SE_XINGU\n")
    load_rule_files_cached([pack])
    entries(cache)[0].write_bytes(b"\x00garbage")
    packs = load_rule_files_cached([pack])
    assert [r.id for r in packs["pt"].rules] == ["pt.se", "pt.se.padrao"]


def test_cached_pack_carries_the_merged_phrase_tables(tmp_path, monkeypatch):
    # a cached start-up reads the merged phrase tables instead of merging every list again
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path / "cache"))
    pack = _write(tmp_path, "phrase,id\nSE Xingu,SE_XINGU\nSE Xingu Novo,\n")
    fresh = load_rule_files_cached([pack])["pt"]
    cached = load_rule_files_cached([pack])["pt"]
    assert cached.phrase_tables is not None
    assert cached.phrase_tables == fresh.phrase_tables
    merged = cached.merged_phrases()
    hits = [(s, e, r.id, cid) for s, e, r, cid in merged.match("a SE XINGU novo e a se xingu")]
    assert sorted(hits) == [(2, 10, "pt.se", "SE_XINGU"), (2, 15, "pt.se", None),
                            (20, 28, "pt.se", "SE_XINGU")]
