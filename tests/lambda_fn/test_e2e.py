"""End to end on loopback: authorizer (key set in moto's Secrets Manager) -> IAM policy ->
proxy handler -> unpatched botocore `sagemaker-runtime` client with endpoint_url -> the real
predictor (serving/, under gunicorn, local SageMaker Runtime route) -> response.

Both API Gateway event versions: REST API (v1, REQUEST authorizer) and HTTP API (v2).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import authorizer as au
import lambda_function as lf
from entrec import keyset as tokens
from lambda_fn_support import authorizer_event, free_port, policy_allows, proxy_event

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "entrec-local"
TEXT = "Manter a tensão na SE Xingu entre 525 kV e 550 kV, conforme a IO-ON.NE.2NE."


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    port = free_port()
    model_dir = tmp_path_factory.mktemp("empty-model")  # empty: the embedded default engine
    env = {**os.environ, "SM_MODEL_DIR": str(model_dir), "ENTREC_LOCAL_ENDPOINT_NAME": ENDPOINT,
           "PYTHONPATH": str(ROOT)}
    log = tmp_path_factory.mktemp("predictor-log") / "serve.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "entrec.serving.entrypoint", "--host", "127.0.0.1",
                                 "--port", str(port), "--workers", "1", "--timeout", "30", "--local-runtime"],
                                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"predictor exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"predictor not ready after 180 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # gunicorn master + its workers (our own group)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture()
def stack(predictor, secrets_client, secret_id, moto_url):
    authz = au.Authorizer(au.Settings(keyset_secret_id=secret_id, secrets_endpoint_url=moto_url,
                                      region="us-east-1"))
    proxy = lf.Proxy(lf.Settings(endpoint_name=ENDPOINT, endpoint_url=predictor, region="us-east-1",
                                 read_timeout=20))

    def issue(*scopes: str) -> str:
        ks = tokens.load_keyset(secrets_client, secret_id)
        issued = tokens.issue(ks, sub="e2e-app", scopes=list(scopes), ttl=600)
        tokens.store_keyset(secrets_client, secret_id, issued.keyset)
        return issued.token

    return authz, proxy, issue


def through_gateway(authz, proxy, version: str, path: str, token: str | None, body: dict) -> tuple[int, dict]:
    """What API Gateway does: authorizer, policy check, then the integration with its context."""
    kind = "request" if version == "1.0" else "v2"
    ev = authorizer_event(kind, path, f"Bearer {token}" if token else None)
    try:
        policy = authz(ev, None)
    except Exception as exc:
        assert str(exc) == "Unauthorized"
        return 401, {"message": "Unauthorized"}
    if not policy_allows(policy, ev.get("methodArn") or ev["routeArn"]):
        return 403, {"message": "User is not authorized to access this resource with an explicit deny"}
    ctx = dict(policy["context"])
    if version == "1.0":
        ctx["principalId"] = policy["principalId"]
    resp = proxy(proxy_event(version, path, json.dumps(body, ensure_ascii=False), authorizer=ctx,
                             request_id=f"e2e-{version}-{time.monotonic_ns()}"), None)
    return resp["statusCode"], json.loads(resp["body"])


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_entities_and_inequalities_end_to_end(stack, version):
    authz, proxy, issue = stack
    token = issue("entities:invoke", "inequalities:invoke")
    status, doc = through_gateway(authz, proxy, version, "/v1/inequalities", token, {"text": TEXT, "lang": "pt"})
    assert status == 200, doc
    assert doc["entities"] and {e["label"] for e in doc["entities"]} == {"INEQUALITY"}
    ineq = doc["entities"][0]
    assert TEXT[ineq["start"]:ineq["end"]] == ineq["text"]
    assert (ineq["value"]["op"], ineq["value"]["low"], ineq["value"]["high"], ineq["value"]["unit"]) == \
        ("between", 525, 550, "kV")

    status, doc = through_gateway(authz, proxy, version, "/v1/entities", token,
                                  {"texts": [TEXT, "Sem entidades aqui."]})
    assert status == 200, doc
    assert len(doc["results"]) == 2
    labels = {e["label"] for e in doc["results"][0]["entities"]}
    assert "INEQUALITY" in labels and len(labels) >= 2, labels  # the full engine: rules + grammar
    assert doc["model"]["name"]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_scope_and_auth_failures_never_reach_the_endpoint(stack, version):
    authz, proxy, issue = stack
    only_entities = issue("entities:invoke")
    assert through_gateway(authz, proxy, version, "/v1/inequalities", only_entities, {"text": TEXT})[0] == 403
    assert through_gateway(authz, proxy, version, "/v1/entities", None, {"text": TEXT})[0] == 401
    assert through_gateway(authz, proxy, version, "/v1/entities", only_entities + "x", {"text": TEXT})[0] == 401
    assert through_gateway(authz, proxy, version, "/v1/entities", only_entities, {"text": TEXT})[0] == 200


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_predictor_4xx_comes_back_with_its_status_and_code(stack, version):
    authz, proxy, issue = stack
    token = issue("entities:invoke")
    status, doc = through_gateway(authz, proxy, version, "/v1/entities", token, {"text": TEXT, "id": [1, 2]})
    assert status == 400, doc
    assert doc["error"]["code"] == "invalid-id"
    assert doc["error"]["request_id"].startswith(f"e2e-{version}")


def test_unknown_endpoint_name_is_502(predictor):
    proxy = lf.Proxy(lf.Settings(endpoint_name="not-" + ENDPOINT, endpoint_url=predictor, region="us-east-1"))
    resp = proxy(proxy_event("1.0", "/v1/entities", json.dumps({"text": TEXT})), None)
    assert resp["statusCode"] == 502
    assert json.loads(resp["body"])["error"]["code"] == "endpoint-error"


def test_local_development_through_standard_aws_env(predictor, monkeypatch):
    """docs/rest-api.md: ENDPOINT_NAME + AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME point the handler at a local predictor."""
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", predictor)
    proxy = lf._default_proxy()
    resp = proxy(proxy_event("2.0", "/v1/inequalities", json.dumps({"text": "acima de 500 MW"})), None)
    assert resp["statusCode"] == 200, resp["body"]
    ent = json.loads(resp["body"])["entities"][0]
    assert (ent["value"]["op"], ent["value"]["low"], ent["value"]["unit"]) == ("gt", 500, "MW")
