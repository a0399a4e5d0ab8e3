"""Gate decisions the job recomputes instead of remembering; runs that cannot decide or fail."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .test_retrain_e2e import FAST, GLUE_SCRIPT, ROOT, keys, pointer, promoted, run_job  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROLE = "arn:aws:iam::123456789012:role/entrec-dev-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/entrec-predictor:1"


def _obj(s3, bucket, key):
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_resumed_run_applies_its_own_thresholds(s3, sm, bucket, promoted, aws_env, corpus,
                                                upload, capsys, tmp_path):
    """Killed after passing a lax gate; the rerun with the default-like thresholds must not
    promote it; a rerun that again accepts it resumes without retraining."""
    upload(s3, bucket, corpus(seed=3))
    env = {**aws_env, "ENTREC_RETRAIN_EXIT_AT": "before-promote",
           "TMPDIR": str(tmp_path),  # os._exit skips the work dir cleanup: keep it out of /tmp
           "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    lax = [sys.executable, str(GLUE_SCRIPT), "--env", "dev", "--bucket", bucket, *FAST,
           "--max-epochs", "1", "--min-f1", "0", "--max-f1-drop", "1"]
    proc = subprocess.run(lax, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 75, proc.stdout[-3000:] + proc.stderr[-2000:]
    (killed,) = {k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2} - {
        promoted["version"]}
    assert _obj(s3, bucket, f"models/{killed}/gate.json")["passed"] is True

    capsys.readouterr()
    assert run_job(bucket) == 1  # FAST thresholds: min F1 0.6, max drop 0.05
    out = capsys.readouterr().out
    assert "already evaluated" in out and "gate recomputed with this run's thresholds" in out
    assert "resuming" not in out and "FAIL" in out
    assert pointer(s3, bucket) == promoted
    g = _obj(s3, bucket, f"models/{killed}/gate.json")
    assert g["passed"] is False and g["how"] == "recomputed"
    assert g["thresholds"]["max_f1_drop"] == 0.05 and g["thresholds"]["min_f1"] == 0.6

    capsys.readouterr()
    assert run_job(bucket, "--min-f1", "0", "--max-f1-drop", "1", "--deploy", "true",
                   "--endpoint-name", "entrec-dev", "--image-uri", IMAGE, "--role-arn", ROLE) == 0
    out = capsys.readouterr().out
    assert f"resuming {killed}" in out and "epoch" not in out  # no retraining
    assert pointer(s3, bucket)["version"] == killed
    # the deploy hand-off put it on the environment's endpoint before promoting
    assert sm.describe_endpoint(EndpointName="entrec-dev")["EndpointConfigName"] == \
        f"entrec-dev-{killed}"


def test_too_few_unseen_documents_gives_no_verdict(s3, bucket, corpus, upload, capsys):
    upload(s3, bucket, corpus(seed=4, n=16))
    capsys.readouterr()
    assert run_job(bucket, "--max-epochs", "2", "--min-comparison-docs", "30") == 3
    out = capsys.readouterr().out
    assert "undecided" in out and "at least 30 needed to decide" in out
    assert pointer(s3, bucket) is None
    (v,) = {k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2}
    g = _obj(s3, bucket, f"models/{v}/gate.json")
    assert (g["decided"], g["passed"], g["status"]) == (False, False, "undecided")
    assert g["comparison"]["docs"] < 30
    assert "NO VERDICT" in s3.get_object(Bucket=bucket, Key=f"models/{v}/report.md")[
        "Body"].read().decode()


def test_failed_import_writes_its_report_and_orphans_are_marked(s3, bucket, capsys):
    # a version folder a killed run left without metrics.json
    s3.put_object(Bucket=bucket, Key="models/20250101T000000Z-0123456789ab/model.tar.gz",
                  Body=b"partial")
    s3.put_object(Bucket=bucket, Key="labeled/bad.jsonl",
                  Body=b'{"text": "", "spans": []}\n{"text": "x", "spans": [{"start": 0, '
                       b'"end": 9, "label": "PESSOA"}]}\nnot json\n')
    capsys.readouterr()
    assert run_job(bucket) == 2
    cap = capsys.readouterr()
    assert "no-training-data" in cap.err
    orphan = _obj(s3, bucket, "models/20250101T000000Z-0123456789ab/orphan.json")
    assert orphan["files"] == ["model.tar.gz"]
    (v,) = {k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2} - {
        "20250101T000000Z-0123456789ab"}
    failed = _obj(s3, bucket, f"models/{v}/failed.json")
    assert failed["code"] == "no-training-data"
    assert f"s3://{bucket}/labeled" in failed["error"] and "/tmp" not in failed["error"]
    assert "/tmp" not in cap.err
    imp = _obj(s3, bucket, f"models/{v}/import_report.json")
    assert imp["imported"] == 0 and imp["skipped_records"] == 3
    assert {r["file"] for r in imp["skipped"]} == {f"s3://{bucket}/labeled/bad.jsonl"}
    assert pointer(s3, bucket) is None
