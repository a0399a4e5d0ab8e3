"""The local runners: one process, or a fork pool over the engine the parent loaded.

Workers are forked after `load_engine` ran in the parent, so each inherits the loaded engine
(copy-on-write) instead of building its own; documents go out largest first so the pool does
not end waiting on one big file.
"""
from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from entrec.batch.core import EngineSpec, document_rows, load_engine
from entrec.batch.schema import page_row
from entrec.batch.sources import DocumentRef, read_bytes
from entrec.documents import content_hash
from entrec.documents.failures import error_unit
from entrec.documents.readers import doc_type_for

__all__ = ["DocOutcome", "process_ref", "run_local"]


@dataclass
class DocOutcome:
    uri: str
    doc_id: str
    reused: bool
    seconds: float
    pages: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)


def process_ref(uri: str, spec: EngineSpec, known: dict[str, str]) -> DocOutcome:
    """Read, hash and extract one document; `known` (uri -> doc_id of the published run) marks
    unchanged documents, which are not extracted again."""
    t0 = time.perf_counter()
    try:
        data = read_bytes(uri)
    except Exception as exc:  # noqa: BLE001 - one unreadable source never stops the run
        doc_id = content_hash(uri.encode())
        unit = error_unit(doc_id, uri, doc_type_for(uri) or "unknown", "source-unreadable",
                          f"{uri}: {type(exc).__name__}: {exc}")
        return DocOutcome(uri, doc_id, False, time.perf_counter() - t0, [page_row(unit)])
    doc_id = content_hash(data)
    if known.get(uri) == doc_id:
        return DocOutcome(uri, doc_id, True, time.perf_counter() - t0)
    pages, entities = document_rows(load_engine(spec), data, uri)
    return DocOutcome(uri, doc_id, False, time.perf_counter() - t0, pages, entities)


class _PoolTask:
    """Picklable callable for the pool (the spec and known ids travel once per task chunk)."""

    def __init__(self, spec: EngineSpec, known: dict[str, str]):
        self.spec, self.known = spec, known

    def __call__(self, uri: str) -> DocOutcome:
        return process_ref(uri, self.spec, self.known)


def run_local(refs: Sequence[DocumentRef], spec: EngineSpec, known: dict[str, str],
              workers: int = 1, on_done: Callable[[DocOutcome], None] | None = None
              ) -> Iterator[DocOutcome]:
    """Outcomes of every document (completion order)."""
    load_engine(spec)  # loaded once here; forked workers share it
    order = [r.uri for r in sorted(refs, key=lambda r: (-r.size, r.uri))]
    if workers <= 1 or len(order) <= 1:
        for uri in order:
            out = process_ref(uri, spec, known)
            if on_done:
                on_done(out)
            yield out
        return
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes=workers) as pool:
        for out in pool.imap_unordered(_PoolTask(spec, known), order, chunksize=1):
            if on_done:
                on_done(out)
            yield out
