"""Spark parity: `entrec batch --spark local[2]` writes the same rows as the local run, with
the model shipped by addFile and loaded from SparkFiles once per Python worker."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from entrec.batch import EngineSpec, entities_schema, pages_schema, run_batch

pytestmark = pytest.mark.slow


def rows(out: Path, name: str) -> list[str]:
    schema = pages_schema() if name == "pages" else entities_schema()
    table = ds.dataset(out / name, format="parquet", schema=schema).to_table().to_pylist()
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in table)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    from entrec.training.package import package_model

    return package_model(tmp_path_factory.mktemp("model"), name="entrec-rules", version="2026.1")


def test_local_and_spark_write_identical_rows(spark, docset, model, tmp_path):
    spec = EngineSpec(model=str(model))
    local = run_batch([str(docset)], tmp_path / "local", spec).manifest
    on_spark = run_batch([str(docset)], tmp_path / "spark", spec, spark=spark).manifest
    for name in ("pages", "entities"):
        a, b = rows(tmp_path / "local", name), rows(tmp_path / "spark", name)
        assert a == b, name
    ents = [json.loads(r) for r in rows(tmp_path / "spark", "entities")]
    pages = {(p["doc_id"], p["unit_kind"], p["unit_no"]): p["text"]
             for p in map(json.loads, rows(tmp_path / "spark", "pages"))}
    assert len(ents) >= 10
    for e in ents:
        assert pages[(e["doc_id"], e["unit_kind"], e["unit_no"])][e["start"]:e["end"]] == e["text"]
    assert on_spark["counts"] == local["counts"]
    assert on_spark["engine"]["id"] == local["engine"]["id"]
    assert on_spark["engine"]["name"] == "entrec-rules"
    assert on_spark["runner"]["name"] == "spark" and on_spark["runner"]["master"] == "local[2]"
    assert on_spark["errors"] == local["errors"]

    # a re-run on Spark reuses the unchanged documents (marker rows are never written)
    again = run_batch([str(docset)], tmp_path / "spark", spec, spark=spark).manifest
    assert again["counts"]["documents_reused"] == 5
    assert rows(tmp_path / "spark", "entities") == rows(tmp_path / "local", "entities")
    assert rows(tmp_path / "spark", "pages") == rows(tmp_path / "local", "pages")


def test_engine_is_built_once_per_python_worker(spark, docset, model):
    """The task functions hold no engine; each worker builds it once (cached) from SparkFiles."""
    import pickle
    import functools

    from entrec.batch.spark import _worker_engine, entities_from_pages, ship_model

    spec, name = ship_model(spark, EngineSpec(model=str(model)))
    assert spec.model is None and name == model.name
    task = functools.partial(entities_from_pages, spec=spec, model_name=name)
    assert len(pickle.dumps(task)) < 2_000  # the closure carries a spec, not an engine

    def probe(_):
        a = _worker_engine(spec, name)
        b = _worker_engine(spec, name)
        import os

        from pyspark import SparkFiles

        yield (os.getpid(), a is b, a.name, str(a.model_dir), SparkFiles.getRootDirectory())

    out = spark.sparkContext.parallelize(range(4), 2).mapPartitions(probe).collect()
    assert [(same, name) for _, same, name, *_ in out] == [(True, "entrec-rules")] * 2
    # the tarball is unpacked under SparkFiles' root (Spark removes it when the app stops),
    # not into /tmp, where workers ending with os._exit would leave one copy per run
    for *_, model_dir, root in out:
        assert Path(model_dir).parent == Path(root), (model_dir, root)
