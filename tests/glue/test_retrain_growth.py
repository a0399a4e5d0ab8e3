"""Retraining as a team uses it: labeled data grows every week; the gate stays fair.

The held-out membership of a document is decided by its content hash, so production's
training documents never come back as test documents, and each candidate is compared with
production on held-out documents neither was trained on.
"""
from __future__ import annotations

import json

import pytest

from .conftest import LABEL, make_docs
from .test_retrain_e2e import keys, pointer, run_job

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GROW = ["--max-f1-drop", "0.05", "--label-set", "PESSOA,ORGANIZACAO"]


def week(seed: int, n: int, typo_at: int | None = None) -> bytes:
    lines = []
    for i, (t, sp) in enumerate(make_docs(n, seed)):
        rec = {"text": t, "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in sp]}
        lines.append(json.dumps(rec, ensure_ascii=False))
        if i == typo_at:  # an annotator's typo: a label nobody declared
            lines.append(json.dumps({"text": "A CHESF liberou a linha.", "spans": [
                {"start": 2, "end": 7, "label": "ORGANIZAÇAO"}]}, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


def metrics_of(s3, bucket, version):
    return json.loads(s3.get_object(Bucket=bucket, Key=f"models/{version}/metrics.json")["Body"].read())


def test_weekly_growth_promotes_fair_candidates_and_gates_a_worse_one(s3, bucket, capsys):
    runs = []
    for n_week, (seed, n) in enumerate([(11, 64), (12, 24), (13, 24)], start=1):
        s3.put_object(Bucket=bucket, Key=f"labeled/week{n_week}.jsonl",
                      Body=week(seed, n, typo_at=3 if n_week == 2 else None))
        capsys.readouterr()
        rc = run_job(bucket, *GROW)
        out = capsys.readouterr().out
        assert rc == 0, out[-3000:]
        p = pointer(s3, bucket)
        m = metrics_of(s3, bucket, p["version"])
        runs.append(m)
        assert "promoted" in out and m["gate"]["passed"]
        comp = m["comparison"]
        # production's training documents never reappear as test documents
        assert comp["seen_by_production"] == 0 and comp["seen_by_candidate"] == 0
        assert comp["docs"] == len(m["split"]["heldout"]) >= 5
        assert f"compared on {comp['docs']} held-out document(s)" in out
        if n_week > 1:
            assert m["production"]["version"] == runs[-2]["version"]
            assert p["previous"] == runs[-2]["version"]

    # a document never changes sides as the data grows
    side: dict[str, str] = {}
    for m in runs:
        for k in m["split"]["heldout"]:
            assert side.setdefault(k, "heldout") == "heldout"
        for k in m["training"]["data"]["trained_on"]:
            assert side.setdefault(k, "train") == "train"
    assert set(runs[0]["split"]["heldout"]) < set(runs[1]["split"]["heldout"]) < set(
        runs[2]["split"]["heldout"])

    # the typo label of week 2 is an import error (file:line, did-you-mean), not a new type
    imp = runs[1]["import"]
    (typo,) = [r for r in imp["skipped"] if r["reason"] == "undeclared-label"]
    assert typo["file"] == f"s3://{bucket}/labeled/week2.jsonl" and typo["line"] == 5
    assert "ORGANIZAÇAO" in typo["message"] and "did you mean `ORGANIZACAO`?" in typo["message"]
    assert "ORGANIZAÇAO" not in imp["labels"]
    assert set(runs[1]["training"]["data"]["label_set"]) == {"PESSOA", "ORGANIZACAO"}

    # week 4: more data, but a truly worse model (one epoch): gated, PRODUCTION untouched
    before = pointer(s3, bucket)
    s3.put_object(Bucket=bucket, Key="labeled/week4.jsonl", Body=week(14, 24))
    capsys.readouterr()
    assert run_job(bucket, *GROW, "--max-epochs", "1") == 1
    out = capsys.readouterr().out
    assert "gated" in out and "FAIL" in out and f"PRODUCTION stays on {before['version']}" in out
    assert pointer(s3, bucket) == before
    rejected = sorted({k.split("/")[1] for k in keys(s3, bucket) if k.count("/") == 2}
                      - {m["version"] for m in runs})
    assert len(rejected) == 1
    g = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{rejected[0]}/gate.json")["Body"].read())
    assert g["status"] == "rejected" and g["comparison"]["seen_by_production"] == 0
    assert LABEL == "PESSOA"
