"""`run_batch`: list documents, extract (locally, in a fork pool, or on Spark), reuse unchanged
documents, write both tables and the manifest, publish."""
from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from entrec.batch.core import EngineSpec, engine_fingerprint, load_engine
from entrec.batch.local import run_local
from entrec.batch.progress import Progress
from entrec.batch.sources import list_documents
from entrec.batch.tables import RunDir, copy_previous_rows, previous_manifest, publish, table_summary

__all__ = ["BatchResult", "run_batch", "new_run_id", "check_out_dir", "known_documents"]


@dataclass
class BatchResult:
    out: Path
    manifest: dict[str, Any]


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def check_out_dir(out: Path) -> None:
    """Refuse an output folder whose pages/ or entities/ entrec did not write (never replaced)."""
    from entrec.engine.errors import InputError

    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder", code="out-exists")
    for name in ("pages", "entities"):
        if (out / name).exists() and not (out / name).is_symlink():
            raise InputError(f"{out / name} exists and was not written by entrec batch",
                             code="out-exists", hint="choose another --out folder")


def known_documents(prev: dict | None, fingerprint: dict) -> dict[str, str]:
    """uri -> doc_id of the published run, when it was made by the same engine."""
    if not prev or prev.get("engine", {}).get("id") != fingerprint["id"]:
        return {}
    return {d["uri"]: d["doc_id"] for d in prev.get("documents", [])}


def run_batch(sources: Sequence[str], out: str | Path, spec: EngineSpec = EngineSpec(), *,
              workers: int = 1, spark: Any = None, progress: bool | None = None,
              reuse: bool = True) -> BatchResult:
    """Run the engine over every document of `sources` into OUT/{pages,entities,manifest.json}.

    spark: a SparkSession to run under mapInPandas (None: local, `workers` processes).
    reuse: skip documents whose content hash matches the published run of the same engine.
    """
    t0 = time.perf_counter()
    out = Path(out)
    check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    refs, ignored = list_documents(sources)
    t_list = time.perf_counter()
    engine = load_engine(spec)
    fingerprint = engine_fingerprint(spec, engine)
    known = known_documents(previous_manifest(out), fingerprint) if reuse else {}
    run = RunDir(out, new_run_id())
    t_load = time.perf_counter()

    reused: dict[str, str] = {}
    if spark is not None:
        from entrec.batch.spark import run_spark

        reused = run_spark(spark, refs, spec, known, run)
        pages_w, ents_w = run.writers(prefix="reused")
        runner = {"name": "spark", "master": spark.sparkContext.master,
                  "spark": spark.version}
    else:
        bar = Progress(len(refs), enabled=progress)
        pages_w, ents_w = run.writers()
        for outcome in run_local(refs, spec, known, workers, on_done=lambda _: bar.advance()):
            if outcome.reused:
                reused[outcome.uri] = outcome.doc_id
            else:
                pages_w.add(outcome.pages)
                ents_w.add(outcome.entities)
        bar.close()
        runner = {"name": "fork-pool" if workers > 1 else "single-process", "workers": workers}
    t_extract = time.perf_counter()
    copy_previous_rows(out, reused, pages_w, ents_w)
    if spark is None or reused:
        pages_w.close()
        ents_w.close()
    summary = table_summary(run.path)
    for d in summary["documents"]:
        d["status"] = "reused" if d["uri"] in reused else "extracted"
    t_write = time.perf_counter()
    manifest = {
        "format_version": 1,
        "run_id": run.run_id,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": list(sources),
        "engine": fingerprint,
        "runner": runner,
        "tables": {"pages": "pages/", "entities": "entities/",
                   "offsets": "0-based, end-exclusive, Unicode code points into pages.text"},
        "counts": {**summary["counts"], "documents_reused": len(reused),
                   "ignored": len(ignored)},
        "documents": summary["documents"],
        "errors": summary["errors"],
        "ignored": [{"uri": i.uri, "reason": i.reason} for i in ignored],
        "timings": {"list_s": round(t_list - t0, 3), "load_s": round(t_load - t_list, 3),
                    "extract_s": round(t_extract - t_load, 3),
                    "write_s": round(t_write - t_extract, 3),
                    "total_s": round(time.perf_counter() - t0, 3)},
    }
    publish(run, manifest)
    return BatchResult(out, manifest)
