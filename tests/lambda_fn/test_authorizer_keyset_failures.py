"""Authorizer when the key set cannot be had (issue 16 item 5): always a clean 401, never an
exception, and at most one Secrets Manager fetch per refresh interval, failed or not.

Secrets Manager is moto's server mode over HTTP (a dedicated one per test when the test stops
it), an endpoint where nothing listens, or a loopback server that counts the HTTP calls it
gets and answers 503. Time is a fake clock handed to the authorizer, so no test sleeps.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import jwt
import pytest

import authorizer as au
from entrec import keyset as tokens
from lambda_fn_support import REGION, authorizer_event, free_port

ENT = "/v1/entities"
KINDS = ["request", "token", "v2"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def outcome(authz: au.Authorizer, kind: str, token: str) -> str:
    """'allow' or 'unauthorized'; any other exception fails the test (that is the bug)."""
    try:
        authz(authorizer_event(kind, ENT, f"Bearer {token}"), None)
    except Exception as exc:
        assert type(exc) is Exception and str(exc) == "Unauthorized", f"not a clean 401: {exc!r}"
        return "unauthorized"
    return "allow"


def make(endpoint: str, secret_id: str, clock: Clock, **over) -> au.Authorizer:
    kw = dict(keyset_secret_id=secret_id, secrets_endpoint_url=endpoint, region=REGION,
              keyset_cache_seconds=300, keyset_min_refresh_seconds=30)
    kw.update(over)
    return au.Authorizer(au.Settings(**kw), clock=clock)


def some_token(kid: str = "k-unknown") -> str:
    now = int(time.time())
    return jwt.encode({"iss": "entrec", "aud": "entrec-api", "sub": "a", "scope": "entities:invoke",
                       "iat": now, "exp": now + 600, "jti": "j1"}, b"x" * 32, algorithm="HS256",
                      headers={"kid": kid})


@pytest.fixture()
def counting_sm():
    """A Secrets Manager endpoint that is down: counts every HTTP call, answers 503."""
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            calls.append(self.headers.get("X-Amz-Target", ""))
            body = json.dumps({"__type": "ServiceUnavailable", "message": "down"}).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", calls
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("kind", KINDS)
def test_cold_container_with_unreachable_secrets_manager_denies_every_token(kind):
    clock = Clock()
    authz = make(f"http://127.0.0.1:{free_port()}", "entrec/keys", clock)  # nothing listens there
    for i in range(10):
        assert outcome(authz, kind, some_token(f"k{i}")) == "unauthorized"
    assert authz.keys.fetches == 1  # ten requests in the same second: one fetch
    clock.now += 31
    assert outcome(authz, kind, some_token()) == "unauthorized"
    assert authz.keys.fetches == 2  # the next interval may try again, once


def test_failed_fetches_are_rate_limited_on_the_wire(counting_sm):
    url, calls = counting_sm
    clock = Clock()
    authz = make(url, "entrec/keys", clock)
    for i in range(10):
        clock.now += 0.1  # 10 requests in 1 s
        assert outcome(authz, "request", some_token(f"k{i}")) == "unauthorized"
    assert authz.keys.fetches == 1
    first = len(calls)
    assert 1 <= first <= 2, calls  # one fetch = botocore's attempts (at most 2), not 10 fetches
    assert set(calls) == {"secretsmanager.GetSecretValue"}
    clock.now += 30
    assert outcome(authz, "request", some_token()) == "unauthorized"
    assert authz.keys.fetches == 2 and first < len(calls) <= 2 * first


def test_warm_container_denies_cleanly_once_secrets_manager_goes_down():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    stopped = False
    try:
        client = boto3.client("secretsmanager", region_name=REGION, endpoint_url=url)
        name = f"entrec/warm-{time.monotonic_ns()}"
        tokens.create_keyset_secret(client, name, tokens.new_keyset())
        issued = tokens.issue(tokens.load_keyset(client, name), sub="app", scopes=["entities:invoke"],
                              ttl=3600)
        tokens.store_keyset(client, name, issued.keyset)
        clock = Clock()
        authz = make(url, name, clock)
        assert outcome(authz, "request", issued.token) == "allow"  # warm: key set cached
        assert authz.keys.fetches == 1
        server.stop()
        stopped = True
        clock.now += 60  # past the refresh interval: an unknown kid makes the cache refetch
        for i in range(10):  # was: unhandled KeySetError -> API Gateway 500
            assert outcome(authz, "request", some_token(f"rotated-{i}")) == "unauthorized"
        assert authz.keys.fetches == 2  # one failed refresh, not ten
        assert outcome(authz, "request", issued.token) == "allow"  # cached keys still valid (< ttl)
        clock.now += 300  # past the cache's ttl with Secrets Manager still down: fail closed
        for kind in KINDS:
            assert outcome(authz, kind, issued.token) == "unauthorized"
        assert authz.keys.fetches == 3
    finally:
        if not stopped:
            server.stop()


@pytest.mark.parametrize("secret", [
    "not json at all",
    "[" * 100_000,  # RecursionError inside json, not a ValueError
    json.dumps({"format": "entrec_tokens"}),
    json.dumps({"format": "something-else", "current": {}}),
    json.dumps([1, 2, 3]),
])
def test_malformed_key_set_is_a_deny(secrets_client, moto_url, secret, request):
    name = f"entrec/bad-{time.monotonic_ns()}"
    secrets_client.create_secret(Name=name, SecretString=secret)
    authz = make(moto_url, name, Clock())
    for kind in KINDS:
        assert outcome(authz, kind, some_token()) == "unauthorized"
    assert authz.keys.fetches == 1


def test_recovers_after_the_interval_when_the_key_set_appears(secrets_client, moto_url):
    name = f"entrec/late-{time.monotonic_ns()}"
    clock = Clock()
    authz = make(moto_url, name, clock)
    assert outcome(authz, "request", some_token()) == "unauthorized"  # secret not there yet
    ks = tokens.new_keyset()
    tokens.create_keyset_secret(secrets_client, name, ks)
    issued = tokens.issue(ks, sub="app", scopes=["entities:invoke"], ttl=600)
    tokens.store_keyset(secrets_client, name, issued.keyset)
    clock.now += 5
    assert outcome(authz, "request", issued.token) == "unauthorized"  # inside the interval
    assert authz.keys.fetches == 1
    clock.now += 30
    assert outcome(authz, "request", issued.token) == "allow"
    assert authz.keys.fetches == 2


def test_unexpected_fetch_error_is_a_deny():
    """Whatever the fetch raises (here json's TypeError on a non-string secret) is a 401."""

    class BrokenClient:
        def get_secret_value(self, **kw):
            return {"SecretString": 12345}

    authz = au.Authorizer(au.Settings(keyset_secret_id="x", keyset_min_refresh_seconds=30),
                          keyset_client=BrokenClient(), clock=Clock())
    assert outcome(authz, "request", some_token()) == "unauthorized"
    assert authz.keys.failures == 1
