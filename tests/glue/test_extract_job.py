"""glue/entrec_extract.py over local files with the shared local[2] session: the same rows as
`entrec batch`, the manifest in the run, and the LATEST pointer written last.

What cannot run here: `awsglue` (GlueContext, getResolvedOptions), the Data Catalog and
Glue's s3:// writer (pyspark's jars carry no S3A filesystem and Maven is unreachable), so the
job reads and writes local paths; S3 reading is covered by tests/batch/test_s3_e2e.py.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "batch"))
from batch_docset import write_docset  # noqa: E402

pytestmark = pytest.mark.slow


def _script():
    spec = importlib.util.spec_from_file_location("entrec_extract", ROOT / "glue" / "entrec_extract.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(path: Path) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False)
                  for r in ds.dataset(path, format="parquet").to_table().to_pylist())


def test_job_writes_tables_manifest_then_latest(spark, tmp_path):
    from entrec.batch import run_batch

    docs = write_docset(tmp_path / "docs")
    (docs / "leia-me.xlsx").write_bytes(b"not a document type")  # filtered out by extension
    out = tmp_path / "tables"
    job = _script()
    assert job.main(["entrec_extract.py", "--sources", str(docs), "--out", str(out)], spark=spark) == 0

    latest = json.loads((out / "LATEST").read_text())
    run = out / "runs" / latest["run_id"]
    assert latest["pages"] == str(run / "pages") and latest["entities"] == str(run / "entities")
    manifest = json.loads((run / "manifest.json").read_text())
    assert (run / "manifest.json").stat().st_mtime_ns <= (out / "LATEST").stat().st_mtime_ns
    assert manifest["counts"]["documents"] == 5 and manifest["counts"]["documents_failed"] == 1
    assert [e["code"] for e in manifest["errors"]] == ["pdf-unreadable"]

    local = run_batch([str(docs / n) for n in ("procedimento.pdf", "limites.docx", "notas.txt",
                                               "textos.jsonl", "quebrado.pdf")], tmp_path / "local")
    assert _rows(run / "entities") == _rows(tmp_path / "local" / "entities")
    assert _rows(run / "pages") == _rows(tmp_path / "local" / "pages")
    assert manifest["counts"] == {k: v for k, v in local.manifest["counts"].items() if k != "ignored"}
    assert manifest["engine"]["id"] == local.manifest["engine"]["id"]


def test_job_arguments_and_bad_arguments(tmp_path, capsys):
    from entrec.batch.job import ARGUMENTS, REQUIRED_ARGUMENTS

    assert set(REQUIRED_ARGUMENTS) <= set(ARGUMENTS)
    job = _script()
    with pytest.raises(SystemExit) as exc:
        job.main(["entrec_extract.py", "--out", str(tmp_path)])
    assert exc.value.code == 2 and "--sources" in capsys.readouterr().err
