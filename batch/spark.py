"""The Spark runner: the same core under `mapInPandas`.

Documents are read with Spark's `binaryFile` source, spread over the cluster and processed
largest first in each partition. Stage 1 turns document bytes into page rows (no engine);
stage 2 runs the engine over page rows. The engine is never pickled into a closure: the task
functions are module-level, and `_worker_engine` builds it once per Python worker (cached), from
the model shipped with `SparkContext.addFile` and found with `SparkFiles.get`.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterator, Sequence

from entrec.batch.core import EngineSpec, entity_rows_for, load_engine, units_for_document
from entrec.batch.schema import (ENTITIES_FIELDS, PAGES_FIELDS, entities_schema, page_row,
                                 pages_schema, spark_schema)
from entrec.batch.sources import DocumentRef
from entrec.documents import Unit, content_hash

__all__ = ["spark_session", "run_spark", "spark_tables", "pages_from_documents", "entities_from_pages",
           "uri_from_spark_path", "ship_model", "REUSED"]

#: internal marker row of stage 1 for an unchanged document (never written)
REUSED = "reused"


def spark_session(master: str = "local[*]", app_name: str = "entrec-batch"):
    """A SparkSession for `entrec batch --spark MASTER` (and the tests and bench).

    With a local master the Python workers run this interpreter (where entrec is installed),
    not whatever `python3` is first on PATH.
    """
    import os
    import shutil
    import sys

    from entrec.engine.errors import EntrecError

    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EntrecError("pyspark is not installed", code="spark-missing",
                          hint="pip install 'entrec[spark]'") from None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise EntrecError("Spark needs Java 17 and none was found (no `java` on PATH, no "
                          "JAVA_HOME)", code="java-missing",
                          hint="install a JRE, e.g. apt-get install openjdk-17-jre-headless")
    if master.startswith("local"):
        os.environ["PYSPARK_PYTHON"] = sys.executable
    return (SparkSession.builder.master(master).appName(app_name)
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "256")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false").getOrCreate())


def uri_from_spark_path(path: str) -> str:
    """binaryFile's `file:/x/y.pdf` -> `/x/y.pdf` (the local runner's uri); s3:// stays."""
    if path.startswith("file://"):
        return path[len("file://"):]
    if path.startswith("file:"):
        return path[len("file:"):]
    if path.startswith("s3a://"):
        return "s3://" + path[len("s3a://"):]
    return path


def ship_model(spark, spec: EngineSpec) -> tuple[EngineSpec, str | None]:
    """addFile the model (dir or model.tar.gz); returns the spec without a local path and the
    name workers resolve with SparkFiles.get."""
    if not spec.model:
        return spec, None
    path = Path(spec.model).resolve()
    spark.sparkContext.addFile(str(path), recursive=path.is_dir())
    return spec.with_model_path(None), path.name


@functools.lru_cache(maxsize=2)
def _worker_engine(spec: EngineSpec, model_name: str | None):
    """Once per Python worker: the engine, with the model from SparkFiles.

    A shipped tarball is unpacked under SparkFiles' own root, which Spark deletes when the
    application stops: Python workers end with `os._exit`, so a temporary directory they
    registered for removal at exit would be left behind in /tmp, one per worker and run."""
    if model_name:
        import tempfile

        from pyspark import SparkFiles

        from entrec.engine.artifact import open_model

        shipped = Path(SparkFiles.get(model_name))
        if shipped.is_file() or not (shipped / "manifest.json").exists():
            dest = tempfile.mkdtemp(prefix="entrec-model-", dir=SparkFiles.getRootDirectory())
            shipped, _ = open_model(shipped, workdir=dest)
        spec = spec.with_model_path(str(shipped))
    return load_engine(spec)


def _reused_row(uri: str, doc_id: str) -> dict:
    row = {name: None for name, *_ in PAGES_FIELDS}
    row.update(doc_id=doc_id, source_uri=uri, doc_type="", unit_kind=REUSED, unit_no=0,
               heading_path=[], text="", n_chars=0, extractor="", extractor_version="")
    return row


def pages_from_documents(batches: Iterator, known: dict[str, str] | None = None) -> Iterator:
    """mapInPandas stage 1: (path, content) rows -> page rows."""
    import pandas as pd

    columns = [name for name, *_ in PAGES_FIELDS]
    for batch in batches:
        rows = []
        for path, content in zip(batch["path"], batch["content"]):
            uri = uri_from_spark_path(path)
            data = bytes(content)
            doc_id = content_hash(data)
            if known and known.get(uri) == doc_id:
                rows.append(_reused_row(uri, doc_id))
                continue
            rows.extend(page_row(u) for u in units_for_document(data, uri))
        yield pd.DataFrame(rows, columns=columns)


def entities_from_pages(batches: Iterator, spec: EngineSpec, model_name: str | None) -> Iterator:
    """mapInPandas stage 2: page rows -> entity rows, with the worker's cached engine."""
    import pandas as pd

    engine = _worker_engine(spec, model_name)
    columns = [name for name, *_ in ENTITIES_FIELDS]
    for batch in batches:
        units = [Unit.from_dict({**r, "heading_path": list(r["heading_path"])})
                 for r in batch.to_dict("records")]
        yield pd.DataFrame(entity_rows_for(engine, units), columns=columns)


def spark_tables(spark, documents_df, spec: EngineSpec, known: dict[str, str] | None = None):
    """(pages_df incl. reused markers, entities_df) from a DataFrame of (path, length, content)."""
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    shipped, model_name = ship_model(spark, spec)
    known_bc = dict(known or {})
    n = max(1, sc.defaultParallelism)
    docs = (documents_df.select("path", "length", "content")
            .repartition(n).sortWithinPartitions(F.desc("length")))
    pages = docs.mapInPandas(functools.partial(pages_from_documents, known=known_bc),
                             schema=spark_schema(pages_schema()))
    pages = pages.persist()
    readable = pages.filter((F.col("unit_kind") != REUSED) & F.col("error").isNull()
                            & (F.col("n_chars") > 0))
    entities = readable.mapInPandas(
        functools.partial(entities_from_pages, spec=shipped, model_name=model_name),
        schema=spark_schema(entities_schema()))
    return pages, entities


def run_spark(spark, refs: Sequence[DocumentRef], spec: EngineSpec, known: dict[str, str],
              run) -> dict[str, str]:
    """Write the run's two tables with Spark; returns the reused documents (uri -> doc_id)."""
    from pyspark.sql import functions as F

    if not refs:
        spark_empty = spark.createDataFrame([], spark_schema(pages_schema()))
        spark_empty.write.mode("overwrite").parquet(str(run.table("pages")))
        spark.createDataFrame([], spark_schema(entities_schema())).write.mode("overwrite") \
            .parquet(str(run.table("entities")))
        return {}
    docs = spark.read.format("binaryFile").load([_spark_path(r.uri) for r in refs])
    pages, entities = spark_tables(spark, docs, spec, known)
    try:
        pages.filter(F.col("unit_kind") != REUSED).write.mode("overwrite") \
            .parquet(str(run.table("pages")))
        entities.write.mode("overwrite").parquet(str(run.table("entities")))
        reused = {r["source_uri"]: r["doc_id"] for r in
                  pages.filter(F.col("unit_kind") == REUSED).select("source_uri", "doc_id").collect()}
    finally:
        pages.unpersist()
    return reused


def _spark_path(uri: str) -> str:
    return uri if "://" in uri else "file://" + uri


def spark_summary(pages, entities) -> dict:
    """The manifest summary (same shape as `tables.summarize`) computed by Spark, for runs
    whose tables live where the driver cannot read Parquet itself (S3 in Glue)."""
    from pyspark.sql import functions as F

    from entrec.batch.tables import summarize

    light = pages.select("doc_id", "source_uri", "doc_type", "unit_kind", "unit_no", "n_chars",
                         "error", "error_message")
    page_rows = [r.asDict() for r in light.collect()]
    counts = [r.asDict() for r in entities.groupBy("doc_id", "label").agg(
        F.count(F.lit(1)).alias("count")).collect()]
    return summarize(page_rows, counts)
