"""Proxy handler: request validation, both event versions, and the endpoint error mapping.

The endpoint is a real HTTP server on loopback answering SageMaker Runtime's InvokeEndpoint
route (conftest `runtime_stub`), reached by an unpatched botocore client via endpoint_url.
"""
from __future__ import annotations

import json
import time

import pytest

import lambda_function as lf
from lambda_fn_support import free_port, proxy_event

ENT, INEQ = "/v1/entities", "/v1/inequalities"
VERSIONS = ["1.0", "2.0"]


def make(stub_url: str, endpoint: str = "ok", **over) -> lf.Proxy:
    kw = dict(endpoint_name=endpoint, endpoint_url=stub_url, region="us-east-1", connect_timeout=1.0,
              read_timeout=5.0, max_attempts=1)
    kw.update(over)
    return lf.Proxy(lf.Settings(**kw))


def call(proxy: lf.Proxy, version: str, path: str = ENT, body=None, **kw) -> tuple[int, dict, dict]:
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    resp = proxy(proxy_event(version, path, body, **kw), None)
    assert resp["isBase64Encoded"] is False
    assert resp["headers"]["Content-Type"] == "application/json"
    return resp["statusCode"], (json.loads(resp["body"]) if resp["body"] else {}), resp["headers"]


def assert_error(status, doc, headers, expected_status, code, request_id="req-123"):
    assert (status, doc["error"]["code"]) == (expected_status, code), doc
    assert doc["error"]["request_id"] == request_id
    assert headers["X-Request-Id"] == request_id
    assert doc["error"]["message"]


# --- success path -----------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path,models", [(ENT, ["entities"]), (INEQ, ["inequalities"])])
def test_forwards_body_with_route_models_and_request_id(runtime_stub, version, path, models):
    proxy = make(runtime_stub.url)
    before = len(runtime_stub.requests)
    status, doc, headers = call(proxy, version, path, {"text": "SE Xingu entre 525 kV e 550 kV", "lang": "pt"},
                                request_id=f"rid-{version}")
    assert status == 200
    assert doc["echo"] == {"text": "SE Xingu entre 525 kV e 550 kV", "lang": "pt", "models": models}
    assert headers["X-Request-Id"] == f"rid-{version}"
    sent = runtime_stub.requests[before:]
    assert len(sent) == 1
    assert sent[0]["headers"]["x-amzn-sagemaker-inference-id"] == f"rid-{version}"
    assert sent[0]["headers"]["content-type"] == "application/json"
    assert sent[0]["headers"]["authorization"].startswith("AWS4-HMAC-SHA256")  # a real signed call
    status, doc, _ = call(proxy, version, path, {"text": "a", "id": "doc-7"})
    assert (status, doc["echo"]["id"]) == (200, "doc-7")


@pytest.mark.parametrize("version", VERSIONS)
def test_base64_body_and_batch(runtime_stub, version):
    body = json.dumps({"texts": ["Tensão acima de 500 kV", "CHESF"]}, ensure_ascii=False).encode("utf-8")
    status, doc, _ = call(make(runtime_stub.url), version, INEQ, body)
    assert status == 200
    assert doc["echo"]["texts"] == ["Tensão acima de 500 kV", "CHESF"]


def test_target_variant_is_passed(runtime_stub):
    before = len(runtime_stub.requests)
    status, _, _ = call(make(runtime_stub.url, target_variant="canary"), "1.0", ENT, {"text": "x"})
    assert status == 200
    assert runtime_stub.requests[before]["headers"]["x-amzn-sagemaker-target-variant"] == "canary"


# --- validation (never reaches the endpoint) -------------------------------------------

BAD = [
    ("not json", "{nope", 400, "bad-json"),
    ("empty", "", 400, "empty-body"),
    ("array", [1, 2], 400, "invalid-body"),
    ("neither", {"lang": "pt"}, 400, "invalid-body"),
    ("both", {"text": "a", "texts": ["b"]}, 400, "invalid-body"),
    ("text not str", {"text": 5}, 400, "invalid-text"),
    ("texts empty", {"texts": []}, 400, "invalid-texts"),
    ("texts item", {"texts": ["a", None]}, 400, "invalid-texts"),
    ("unknown field", {"text": "a", "extra": 1}, 400, "unknown-field"),
    ("bad lang", {"text": "a", "lang": "xx"}, 400, "invalid-lang"),
    ("other models", {"text": "a", "models": ["inequalities"]}, 400, "models-not-allowed"),
    ("too many texts", {"texts": ["a"] * 101}, 413, "too-many-texts"),
    ("text too long", {"text": "a" * 100_001}, 413, "text-too-long"),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case,body,status,code", BAD, ids=[b[0] for b in BAD])
def test_bad_requests_are_clear_4xx(runtime_stub, version, case, body, status, code):
    before = len(runtime_stub.requests)
    assert_error(*call(make(runtime_stub.url), version, ENT, body), status, code)
    assert len(runtime_stub.requests) == before  # refused before calling the endpoint


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_base64_and_bad_utf8(runtime_stub, version):
    proxy = make(runtime_stub.url)
    ev = proxy_event(version, ENT, "not base64 at all!!")
    ev["isBase64Encoded"] = True
    resp = proxy(ev, None)
    assert (resp["statusCode"], json.loads(resp["body"])["error"]["code"]) == (400, "bad-base64")
    assert_error(*call(proxy, version, ENT, b'{"text": "\xff"}'), 400, "bad-encoding")


@pytest.mark.parametrize("version", VERSIONS)
def test_oversized_body_is_refused_before_calling(runtime_stub, version):
    before = len(runtime_stub.requests)
    big = json.dumps({"texts": ["x" * 60_000] * 105})  # 6.3 MB > 6,291,456 bytes
    assert len(big.encode()) > lf.MAX_PAYLOAD_BYTES
    proxy = make(runtime_stub.url, max_texts=1000)
    assert_error(*call(proxy, version, ENT, big), 413, "payload-too-large")
    assert_error(*call(proxy, version, ENT, big.encode()), 413, "payload-too-large")  # base64 too
    assert len(runtime_stub.requests) == before


def test_body_just_under_the_limit_but_too_big_once_wrapped_is_refused(runtime_stub):
    # The raw body fits, but the forwarded payload (with "models" added) would not.
    base = {"text": ""}
    room = lf.MAX_PAYLOAD_BYTES - len(json.dumps(base, separators=(",", ":")))
    body = json.dumps({"text": "y" * room}, separators=(",", ":"))
    assert len(body) == lf.MAX_PAYLOAD_BYTES
    before = len(runtime_stub.requests)
    proxy = make(runtime_stub.url, max_text_chars=10_000_000)
    assert_error(*call(proxy, "1.0", ENT, body), 413, "payload-too-large")
    assert len(runtime_stub.requests) == before


@pytest.mark.parametrize("version", VERSIONS)
def test_routing_method_and_media_types(runtime_stub, version):
    proxy = make(runtime_stub.url)
    assert_error(*call(proxy, version, "/v1/other", {"text": "a"}), 404, "route-not-found")
    status, doc, headers = call(proxy, version, ENT, None, method="GET")
    assert (status, doc["error"]["code"], headers["Allow"]) == (405, "method-not-allowed", "POST, OPTIONS")
    assert_error(*call(proxy, version, ENT, "a", headers={"Content-Type": "text/plain"}), 415,
                 "unsupported-media-type")
    assert_error(*call(proxy, version, ENT, {"text": "a"}, headers={"Accept": "text/csv"}), 406, "not-acceptable")
    status, _, _ = call(proxy, version, ENT, {"text": "a"},
                        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "*/*"})
    assert status == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_authorizer_context_scope_is_enforced(runtime_stub, version):
    proxy = make(runtime_stub.url)
    ctx = {"sub": "app", "scope": "inequalities:invoke", "jti": "j", "iss": "entrec"}
    assert_error(*call(proxy, version, ENT, {"text": "a"}, authorizer=ctx), 403, "scope-missing")
    assert call(proxy, version, INEQ, {"text": "a"}, authorizer=ctx)[0] == 200


# --- endpoint error mapping ---------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_endpoint_4xx_keeps_its_status_and_code(runtime_stub, version):
    assert_error(*call(make(runtime_stub.url, "bad-input"), version, ENT, {"text": "a"}), 400, "invalid-lang")
    assert_error(*call(make(runtime_stub.url, "too-large"), version, ENT, {"text": "a"}), 413, "payload-too-large")


@pytest.mark.parametrize("version", VERSIONS)
def test_endpoint_5xx_throttling_and_unknown_endpoint(runtime_stub, version):
    assert_error(*call(make(runtime_stub.url, "model-crash"), version, ENT, {"text": "a"}), 502, "model-failed")
    status, doc, headers = call(make(runtime_stub.url, "throttled"), version, ENT, {"text": "a"})
    assert (status, doc["error"]["code"], headers["Retry-After"]) == (429, "endpoint-throttled", "1")
    assert_error(*call(make(runtime_stub.url, "no-such-endpoint"), version, ENT, {"text": "a"}), 502,
                 "endpoint-error")


@pytest.mark.parametrize("version", VERSIONS)
def test_endpoint_down_is_502(version):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert_error(*call(make(dead), version, ENT, {"text": "a"}), 502, "endpoint-unavailable")


def test_slow_endpoint_is_504_within_the_configured_budget(runtime_stub):
    runtime_stub.slow_seconds = 2.0
    proxy = make(runtime_stub.url, "slow", read_timeout=0.5, max_attempts=2)
    before = len(runtime_stub.calls("slow"))
    t0 = time.monotonic()
    assert_error(*call(proxy, "2.0", ENT, {"text": "a"}), 504, "endpoint-timeout")
    elapsed = time.monotonic() - t0
    assert len(runtime_stub.calls("slow")) - before == 2  # standard-mode retry: 2 attempts in all
    assert elapsed < proxy.s.worst_case_seconds() + 0.5, (elapsed, proxy.s.worst_case_seconds())


def test_missing_endpoint_name_is_a_json_500(runtime_stub):
    assert_error(*call(make(runtime_stub.url, endpoint=None), "1.0", ENT, {"text": "a"}), 500, "proxy-misconfigured")


def test_not_an_api_gateway_event():
    resp = make("http://127.0.0.1:9")({"foo": "bar"}, None)
    assert resp["statusCode"] == 400 and json.loads(resp["body"])["error"]["code"] == "bad-event"


# --- CORS -------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_cors_from_configuration(runtime_stub, version):
    proxy = make(runtime_stub.url, cors_origins=("https://app.example.com",))
    _, _, h = call(proxy, version, ENT, {"text": "a"}, headers={"Origin": "https://app.example.com"})
    assert h["Access-Control-Allow-Origin"] == "https://app.example.com" and h["Vary"] == "Origin"
    _, _, h = call(proxy, version, ENT, {"text": 1}, headers={"Origin": "https://app.example.com"})
    assert h["Access-Control-Allow-Origin"] == "https://app.example.com"  # errors carry CORS too
    _, _, h = call(proxy, version, ENT, {"text": "a"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in h
    status, _, h = call(proxy, version, ENT, None, method="OPTIONS", headers={"Origin": "https://app.example.com"})
    assert status == 204 and h["Access-Control-Allow-Methods"] == "POST, OPTIONS"
    assert "authorization" in h["Access-Control-Allow-Headers"]
    _, _, h = call(make(runtime_stub.url), version, ENT, {"text": "a"}, headers={"Origin": "https://x"})
    assert not any(k.startswith("Access-Control") for k in h)  # no configuration, no CORS


def test_settings_from_env_and_timeout_budget(monkeypatch):
    monkeypatch.setenv("ENDPOINT_NAME", "ep")
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a, https://b")
    monkeypatch.setenv("SAGEMAKER_READ_TIMEOUT", "8")
    monkeypatch.setenv("MAX_PAYLOAD_BYTES", "99999999")  # cannot exceed SageMaker's limit
    s = lf.Settings.from_env()
    assert (s.endpoint_name, s.cors_origins, s.read_timeout) == ("ep", ("https://a", "https://b"), 8.0)
    assert s.max_payload_bytes == lf.MAX_PAYLOAD_BYTES
    default = lf.Settings()
    assert default.worst_case_seconds() == 25.0  # 2 x (2 + 10) + 1 s backoff
    assert default.worst_case_seconds() < 27 < 29  # < Lambda timeout < API Gateway's limit


def test_event_shape_variants(runtime_stub):
    proxy = make(runtime_stub.url)
    # v1 with only multiValueHeaders, odd header case
    ev = proxy_event("1.0", ENT, json.dumps({"text": "a"}))
    ev["headers"] = None
    ev["multiValueHeaders"] = {"CONTENT-TYPE": ["text/plain"]}
    resp = proxy(ev, None)
    assert (resp["statusCode"], json.loads(resp["body"])["error"]["code"]) == (415, "unsupported-media-type")
    # v2 $default route on a named stage: the path comes from rawPath minus the stage
    ev = proxy_event("2.0", INEQ, json.dumps({"text": "a"}))
    ev["routeKey"] = "$default"
    ev["rawPath"] = "/dev" + INEQ
    ev["requestContext"]["stage"] = "dev"
    resp = proxy(ev, None)
    assert resp["statusCode"] == 200 and json.loads(resp["body"])["echo"]["models"] == ["inequalities"]
    # no request id from API Gateway: the Lambda context's id is used
    ev = proxy_event("1.0", ENT, json.dumps({"text": 1}))
    del ev["requestContext"]["requestId"]

    class Ctx:
        aws_request_id = "lambda-ctx-id"

    resp = proxy(ev, Ctx())
    assert json.loads(resp["body"])["error"]["request_id"] == "lambda-ctx-id"
