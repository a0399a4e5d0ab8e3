"""The extraction job's core for a cluster (the Glue job `glue/entrec_extract.py` is a shell
over it): documents read by Spark's `binaryFile`, the two tables written under
`OUT/runs/<run_id>/`, then `manifest.json` in the run, then the `OUT/LATEST` pointer, last.

Readers find the current run through LATEST (`{"run_id", "pages", "entities", "manifest"}`);
a run that dies before the pointer is invisible to them.
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from entrec.batch.core import EngineSpec, engine_fingerprint, load_engine
from entrec.batch.run import new_run_id
from entrec.batch.sources import read_bytes, write_bytes
from entrec.documents.readers import DOC_TYPES

__all__ = ["ARGUMENTS", "REQUIRED_ARGUMENTS", "run_job", "local_model"]

#: job arguments (Glue `--name value`; every value a string)
ARGUMENTS = ("sources", "out", "model", "lang", "half-open")
REQUIRED_ARGUMENTS = ("sources", "out")

_EXT_PATTERN = r"(?i)\.(" + "|".join(sorted(e[1:] for e in DOC_TYPES)) + r")$"


def local_model(model: str | None, workdir: Path) -> str | None:
    """A model given as s3://.../model.tar.gz is fetched once to the driver (boto3) and then
    shipped to the workers with addFile like a local one."""
    if not model or not model.startswith("s3://"):
        return model
    target = workdir / model.rsplit("/", 1)[-1]
    target.write_bytes(read_bytes(model))
    return str(target)


def _join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *parts])


def run_job(spark, sources: Sequence[str], out: str, spec: EngineSpec = EngineSpec(), *,
            run_id: str | None = None) -> dict[str, Any]:
    """Run the extraction on `spark`; returns the manifest (also written with the tables)."""
    from pyspark.sql import functions as F

    from entrec.batch.spark import REUSED, spark_summary, spark_tables

    t0 = time.perf_counter()
    run_id = run_id or new_run_id()
    run_prefix = _join(out, "runs", run_id)
    with tempfile.TemporaryDirectory(prefix="entrec-model-") as tmp:
        spec = spec.with_model_path(local_model(spec.model, Path(tmp)))
        fingerprint = engine_fingerprint(spec, load_engine(spec))
        docs = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                .load(list(sources)).filter(F.col("path").rlike(_EXT_PATTERN)))
        cached, entities = spark_tables(spark, docs, spec)
        try:
            cached.filter(F.col("unit_kind") != REUSED).write.mode("overwrite") \
                .parquet(_join(run_prefix, "pages"))
            entities.write.mode("overwrite").parquet(_join(run_prefix, "entities"))
            written_pages = spark.read.parquet(_join(run_prefix, "pages"))
            written_entities = spark.read.parquet(_join(run_prefix, "entities"))
            summary = spark_summary(written_pages, written_entities)
        finally:
            cached.unpersist()
    manifest = {
        "format_version": 1, "run_id": run_id,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": list(sources), "engine": fingerprint,
        "runner": {"name": "spark-job", "master": spark.sparkContext.master,
                   "spark": spark.version},
        "tables": {"pages": "pages/", "entities": "entities/",
                   "offsets": "0-based, end-exclusive, Unicode code points into pages.text"},
        "counts": {**summary["counts"], "documents_reused": 0},
        "documents": [{**d, "status": "extracted"} for d in summary["documents"]],
        "errors": summary["errors"],
        "timings": {"total_s": round(time.perf_counter() - t0, 3)},
    }
    body = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    write_bytes(_join(run_prefix, "manifest.json"), body)
    pointer = {"run_id": run_id, "pages": _join(run_prefix, "pages"),
               "entities": _join(run_prefix, "entities"),
               "manifest": _join(run_prefix, "manifest.json"), "created_at": manifest["created_at"]}
    write_bytes(_join(out, "LATEST"), (json.dumps(pointer, indent=2) + "\n").encode())
    return manifest
