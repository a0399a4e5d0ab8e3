"""The one core every runner shares: document bytes -> page rows -> entity rows.

The engine is described by an `EngineSpec` (picklable, small) and built by `load_engine`, which
caches one engine per spec per process: a fork-pool worker inherits the parent's, a Spark
Python worker builds its own once and reuses it for every batch (never pickled into a closure).
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from entrec.documents import Unit, read_document
from entrec.batch.schema import entity_row, page_row

__all__ = ["EngineSpec", "load_engine", "document_rows", "entity_rows_for", "units_for_document",
           "engine_fingerprint", "MAX_UNIT_CHARS"]

#: the engine's own limit on one text; a longer unit becomes an error row instead of a crash
MAX_UNIT_CHARS = 10_000_000


@dataclass(frozen=True)
class EngineSpec:
    """What engine to build: rule paths, model (dir or model.tar.gz), default language."""

    rules: tuple[str, ...] | None = None
    model: str | None = None
    lang: str | None = None
    half_open: bool = False

    def with_model_path(self, path: str | None) -> "EngineSpec":
        return replace(self, model=path)


@functools.lru_cache(maxsize=2)
def load_engine(spec: EngineSpec):
    """The engine for `spec`, built once per process. The batch runners own their process:
    everything loaded so far is frozen out of the collector's reach (`freeze_loaded`; a
    fork-pool's workers then also share those pages instead of copying them)."""
    from entrec.engine import Engine
    from entrec.engine.loaded_objects import freeze_loaded

    engine = Engine.load(rules=list(spec.rules) if spec.rules else None, model=spec.model,
                         lang=spec.lang, half_open=spec.half_open)
    freeze_loaded()
    return engine


def _hash_tree(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for f in files:
            h.update(f.name.encode())
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def engine_fingerprint(spec: EngineSpec, engine) -> dict[str, Any]:
    """Everything that changes the entities of an unchanged document: a previous run's rows
    are reused only when this is equal."""
    from entrec.engine import __version__
    from entrec.engine.engine import default_rule_paths

    rules = [Path(r) for r in spec.rules] if spec.rules else None
    if rules is None and engine.model_dir is not None and (engine.model_dir / "rules").is_dir():
        rules = [engine.model_dir / "rules"]
    fp = {"entrec": __version__, "name": engine.name, "version": engine.version,
          "components": list(engine.components), "lang": engine.default_lang,
          "half_open": spec.half_open,
          "rules_sha256": _hash_tree(rules if rules is not None else default_rule_paths()),
          "model_sha256": (engine.manifest or {}).get("sha256") or (
              hashlib.sha256(json.dumps(engine.manifest, sort_keys=True).encode()).hexdigest()
              if engine.manifest else None)}
    fp["id"] = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()[:16]
    return fp


def units_for_document(data: bytes, uri: str) -> list[Unit]:
    """The document's units; a unit over the engine's text limit becomes an error row."""
    units = read_document(data, uri)
    return [replace(u, text="", error="text-too-long",
                    error_message=f"{uri}: {u.unit_kind} {u.unit_no} has {len(u.text):,} "
                                  f"characters; the limit is {MAX_UNIT_CHARS:,}")
            if u.error is None and len(u.text) > MAX_UNIT_CHARS else u for u in units]


def entity_rows_for(engine, units: Sequence[Unit], batch_size: int = 64) -> list[dict[str, Any]]:
    """Entity rows of the readable units (error rows and empty units have none)."""
    todo = [u for u in units if u.error is None and u.text.strip()]
    rows: list[dict[str, Any]] = []
    results = engine.pipe(((u.text, u.lang) for u in todo), batch_size=batch_size)
    for unit, ents in zip(todo, results):
        rows.extend(entity_row(unit, e.to_dict()) for e in ents)
    return rows


def document_rows(engine, data: bytes, uri: str) -> tuple[list[dict], list[dict]]:
    """(page rows, entity rows) of one document."""
    units = units_for_document(data, uri)
    return [page_row(u) for u in units], entity_rows_for(engine, units)
