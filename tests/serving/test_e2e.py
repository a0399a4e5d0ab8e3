"""End to end: the real `serve` entrypoint (gunicorn, 2 workers, preloaded app) on loopback,
with a real artifact; every content type, both models, errors, Batch Transform, shutdown."""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse

import pytest

TEXT = "A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV."  # same as conftest.TEXT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def call(url: str, method: str, path: str, body: bytes | None = None,
         headers: dict | None = None, chunked: bool = False) -> tuple[int, dict, bytes]:
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        if chunked:
            conn.putrequest(method, path)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for i in range(0, len(body or b""), 4096):
                part = body[i:i + 4096]
                conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            conn.send(b"0\r\n\r\n")
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def post(server, body, ctype="application/json", **headers):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return call(server.url, "POST", "/invocations", body, {"Content-Type": ctype, **headers})


def labels(entities):
    return sorted((e["label"], e["text"]) for e in entities if e["source"] != "model")


FULL = [("AGENTE", "CHESF"), ("INEQUALITY", "entre 525 kV e 550 kV"), ("SUBESTACAO", "SE Xingu")]


def test_ready_quickly_and_ping(server):
    status, _, body = call(server.url, "GET", "/ping")
    assert status == 200
    assert json.loads(body)["model"] == {"name": "entrec-test", "version": "2024.1"}
    # generous bound for a loaded 2-core CI box; docs/serving.md has the measured figure
    assert server.ready_after < 60


def test_json_both_models_and_headers(server):
    status, headers, body = post(server, {"text": TEXT, "models": ["entities", "inequalities"]})
    assert status == 200 and headers["content-type"].startswith("application/json")
    out = json.loads(body)
    assert labels(out["entities"]) == FULL
    assert labels(out["by_model"]["inequalities"]) == [("INEQUALITY", "entre 525 kV e 550 kV")]
    assert headers["x-entrec-model-name"] == "entrec-test"
    assert headers["x-request-id"]


def test_text_plain_with_custom_attributes(server):
    status, _, body = post(server, TEXT, "text/plain",
                           **{"X-Amzn-SageMaker-Custom-Attributes": "models=inequalities"})
    assert status == 200
    assert labels(json.loads(body)["entities"]) == [("INEQUALITY", "entre 525 kV e 550 kV")]


def test_batch_transform_multi_record_jsonlines(server):
    """SplitType=Line + MULTI_RECORD: N lines in, N lines out, same order."""
    texts = [f"Registro {i}: SE Xingu acima de {i} kV" if i % 3 else f"nada {i}" for i in range(120)]
    body = "".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts))
    status, headers, out = post(server, body, "application/jsonlines",
                                Accept="application/jsonlines")
    assert status == 200 and headers["content-type"].startswith("application/jsonlines")
    lines = out.decode().splitlines()
    assert len(lines) == len(texts)
    for i, line in enumerate(lines):
        rec = json.loads(line)
        assert rec["id"] == i
        got = labels(rec["entities"])
        if i % 3:
            assert ("SUBESTACAO", "SE Xingu") in got and ("INEQUALITY", f"acima de {i} kV") in got
        else:
            assert got == []


def test_execution_parameters(server):
    status, _, body = call(server.url, "GET", "/execution-parameters")
    assert status == 200
    assert json.loads(body) == {"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD",
                                "MaxPayloadInMB": 1}


@pytest.mark.parametrize("body, ctype, headers, status, code", [
    (b"", "application/json", {}, 400, "empty-body"),
    (b"\xc3\x28", "text/plain", {}, 400, "invalid-utf8"),
    (b'{"texts": [1]}', "application/json", {}, 400, "invalid-body"),
    (b'{"text": "a"}', "image/png", {}, 415, "unsupported-content-type"),
    (b'{"text": "a"}', "application/json", {"Accept": "text/html"}, 406, "not-acceptable"),
    (b"x" * 20_001, "text/plain", {}, 413, "text-too-long"),
    (b"x" * 200_001, "text/plain", {}, 413, "payload-too-large"),
])
def test_error_paths_over_http(server, body, ctype, headers, status, code):
    got, hdrs, out = call(server.url, "POST", "/invocations", body, {"Content-Type": ctype, **headers})
    assert got == status and hdrs["content-type"].startswith("application/json")
    assert json.loads(out)["error"]["code"] == code


def test_chunked_upload(server):
    ok = json.dumps({"texts": ["SE Xingu"] * 10}).encode()
    status, _, out = call(server.url, "POST", "/invocations", ok,
                          {"Content-Type": "application/json"}, chunked=True)
    assert status == 200 and len(json.loads(out)["results"]) == 10
    status, _, out = call(server.url, "POST", "/invocations", b"x" * 300_000,
                          {"Content-Type": "text/plain"}, chunked=True)
    assert status == 413 and json.loads(out)["error"]["code"] == "payload-too-large"


def test_access_log_is_json_with_request_id(server):
    post(server, {"text": "SE Xingu"}, **{"X-Amzn-RequestId": "e2e-req-42"})
    for _ in range(50):
        hits = [r for r in server.logs() if r.get("request_id") == "e2e-req-42"]
        if hits:
            break
        time.sleep(0.1)
    assert hits, server.stderr_lines[-10:]
    rec = hits[-1]
    assert rec["event"] == "access" and rec["status"] == 200 and rec["path"] == "/invocations"
    assert isinstance(rec["latency_ms"], float) and rec["n_texts"] == 1


def test_workers_share_the_preloaded_model(server):
    """Load/verify happened once, in the master, before forking."""
    events = [r.get("event") for r in server.logs()]
    assert events.count("models-ready") == 1
    assert events.count("server-ready") == 1


def test_default_engine_and_graceful_sigterm(serve_control):
    """No --model: embedded defaults. SIGTERM mid-request: the request completes, exit 0,
    well inside SageMaker's 30 s window."""
    start_server, stop_server = serve_control.start, serve_control.stop
    srv = start_server(None, {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"})
    try:
        status, _, body = post(srv, {"text": "entre 525 kV e 550 kV"})
        assert status == 200
        assert json.loads(body)["model"]["name"] == "entrec-default"
        result: dict = {}
        big = {"texts": [TEXT] * 400}

        def slow_request() -> None:
            result["r"] = post(srv, big)

        t = threading.Thread(target=slow_request)
        t.start()
        time.sleep(0.3)
        rc, seconds = stop_server(srv)
        t.join(30)
        assert rc == 0 and seconds < 25
        assert result["r"][0] == 200 and len(json.loads(result["r"][2])["results"]) == 400
    finally:
        stop_server(srv)


def test_bad_artifact_stops_startup(artifact, tmp_path, serve_control):
    """A tampered artifact ends `serve` at start with exit 2 and a JSON error line."""
    import subprocess
    import sys

    from entrec.engine.artifact import safe_extract

    d = safe_extract(artifact, tmp_path / "m")
    (d / "manifest.json").write_text(
        (d / "manifest.json").read_text().replace('"version": "2024.1"', '"version": "x"'))
    (d / "grammars" / "inequality.lark").write_text("tampered")
    proc = subprocess.run([sys.executable, "-m", "entrec.serving.entrypoint", "serve", "--model", str(d),
                           "--port", "1"], cwd=serve_control.root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    line = json.loads(proc.stderr.strip().splitlines()[-1])
    assert line["code"] == "artifact-checksum-mismatch" and "inequality.lark" in line["msg"]


def test_keepalive_connection_is_closed_after_its_request_quota(default_server):
    """The 100th request on one keep-alive connection is answered with `Connection: close`
    (so clients reconnect and spread over the workers); the ones before keep it open."""
    from entrec.serving.http_worker import KEEPALIVE_REQUESTS_DEFAULT

    u = urllib.parse.urlsplit(default_server.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        answers = []
        for _ in range(KEEPALIVE_REQUESTS_DEFAULT):
            conn.request("GET", "/ping")
            r = conn.getresponse()
            r.read()
            answers.append((r.status, (r.getheader("Connection") or "").lower()))
        assert all(status == 200 for status, _ in answers)
        assert [c for _, c in answers[:-1]].count("close") == 0
        assert answers[-1][1] == "close"
        conn.request("GET", "/ping")  # http.client reconnects on its own after a close
        assert conn.getresponse().status == 200
    finally:
        conn.close()
