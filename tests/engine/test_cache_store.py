"""cache_store: one atomic, never-failing writer for every derived cache."""
from __future__ import annotations

import os

from entrec.engine.cache_store import cache_dir, store_entry


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ENTREC_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("ENTREC_CACHE_DIR")
    assert cache_dir().parts[-2:] == (".cache", "entrec")


def test_an_entry_is_written_whole_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a" / "b" / "entry.marshal"
    assert store_entry(path, b"one") and path.read_bytes() == b"one"
    assert store_entry(path, b"two") and path.read_bytes() == b"two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["entry.marshal"]


def test_an_unwritable_place_returns_false_instead_of_raising(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert store_entry(blocker / "sub" / "entry.json", b"x") is False
    if os.geteuid() != 0:  # root writes anywhere; the file-as-parent case above holds for all
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        assert store_entry(ro / "entry.json", b"x") is False
