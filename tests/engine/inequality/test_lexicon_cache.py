"""The compiled-lexicon cache gives exactly what a fresh load gives, and never hides an edit."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from entrec.engine.errors import LexiconError
from entrec.engine.inequality.lexicon import load_lexicon
from entrec.engine.inequality.lexicon_cache import load_lexicon_cached
from entrec.engine.paths import grammars_dir

LEXICONS = sorted((grammars_dir() / "lexicon").glob("*.yaml"))


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "lexicon"


@pytest.mark.parametrize("path", LEXICONS, ids=lambda p: p.stem)
def test_cached_equals_fresh_load(path, cache):
    fresh = load_lexicon(path)
    first = load_lexicon_cached(path)   # compiles and writes the entry
    assert len(list(cache.glob("*.marshal"))) == 1
    second = load_lexicon_cached(path)  # read back from the entry
    assert first == fresh and second == fresh
    assert all(isinstance(v, Decimal) for v in second.numbers.cardinals.values())


def test_an_edit_is_compiled_again(tmp_path):
    lex = tmp_path / "pt.yaml"
    shutil.copy(grammars_dir() / "lexicon" / "pt.yaml", lex)
    before = load_lexicon_cached(lex)
    assert ("abaixo", "de") in before.phrases
    lex.write_text(lex.read_text(encoding="utf-8") + "\nbogus_section: [x]\n", encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        load_lexicon_cached(lex)
    assert [d.code for d in err.value.diagnostics] == ["lexicon-unknown-key"]


def test_corrupt_entry_falls_back_to_a_real_load(cache):
    path = LEXICONS[0]
    load_lexicon_cached(path)
    (entry,) = cache.glob("*.marshal")
    entry.write_bytes(b"\x00garbage")
    assert load_lexicon_cached(path) == load_lexicon(path)
