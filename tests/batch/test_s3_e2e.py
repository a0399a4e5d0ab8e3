"""End to end from S3: `entrec batch s3://bucket/prefix` (real CLI process) against moto's server
over HTTP (AWS_ENDPOINT_URL_S3), writing both tables; the broken document is one error row,
counted in the manifest."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def moto_s3(tmp_path_factory):
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_batch_from_s3(moto_s3, docset, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": moto_s3,
           "PYTHONPATH": str(ROOT)}
    for k in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(k, None)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_s3,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="acme-dev-entityrecognition")
    for f in sorted(docset.iterdir()):
        s3.put_object(Bucket="acme-dev-entityrecognition", Key=f"documents/mpo/{f.name}",
                      Body=f.read_bytes())
    s3.put_object(Bucket="acme-dev-entityrecognition", Key="documents/mpo/planilha.xlsx", Body=b"x")

    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch",
                        "s3://acme-dev-entityrecognition/documents/", "--out", str(out),
                        "--workers", "2"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["counts"]["documents"] == 5 and m["counts"]["documents_failed"] == 1
    (err,) = m["errors"]
    assert err["uri"] == "s3://acme-dev-entityrecognition/documents/mpo/quebrado.pdf"
    assert err["code"] == "pdf-unreadable"
    assert m["ignored"] == [{"uri": "s3://acme-dev-entityrecognition/documents/mpo/planilha.xlsx",
                             "reason": "unsupported file type"}]

    import pyarrow.dataset as ds

    pages = ds.dataset(out / "pages", format="parquet").to_table().to_pylist()
    errors = [p for p in pages if p["error"]]
    assert [(p["source_uri"].rsplit("/", 1)[1], p["unit_no"]) for p in errors] == [("quebrado.pdf", 0)]
    ents = ds.dataset(out / "entities", format="parquet").to_table().to_pylist()
    assert ents and all(e["source_uri"].startswith("s3://acme-dev-entityrecognition/") for e in ents)
    text = {(p["doc_id"], p["unit_kind"], p["unit_no"]): p["text"] for p in pages}
    assert all(text[(e["doc_id"], e["unit_kind"], e["unit_no"])][e["start"]:e["end"]] == e["text"]
               for e in ents)

    # unchanged objects are not extracted again
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch",
                        "s3://acme-dev-entityrecognition/documents/", "--out", str(out)],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["documents_reused"] == 5

    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", "s3://no-such-bucket/x",
                        "--out", str(tmp_path / "o2")], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "[source-unreadable]" in r.stderr and "Traceback" not in r.stderr
