"""The Glue job end to end against moto's S3 over real HTTP (server mode on loopback).

Training is tiny (64 synthetic documents, a few epochs) so each run takes seconds.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
GLUE_SCRIPT = ROOT / "glue" / "entrec_retrain.py"
FAST = ["--max-epochs", "8", "--patience", "8", "--dev-fraction", "0.2", "--heldout-fraction", "0.25",
        "--label-set", "PESSOA", "--min-label-support", "3", "--min-comparison-docs", "5",
        "--min-f1", "0.6", "--max-f1-drop", "0.05", "--orphan-grace-minutes", "0"]

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def glue_main():
    spec = importlib.util.spec_from_file_location("entrec_retrain_glue", GLUE_SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def run_job(bucket: str, *extra: str, env: str = "dev") -> int:
    return glue_main()(["entrec_retrain.py", "--env", env, "--bucket", bucket, *FAST, *extra])


def pointer(s3, bucket):
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key="models/PRODUCTION")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def keys(s3, bucket, prefix="models/"):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return sorted(out)


@pytest.fixture()
def promoted(s3, bucket, capsys, corpus, upload):
    """A bucket whose first run promoted a model (shared setup of several tests)."""
    upload(s3, bucket, corpus(seed=1))
    assert run_job(bucket) == 0, capsys.readouterr()
    p = pointer(s3, bucket)
    assert p is not None
    return p


def test_first_run_promotes_and_artifact_serves_from_s3(s3, bucket, promoted, tmp_path, capsys):
    p = promoted
    v = p["version"]
    assert set(p) == {"version", "sha256", "promoted_at", "previous"}
    assert p["previous"] is None
    assert keys(s3, bucket) == sorted([
        "models/PRODUCTION", f"models/{v}/model.tar.gz", f"models/{v}/metrics.json",
        f"models/{v}/report.md", f"models/{v}/import_report.json", f"models/{v}/gate.json"])
    metrics = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{v}/metrics.json")["Body"].read())
    assert metrics["gate"]["passed"] is True and metrics["production"] is None
    assert v.endswith("-" + metrics["data_sha256"][:12])
    assert metrics["artifact"]["sha256"] == p["sha256"]
    # the gate's verdict and thresholds are stored with the version
    g = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{v}/gate.json")["Body"].read())
    assert g["passed"] is True and g["thresholds"]["max_f1_drop"] == 0.05
    assert metrics["comparison"]["docs"] == len(metrics["split"]["heldout"]) >= 5
    # broken records were counted, not dropped silently; files are named by their S3 URL
    imp = metrics["import"]
    assert imp["imported"] == 63
    where = f"s3://{bucket}/labeled/"
    assert set(imp["files"]) >= {where + "batch1.jsonl", where + "NOTES.md"}
    assert {(r["file"], r["reason"]) for r in imp["skipped"]} >= {
        (where + "NOTES.md", "unknown-format"), (where + "batch1.jsonl", "malformed-record")}
    assert "/tmp" not in json.dumps(imp)
    assert "labeled/comprehend/docs.txt" in metrics["labeled_objects"]
    report = s3.get_object(Bucket=bucket, Key=f"models/{v}/report.md")["Body"].read().decode()
    assert "PASSED" in report and "malformed-record" in report and "PESSOA" in report
    assert "None" not in report and "/tmp" not in report

    # load the artifact from S3 into the engine and extract
    from entrec.engine import Engine

    local = tmp_path / "model.tar.gz"
    s3.download_file(bucket, f"models/{v}/model.tar.gz", str(local))
    eng = Engine.load(model=local)
    assert eng.version == v
    ents = eng.extract("O operador Mariana Gusmão autorizou a manobra no turno da noite.")
    assert any(e.label == "PESSOA" and e.source == "model" for e in ents), ents


def test_rerun_on_same_data_is_a_noop(s3, bucket, promoted, capsys):
    before = keys(s3, bucket)
    capsys.readouterr()
    assert run_job(bucket) == 0
    out = capsys.readouterr().out
    assert "no-op" in out and promoted["version"] in out
    assert keys(s3, bucket) == before
    assert pointer(s3, bucket) == promoted


def test_gate_blocks_model_trained_on_corrupted_labels(s3, bucket, promoted, capsys, corpus,
                                                     upload):
    upload(s3, bucket, corpus(seed=2, corrupt=True))
    capsys.readouterr()
    assert run_job(bucket) == 1
    out = capsys.readouterr().out
    assert "gated" in out and "FAIL" in out
    assert pointer(s3, bucket) == promoted  # PRODUCTION untouched
    # the rejected candidate is kept for inspection, with the reasons
    versions = {k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2}
    rejected = sorted(versions - {promoted["version"]})
    assert len(rejected) == 1
    m = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{rejected[0]}/metrics.json")["Body"].read())
    assert m["gate"]["passed"] is False and m["gate"]["failures"]
    assert m["production"]["version"] == promoted["version"]
    # same (rejected) data again: the verdict is recomputed (not retrained), still gated
    capsys.readouterr()
    assert run_job(bucket) == 1
    out = capsys.readouterr().out
    assert "already evaluated" in out and "--force" in out
    assert pointer(s3, bucket) == promoted


def test_killed_run_leaves_production_and_rerun_finishes(s3, bucket, promoted, aws_env, corpus,
                                                       upload, tmp_path):
    upload(s3, bucket, corpus(seed=3))
    env = {**aws_env, "ENTREC_RETRAIN_EXIT_AT": "before-promote",
           "TMPDIR": str(tmp_path),  # os._exit skips the work dir cleanup: keep it out of /tmp
           "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    # this test is about atomicity, not model quality: a gate that always passes
    cmd = [sys.executable, str(GLUE_SCRIPT), "--env", "dev", "--bucket", bucket, *FAST,
           "--min-f1", "0", "--max-f1-drop", "1"]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 75, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "simulated kill" in proc.stderr
    assert pointer(s3, bucket) == promoted  # uploaded, verified, but never promoted
    new_versions = {k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2} - {
        promoted["version"]}
    assert len(new_versions) == 1
    (killed,) = new_versions

    del env["ENTREC_RETRAIN_EXIT_AT"]
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"resuming {killed}" in proc.stdout
    p = pointer(s3, bucket)
    assert p["version"] == killed and p["previous"] == promoted["version"]
