"""The grammar's LALR tables cached as JSON, keyed by the grammar text and Lark's version.

Building the LALR tables with Lark (strict: conflicts fail) is most of the grammar's load
time. The tables are plain data - state -> token type -> shift target or reduction - so
they are stored as JSON under `$ENTREC_CACHE_DIR/grammar/` and read back on the next start.
A grammar edit changes the key, so the edited grammar is checked by Lark again; a missing,
corrupt or unwritable cache just means building the tables.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..cache_store import cache_dir, store_entry

__all__ = ["load_tables", "store_tables"]

_FORMAT = 1
Tables = tuple[int, int, dict[int, dict[str, tuple]]]


def _path(grammar_text: str) -> Path:
    import lark

    key = hashlib.sha256(f"{_FORMAT}|{lark.__version__}|{grammar_text}".encode()).hexdigest()
    return cache_dir() / "grammar" / f"{key}.json"


def load_tables(grammar_text: str) -> Tables | None:
    try:
        raw = json.loads(_path(grammar_text).read_text(encoding="utf-8"))
        states = {int(st): {typ: (bool(act[0]), act[1] if act[0] else tuple(act[1]))
                            for typ, act in acts.items()}
                  for st, acts in raw["states"].items()}
        return int(raw["start"]), int(raw["end"]), states
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def store_tables(grammar_text: str, start: int, end: int, states: dict[int, dict[str, tuple]]) -> None:
    path = _path(grammar_text)
    # a read-only home: the tables are built on every start
    store_entry(path, json.dumps({"start": start, "end": end, "states": states}).encode("utf-8"))
