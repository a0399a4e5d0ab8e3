"""Where entrec keeps its derived caches, and how an entry is written.

Why one place: the rule packs, phrase tables, grammar tables and lexicons are all cached by
content hash under the same directory, and every writer must be atomic (a reader in another
process — gunicorn workers, Spark executors — sees either no entry or a whole one) and must
never fail the caller (a read-only home only means no cache).
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "store_entry"]


def cache_dir() -> Path:
    """`ENTREC_CACHE_DIR`, else `~/.cache/entrec`."""
    env = os.environ.get("ENTREC_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "entrec"


def store_entry(path: Path, data: bytes) -> bool:
    """Write `data` to `path` atomically (temporary file + rename); False when it could not
    be written (read-only or full file system): the caller then runs without a cache."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return False
