"""Helpers shared by the Lambda tests (imported by name: conftest puts this folder on sys.path).

Event builders for API Gateway REST (v1) and HTTP API (v2) proxy and authorizer events, and
`policy_allows`, the IAM evaluation API Gateway applies to an authorizer's policy.
"""
from __future__ import annotations

import base64
import json
import re
import socket
import urllib.error
import urllib.request
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
API_ID = "abcdef1234"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- API Gateway events --------------------------------------------------------------------------

def method_arn(method: str, path: str, stage: str = "prod") -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{stage}/{method}/{path.lstrip('/')}"


def proxy_event(version: str, path: str, body: str | bytes | None, *, method: str = "POST",
                headers: dict[str, str] | None = None, b64: bool = False,
                authorizer: dict[str, Any] | None = None, request_id: str = "req-123") -> dict[str, Any]:
    headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, bytes) or b64:
        raw = body if isinstance(body, bytes) else (body or "").encode()
        body, b64 = base64.b64encode(raw).decode(), True
    if version == "1.0":
        ev: dict[str, Any] = {
            "resource": path, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": None, "pathParameters": None, "stageVariables": None,
            "requestContext": {"requestId": request_id, "stage": "prod", "httpMethod": method,
                               "resourcePath": path, "accountId": ACCOUNT, "apiId": API_ID},
            "body": body, "isBase64Encoded": b64}
        if authorizer is not None:
            ev["requestContext"]["authorizer"] = authorizer
        return ev
    ev = {"version": "2.0", "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": "",
          "headers": {k.lower(): v for k, v in headers.items()},
          "requestContext": {"requestId": request_id, "stage": "$default", "accountId": ACCOUNT, "apiId": API_ID,
                             "routeKey": f"{method} {path}",
                             "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                      "sourceIp": "127.0.0.1", "userAgent": "pytest"}},
          "body": body, "isBase64Encoded": b64}
    if authorizer is not None:
        ev["requestContext"]["authorizer"] = {"lambda": authorizer}
    return ev


def authorizer_event(kind: str, path: str, authorization: str | None, method: str = "POST") -> dict[str, Any]:
    """kind: 'token' (v1 TOKEN), 'request' (v1 REQUEST) or 'v2' (HTTP API payload 2.0)."""
    if kind == "token":
        ev = {"type": "TOKEN", "methodArn": method_arn(method, path)}
        if authorization is not None:
            ev["authorizationToken"] = authorization
        return ev
    headers = {"Authorization": authorization} if authorization is not None else {}
    if kind == "request":
        return {"type": "REQUEST", "methodArn": method_arn(method, path), "resource": path, "path": path,
                "httpMethod": method, "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "requestContext": {"requestId": "auth-req", "stage": "prod", "accountId": ACCOUNT, "apiId": API_ID}}
    return {"version": "2.0", "type": "REQUEST", "routeArn": method_arn(method, path, stage="$default"),
            "identitySource": [authorization] if authorization is not None else [],
            "routeKey": f"{method} {path}", "rawPath": path, "rawQueryString": "",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"requestId": "auth-req", "stage": "$default", "accountId": ACCOUNT, "apiId": API_ID,
                               "http": {"method": method, "path": path}}}


def _arn_pattern(resource: str) -> re.Pattern:
    return re.compile("^" + ".*".join(re.escape(p).replace(r"\?", ".") for p in resource.split("*")) + "$")


def policy_allows(policy: dict[str, Any], arn: str) -> bool:
    """IAM evaluation as API Gateway applies an authorizer policy: explicit Deny wins, then Allow."""
    allowed = False
    for st in policy["policyDocument"]["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
            continue
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        if any(_arn_pattern(r).match(arn) for r in resources):
            if st["Effect"] == "Deny":
                return False
            allowed = True
    return allowed


def http_json(url: str, payload: dict | None = None, timeout: float = 10) -> tuple[int, Any]:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
