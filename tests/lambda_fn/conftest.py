"""Fixtures for the Lambda tests: real peers on loopback, never a patched boto3.

- `moto_url`: moto's server mode (Secrets Manager holds the token key set).
- `runtime_stub`: a small HTTP server answering SageMaker Runtime's `InvokeEndpoint`
  route like the service does (200, or 424 ModelError, throttling, slowness), per endpoint
  name, recording every request it gets.
- `jwks_server`: an OIDC issuer's JWKS document on loopback (RS256 + ES256 keys).
Event builders and the policy evaluator live in `lambda_fn_support.py`.
"""
from __future__ import annotations

import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_DIR = ROOT / "lambda"
for _p in (LAMBDA_DIR, Path(__file__).resolve().parent):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from lambda_fn_support import ACCOUNT, REGION  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _aws_env():
    """Fake credentials and region for every botocore client in these tests (restored after
    each module, so the rest of the suite sees its own environment)."""
    mp = pytest.MonkeyPatch()
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        mp.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL",
              "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "ENDPOINT_NAME"):
        mp.delenv(k, raising=False)
    yield
    mp.undo()


# --- moto (Secrets Manager) ----------------------------------------------------------------

@pytest.fixture(scope="session")
def moto_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def secrets_client(moto_url):
    import boto3

    return boto3.client("secretsmanager", region_name=REGION, endpoint_url=moto_url)


@pytest.fixture()
def secret_id(secrets_client, request):
    """A fresh key-set secret per test (unique name; moto state is shared by the session)."""
    from entrec import keyset as tokens

    name = f"entrec/test/{request.node.name[:40]}-{time.monotonic_ns()}"
    name = re.sub(r"[^A-Za-z0-9/_+=.@-]", "-", name)
    tokens.create_keyset_secret(secrets_client, name, tokens.new_keyset())
    return name


# --- HTTP helpers ------------------------------------------------------------------------------

class _Server:
    def __init__(self, handler_cls):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- SageMaker Runtime stub ------------------------------------------------------------------

@dataclass
class RuntimeStub:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    slow_seconds: float = 2.0

    def calls(self, endpoint: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["endpoint"] == endpoint]


def _model_error(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    body = {"Message": f"Received client error ({status}) from primary with message \"{message}\".",
            "OriginalStatusCode": status, "OriginalMessage": message,
            "LogStreamArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/x"}
    return 424, {"x-amzn-ErrorType": "ModelError"}, json.dumps(body).encode()


@pytest.fixture(scope="session")
def runtime_stub():
    """Endpoint names choose the behaviour: ok, bad-input, too-large, model-crash, throttled,
    not-found, slow. Each answers the way SageMaker Runtime's HTTP API does."""
    stub = RuntimeStub(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # keep test output clean
            pass

        def do_POST(self):
            m = re.fullmatch(r"/endpoints/([^/]+)/invocations", self.path)
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n)
            name = m.group(1) if m else ""
            stub.requests.append({"endpoint": name, "headers": {k.lower(): v for k, v in self.headers.items()},
                                  "body": body})
            if name == "slow":
                time.sleep(stub.slow_seconds)
            if name in ("ok", "slow"):
                doc = json.loads(body)
                out = {"entities": [], "model": {"name": "stub", "version": "1"}, "echo": doc}
                status, headers, data = 200, {"Content-Type": "application/json"}, json.dumps(out).encode()
            elif name == "bad-input":
                status, headers, data = _model_error(400, json.dumps(
                    {"error": {"code": "invalid-lang", "message": "lang 'xx' is not supported"}}))
            elif name == "too-large":
                status, headers, data = _model_error(413, json.dumps(
                    {"error": {"code": "payload-too-large", "message": "over the predictor's limit"}}))
            elif name == "model-crash":
                status, headers, data = _model_error(500, "Internal Server Error")
            elif name == "throttled":
                status, headers = 400, {"x-amzn-ErrorType": "ThrottlingException"}
                data = json.dumps({"message": "Rate exceeded"}).encode()
            else:
                status, headers = 400, {"x-amzn-ErrorType": "ValidationError"}
                data = json.dumps({"message": f"Endpoint {name} of account {ACCOUNT} not found."}).encode()
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("x-amzn-RequestId", "stub-req")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

    server = _Server(Handler)
    stub.url = server.url
    yield stub
    server.close()


# --- OIDC JWKS ---------------------------------------------------------------------------------

@dataclass
class Oidc:
    issuer: str
    jwks_url: str
    rsa_key: Any
    ec_key: Any
    hits: list[str]


@pytest.fixture(scope="session")
def jwks_server():
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from jwt.algorithms import ECAlgorithm, RSAAlgorithm

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))
    rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))
    ec_jwk.update(kid="ec-1", use="sig")  # no "alg": the curve pins ES256
    doc = json.dumps({"keys": [rsa_jwk, ec_jwk]}).encode()
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            hits.append(self.path)
            if self.path != "/.well-known/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(doc)))
            self.end_headers()
            self.wfile.write(doc)

    server = _Server(Handler)
    yield Oidc(issuer="https://idp.example.test/realm", jwks_url=f"{server.url}/.well-known/jwks.json",
               rsa_key=rsa_key, ec_key=ec_key, hits=hits)
    server.close()
