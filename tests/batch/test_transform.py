"""Batch Transform: the CreateTransformJob request against moto's server over HTTP, and the
predictor (gunicorn on loopback) fed real MultiRecord bodies packed the way the platform packs
them (JSON Lines, SplitType Line, InputFilter, JoinSource Input), then `entrec batch collect`."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyarrow.dataset as ds
import pytest

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

from entrec.batch.transform import INPUT_FILTER, pack_multirecord, local_transform  # noqa: E402
from entrec.documents import read_document  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def moto_url():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _env(moto_url: str) -> dict:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_url, "PYTHONPATH": str(ROOT)}
    env.pop("AWS_PROFILE", None)
    return env


def test_transform_request_reaches_sagemaker(moto_url, tmp_path):
    sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=moto_url,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    sm.create_model(ModelName="entrec-dev-2026", ExecutionRoleArn="arn:aws:iam::123456789012:role/sm",
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/entrec:1"})
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "transform", "s3://acme/units/",
                        "--output", "s3://acme/transform-out/", "--model-name", "entrec-dev-2026",
                        "--job-name", "entrec-t1"], capture_output=True, text=True, env=_env(moto_url))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["TransformJobName"] == "entrec-t1"
    desc = sm.describe_transform_job(TransformJobName="entrec-t1")
    assert desc["BatchStrategy"] == "MultiRecord" and desc["MaxPayloadInMB"] == 6
    assert desc["TransformInput"]["SplitType"] == "Line"
    assert desc["TransformInput"]["ContentType"] == "application/jsonlines"
    assert desc["TransformOutput"]["AssembleWith"] == "Line"
    assert desc["DataProcessing"] == {"InputFilter": INPUT_FILTER, "JoinSource": "Input",
                                      "OutputFilter": "$"}
    assert int(desc["Environment"]["ENTREC_MAX_PAYLOAD_BYTES"]) == 6 * 1024 * 1024

    r = subprocess.run([sys.executable, "-m", "entrec.cli", "transform", "units/", "--output",
                        "s3://acme/o/", "--model-name", "m"], capture_output=True, text=True,
                       env=_env(moto_url))
    assert r.returncode == 2 and "[bad-option]" in r.stderr and "Traceback" not in r.stderr


def test_multirecord_packing_respects_the_payload_limit():
    lines = [json.dumps({"doc_id": "d", "unit_no": i, "text": "x" * 40}) for i in range(10)]
    batches = list(pack_multirecord(lines, max_payload_bytes=120))
    assert [len(b) for b in batches] == [2, 2, 2, 2, 2]  # 55 bytes each, filtered to text only
    assert sum(batches, []) == lines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def predictor():
    """`serve` (gunicorn, the embedded default engine) on loopback, stopped with SIGTERM."""
    port = _free_port()
    env = {**os.environ, "SAGEMAKER_BIND_TO_PORT": str(port), "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
           "ENTREC_MAX_TEXTS": "100000", "PYTHONPATH": str(ROOT)}
    env.pop("SM_MODEL_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "entrec.serving.entrypoint", "serve", "--host",
                             "127.0.0.1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "predictor did not become ready"
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=40)


def test_transform_through_the_predictor_then_collect(predictor, docset, tmp_path):
    from entrec.batch import run_batch
    from entrec.batch.transform import collect

    units = [u.to_dict() for f in sorted(docset.iterdir()) for u in read_document(f.read_bytes(), str(f))]
    units = [u for u in units if not u["error"] and u["text"].strip()]
    lines = [json.dumps(u, ensure_ascii=False) for u in units]
    # a small payload limit forces several MultiRecord requests
    out_lines = list(local_transform(lines, predictor, max_payload_bytes=400))
    assert len(out_lines) == len(lines)
    out_dir = tmp_path / "transform-out"
    out_dir.mkdir()
    (out_dir / "units.jsonl.out").write_text("\n".join(out_lines) + "\n", encoding="utf-8")
    (out_dir / "junk.out").write_text('{"text": "sem resultado"}\n', encoding="utf-8")

    result = collect(str(out_dir), tmp_path / "tables")
    assert [e["code"] for e in result.manifest["errors"]] == ["bad-jsonl"]  # the junk line, counted
    pages = ds.dataset(tmp_path / "tables" / "pages", format="parquet").to_table().to_pylist()
    ents = ds.dataset(tmp_path / "tables" / "entities", format="parquet").to_table().to_pylist()
    by_key = {(p["doc_id"], p["unit_kind"], p["unit_no"]): p for p in pages}
    for e in ents:
        assert by_key[(e["doc_id"], e["unit_kind"], e["unit_no"])]["text"][e["start"]:e["end"]] == e["text"]

    local = run_batch([str(docset)], tmp_path / "local")
    local_ents = ds.dataset(tmp_path / "local" / "entities", format="parquet").to_table().to_pylist()
    key = lambda e: (e["doc_id"], e["unit_no"], e["start"], e["end"], e["label"], e["source_uri"])  # noqa: E731
    # the predictor answers with both models (union): everything the engine finds is there
    assert {key(e) for e in local_ents} <= {key(e) for e in ents}
    assert len(local_ents) > 5
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", "collect", str(out_dir),
                        "--out", str(tmp_path / "t2"), "--quiet"], capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["entities"] == len(ents)
