"""LALR tables are read from the JSON cache only for the exact grammar text that built them."""
from __future__ import annotations

from entrec.engine.inequality.parser import InequalityParser
from entrec.engine.paths import grammars_dir


def test_cached_tables_equal_built_ones_and_lark_is_lazy(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path))
    grammar = (grammars_dir() / "inequality.lark").read_text(encoding="utf-8")
    built = InequalityParser(grammar)
    assert len(list((tmp_path / "grammar").glob("*.json"))) == 1
    cached = InequalityParser(grammar)
    assert cached._lark is None  # nothing rebuilt
    assert (cached._start, cached._end, cached._states) == (built._start, built._end, built._states)


def test_edited_grammar_or_corrupt_entry_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path))
    grammar = (grammars_dir() / "inequality.lark").read_text(encoding="utf-8")
    InequalityParser(grammar)
    InequalityParser(grammar + "\n// an edit\n")
    entries = sorted((tmp_path / "grammar").glob("*.json"))
    assert len(entries) == 2
    for e in entries:
        e.write_text("{not json", encoding="utf-8")
    fresh = InequalityParser(grammar)
    assert fresh._lark is not None and fresh._states
