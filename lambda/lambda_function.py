"""API Gateway -> SageMaker Runtime proxy: `POST /v1/entities` and `POST /v1/inequalities`.

Accepts REST API (payload 1.0) and HTTP API (payload 2.0) proxy events, base64 bodies
included; validates the JSON body (`text` or `texts`, `lang`) with clear 400/413s; the route
picks the predictor models; forwards to `invoke_endpoint` and returns the predictor's JSON.
Endpoint failures come back as JSON `{"error": {"code", "message", "request_id"}}`:
ModelError with a 4xx original status -> that status; throttling -> 429; timeouts -> 504;
anything else from the endpoint -> 502.

Why botocore and not boto3: `import boto3` drags in s3transfer (~60% of its import time);
`botocore.session.create_client` builds the very same client. Why no aws-lambda-powertools
here (the authorizer uses it): its event classes cost ~90 ms of CPU at import (the package
`__init__`s pull in Logger, Metrics, Tracer and every event class), 60% of the 150 ms cold
import budget, and ~1 MB of zip, to read six fields of two documented event shapes;
`_parse_event` does that, tested on both payload versions. This zip bundles no third-party
code at all. The client is created once
per container, at import when `ENDPOINT_NAME` is set (Lambda's init phase), with explicit
timeouts and retries whose worst case fits API Gateway's 29 s (see docs/rest-api.md).

Environment: ENDPOINT_NAME (required), TARGET_VARIANT, SAGEMAKER_CONNECT_TIMEOUT (2),
SAGEMAKER_READ_TIMEOUT (10), SAGEMAKER_MAX_ATTEMPTS (2), CORS_ALLOW_ORIGINS ("" = no CORS
headers; "*" or a comma list), CORS_ALLOW_HEADERS, CORS_MAX_AGE, MAX_TEXTS (100),
MAX_TEXT_CHARS (100000), ALLOWED_LANGS ("pt,en"), AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (local dev).
"""
from __future__ import annotations

import binascii
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

try:  # inside the zip: vendored copy of keyset/__init__.py (stdlib only on this path)
    import entrec_tokens as tokens
except ImportError:  # running from the checkout
    from entrec import keyset as tokens

__all__ = ["Settings", "Proxy", "ProxyError", "lambda_handler", "MAX_PAYLOAD_BYTES"]

log = logging.getLogger("entrec.proxy")
log.setLevel(os.environ.get("LOG_LEVEL", "INFO"))

MAX_PAYLOAD_BYTES = 6_291_456  # SageMaker invoke_endpoint's limit; boto3 does not check it
ALLOWED_FIELDS = ("text", "texts", "lang", "models", "id")


def _env_num(name: str, default: float, cast=float):
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return cast(raw)
    except ValueError:
        log.warning("ignoring %s=%r (not a number)", name, raw)
        return default


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (raw or "").split(",") if x.strip())


@dataclass(frozen=True)
class Settings:
    endpoint_name: str | None = None
    target_variant: str | None = None
    connect_timeout: float = 2.0
    read_timeout: float = 10.0
    max_attempts: int = 2
    endpoint_url: str | None = None  # None: AWS (or AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME)
    region: str | None = None
    cors_origins: tuple[str, ...] = ()
    cors_headers: str = "authorization,content-type"
    cors_max_age: int = 600
    max_texts: int = 100
    max_text_chars: int = 100_000
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    langs: tuple[str, ...] = ("pt", "en")

    @classmethod
    def from_env(cls) -> "Settings":
        e = os.environ
        return cls(endpoint_name=e.get("ENDPOINT_NAME") or None, target_variant=e.get("TARGET_VARIANT") or None,
                   connect_timeout=_env_num("SAGEMAKER_CONNECT_TIMEOUT", 2.0),
                   read_timeout=_env_num("SAGEMAKER_READ_TIMEOUT", 10.0),
                   max_attempts=_env_num("SAGEMAKER_MAX_ATTEMPTS", 2, int),
                   cors_origins=_csv(e.get("CORS_ALLOW_ORIGINS")),
                   cors_headers=e.get("CORS_ALLOW_HEADERS", "authorization,content-type"),
                   cors_max_age=_env_num("CORS_MAX_AGE", 600, int),
                   max_texts=_env_num("MAX_TEXTS", 100, int),
                   max_text_chars=_env_num("MAX_TEXT_CHARS", 100_000, int),
                   max_payload_bytes=min(_env_num("MAX_PAYLOAD_BYTES", MAX_PAYLOAD_BYTES, int), MAX_PAYLOAD_BYTES),
                   langs=_csv(e.get("ALLOWED_LANGS", "pt,en")))

    def worst_case_seconds(self) -> float:
        """Longest a call can block: every attempt times out, plus standard-mode backoff (<= 1 s, 2 s...)."""
        backoff = sum(min(20.0, 2.0 ** i) for i in range(self.max_attempts - 1))
        return self.max_attempts * (self.connect_timeout + self.read_timeout) + backoff


class ProxyError(Exception):
    """An HTTP error answer: status, kebab-case code, message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


@dataclass
class _Request:
    version: str  # "1.0" | "2.0"
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    raw_body: str | None
    base64: bool
    request_id: str
    authorizer: dict[str, Any] = field(default_factory=dict)


def _headers(event: dict[str, Any]) -> dict[str, str]:
    """Lower-cased header names (HTTP headers are case-insensitive; v2 already lowercases).
    v1 may carry only `multiValueHeaders`: their values join with ',' as v2 does."""
    out: dict[str, str] = {}
    for k, v in (event.get("multiValueHeaders") or {}).items():
        if isinstance(v, list):
            out[str(k).lower()] = ",".join(str(x) for x in v)
    for k, v in (event.get("headers") or {}).items():
        if v is not None:
            out[str(k).lower()] = str(v)
    return out


def _parse_event(event: dict[str, Any], context: Any) -> _Request:
    """Normalize a REST API (payload 1.0) or HTTP API (payload 2.0) proxy event."""
    fallback_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
    rc = event.get("requestContext")
    if not isinstance(rc, dict):
        raise KeyError("requestContext")
    auth = rc.get("authorizer") or {}
    if event.get("version") == "2.0":
        method = (rc.get("http") or {})["method"]
        route_key = event.get("routeKey") or "$default"
        if " " in route_key:  # "POST /v1/entities"
            path = route_key.split(" ", 1)[1]
        else:  # $default route: rawPath, minus the stage prefix of a named stage
            path, stage = event.get("rawPath") or "", rc.get("stage") or "$default"
            if stage != "$default" and path.startswith(f"/{stage}/"):
                path = path[len(stage) + 1:]
        auth = auth.get("lambda") or {} if isinstance(auth, dict) else {}
    else:
        method = event["httpMethod"]
        resource = event.get("resource")
        path = resource if resource in tokens.ROUTES else (event.get("path") or resource or "")
    return _Request(event.get("version") or "1.0", str(method).upper(), path, _headers(event), event.get("body"),
                    bool(event.get("isBase64Encoded")), rc.get("requestId") or fallback_id,
                    auth if isinstance(auth, dict) else {})


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return True
    for part in accept.split(","):
        mt = _media_type(part)
        if mt in ("*/*", "application/*", "application/json"):
            q = re.search(r";\s*q=([0-9.]+)", part)
            if not q or float(q.group(1) or 0) > 0:
                return True
    return False


def _inference_id(request_id: str) -> str:
    clean = re.sub(r"[^\x21-\x7e]", "", request_id)[:64]
    return clean or uuid.uuid4().hex


class Proxy:
    """Callable Lambda handler bound to one Settings and one SageMaker Runtime client."""

    def __init__(self, settings: Settings, client: Any = None):
        self.s = settings
        self._client = client
        self._budget_checked = False

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.s)
        return self._client

    # -- request validation -------------------------------------------------------------
    def _body(self, req: _Request, route: tokens.Route) -> bytes:
        raw = req.raw_body or ""
        limit = self.s.max_payload_bytes
        if len(raw) > (limit * 4 // 3 + 4 if req.base64 else limit * 4):  # cheap pre-check before decoding
            raise ProxyError(413, "payload-too-large", f"request body is over {limit} bytes")
        if req.base64:
            import base64

            try:
                data = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise ProxyError(400, "bad-base64", "body is flagged base64 but does not decode") from None
        else:
            data = raw.encode("utf-8")
        if len(data) > limit:
            raise ProxyError(413, "payload-too-large", f"request body is {len(data)} bytes; the limit is {limit}")
        if not data.strip():
            raise ProxyError(400, "empty-body", 'send a JSON object: {"text": "..."} or {"texts": ["...", ...]}')
        try:
            doc = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise ProxyError(400, "bad-encoding", "body is not UTF-8") from None
        except ValueError as exc:
            raise ProxyError(400, "bad-json", f"body is not valid JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ProxyError(400, "invalid-body", "body must be a JSON object with 'text' or 'texts'")
        unknown = sorted(set(doc) - set(ALLOWED_FIELDS))
        if unknown:
            raise ProxyError(400, "unknown-field", f"unknown field(s) {', '.join(unknown)}; "
                             f"allowed: {', '.join(ALLOWED_FIELDS)}")
        has_text, has_texts = "text" in doc, "texts" in doc
        if has_text == has_texts:
            raise ProxyError(400, "invalid-body", "send exactly one of 'text' (a string) or 'texts' (a list)")
        out: dict[str, Any] = {}
        if has_text:
            if not isinstance(doc["text"], str):
                raise ProxyError(400, "invalid-text", "'text' must be a string")
            texts = [doc["text"]]
            out["text"] = doc["text"]
        else:
            texts = doc["texts"]
            if not isinstance(texts, list) or not texts:
                raise ProxyError(400, "invalid-texts", "'texts' must be a non-empty list of strings")
            bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
            if bad:
                raise ProxyError(400, "invalid-texts", f"'texts' items must be strings (item {bad[0]} is not)")
            if len(texts) > self.s.max_texts:
                raise ProxyError(413, "too-many-texts", f"{len(texts)} texts; at most {self.s.max_texts} per request")
            out["texts"] = texts
        long = [i for i, t in enumerate(texts) if len(t) > self.s.max_text_chars]
        if long:
            raise ProxyError(413, "text-too-long", f"text {long[0]} has {len(texts[long[0]])} characters; "
                             f"at most {self.s.max_text_chars}")
        if "lang" in doc:
            if doc["lang"] not in self.s.langs:
                raise ProxyError(400, "invalid-lang", f"'lang' must be one of {', '.join(self.s.langs)}")
            out["lang"] = doc["lang"]
        if "models" in doc and (not isinstance(doc["models"], list) or tuple(doc["models"]) != route.models):
            raise ProxyError(400, "models-not-allowed", f"{route.path} always uses models {list(route.models)}; "
                             "drop 'models' or call the other route")
        if "id" in doc:  # the caller's own id, echoed by the predictor (it validates the type)
            out["id"] = doc["id"]
        out["models"] = list(route.models)
        payload = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ProxyError(413, "payload-too-large", f"request is {len(payload)} bytes for the endpoint; "
                             f"the limit is {MAX_PAYLOAD_BYTES}")
        return payload

    def _route(self, req: _Request) -> tokens.Route:
        route = tokens.ROUTES.get(req.path.rstrip("/") or "/")
        if route is None:
            raise ProxyError(404, "route-not-found", f"no route {req.path}; use "
                             + " or ".join(f"{r.method} {r.path}" for r in tokens.ROUTES.values()))
        if req.method != route.method:
            raise ProxyError(405, "method-not-allowed", f"{req.path} accepts {route.method} only",
                             {"Allow": f"{route.method}, OPTIONS"})
        granted = req.authorizer.get("scope")
        if isinstance(granted, str) and route.scope not in granted.split():
            # API Gateway already enforced the policy; this is the belt to its braces.
            raise ProxyError(403, "scope-missing", f"token lacks scope {route.scope}")
        ctype = _media_type(req.headers.get("content-type"))
        if ctype and ctype != "application/json":
            raise ProxyError(415, "unsupported-media-type", f"Content-Type {ctype} not supported; "
                             "send application/json")
        if not _accepts_json(req.headers.get("accept")):
            raise ProxyError(406, "not-acceptable", "this API answers application/json only")
        return route

    # -- endpoint call --------------------------------------------------------------------
    def _invoke(self, payload: bytes, req: _Request, context: Any) -> tuple[int, bytes]:
        from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError)

        if not self.s.endpoint_name:
            raise ProxyError(500, "proxy-misconfigured", "ENDPOINT_NAME is not set")
        self._check_budget(context)
        kw: dict[str, Any] = {"EndpointName": self.s.endpoint_name, "Body": payload,
                              "ContentType": "application/json", "Accept": "application/json",
                              "InferenceId": _inference_id(req.request_id)}
        if self.s.target_variant:
            kw["TargetVariant"] = self.s.target_variant
        t0 = time.perf_counter()
        try:
            resp = self.client.invoke_endpoint(**kw)
            body = resp["Body"].read()
        except (ReadTimeoutError, ConnectTimeoutError):
            raise ProxyError(504, "endpoint-timeout", "the model endpoint did not answer in time") from None
        except ClientError as exc:
            raise self._client_error(exc) from None
        except BotoCoreError as exc:
            log.warning(json.dumps({"request_id": req.request_id, "endpoint_error": type(exc).__name__}))
            raise ProxyError(502, "endpoint-unavailable", "the model endpoint could not be reached") from None
        finally:
            log.info(json.dumps({"request_id": req.request_id, "endpoint_ms": round((time.perf_counter() - t0) * 1000)}))
        return 200, body

    def _client_error(self, exc: Any) -> ProxyError:
        r = exc.response or {}
        code = (r.get("Error") or {}).get("Code", "")
        status = (r.get("ResponseMetadata") or {}).get("HTTPStatusCode", 0)
        log.warning(json.dumps({"endpoint_error": code, "status": status}))
        if code == "ModelError":
            orig = r.get("OriginalStatusCode")
            try:
                orig = int(orig)
            except (TypeError, ValueError):
                orig = 0
            if orig == 429:
                return ProxyError(429, "endpoint-throttled", "the model is busy; retry later", {"Retry-After": "1"})
            if 400 <= orig < 500:
                err = _predictor_error(r.get("OriginalMessage"))
                return ProxyError(orig, err.get("code") or "bad-request", err.get("message") or "rejected by the model")
            return ProxyError(502, "model-failed", f"the model failed (status {orig or 'unknown'})")
        if status == 429 or code in ("ThrottlingException", "ModelNotReadyException", "TooManyRequestsException",
                                     "Throttling", "RequestLimitExceeded"):
            return ProxyError(429, "endpoint-throttled", "the model endpoint is throttling; retry later",
                              {"Retry-After": "1"})
        return ProxyError(502, "endpoint-error", f"the model endpoint answered {code or status}")

    def _check_budget(self, context: Any) -> None:
        if self._budget_checked or context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return
        self._budget_checked = True
        left = context.get_remaining_time_in_millis() / 1000
        if left < self.s.worst_case_seconds() + 1:
            log.warning(f"Lambda time left {left:.1f}s < endpoint worst case {self.s.worst_case_seconds():.1f}s + 1s: "
                        "raise the Lambda timeout or lower SAGEMAKER_READ_TIMEOUT/MAX_ATTEMPTS")

    # -- responses ------------------------------------------------------------------------
    def _cors(self, req: _Request | None) -> dict[str, str]:
        if not self.s.cors_origins or req is None:
            return {}
        origin = req.headers.get("origin")
        if "*" in self.s.cors_origins:
            allow = "*"
        elif origin and origin in self.s.cors_origins:
            allow = origin
        else:
            return {"Vary": "Origin"}
        h = {"Access-Control-Allow-Origin": allow, "Access-Control-Expose-Headers": "x-request-id"}
        if allow != "*":
            h["Vary"] = "Origin"
        return h

    def _respond(self, req: _Request | None, status: int, body: bytes | str,
                 extra: dict[str, str] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if req is not None:
            headers["X-Request-Id"] = req.request_id
        headers.update(self._cors(req))
        headers.update(extra or {})
        return {"statusCode": status, "headers": headers,
                "body": body.decode("utf-8") if isinstance(body, bytes) else body, "isBase64Encoded": False}

    def _error(self, req: _Request | None, err: ProxyError) -> dict[str, Any]:
        rid = req.request_id if req else None
        body = json.dumps({"error": {"code": err.code, "message": err.message, "request_id": rid}}, ensure_ascii=False)
        return self._respond(req, err.status, body, err.headers)

    def __call__(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        req = None
        try:
            if not isinstance(event, dict):
                raise ProxyError(400, "bad-event", "not an API Gateway proxy event")
            try:
                req = _parse_event(event, context)
            except (KeyError, TypeError, AttributeError):
                raise ProxyError(400, "bad-event", "not an API Gateway proxy event") from None
            if req.method == "OPTIONS":
                h = {"Access-Control-Allow-Methods": "POST, OPTIONS",
                     "Access-Control-Allow-Headers": self.s.cors_headers,
                     "Access-Control-Max-Age": str(self.s.cors_max_age)} if self._cors(req).get(
                         "Access-Control-Allow-Origin") else {}
                resp = self._respond(req, 204, "", h)
                return resp
            route = self._route(req)
            payload = self._body(req, route)
            status, body = self._invoke(payload, req, context)
            return self._respond(req, status, body)
        except ProxyError as err:
            return self._error(req, err)
        except Exception:  # a bug of ours: log it, answer JSON, never leak a traceback
            log.exception("unexpected proxy failure (request %s)", req.request_id if req else "?")
            return self._error(req, ProxyError(500, "internal-error", "unexpected proxy failure"))


def _predictor_error(message: Any) -> dict[str, Any]:
    """The predictor's `{"error": {"code", "message"}}` from ModelError.OriginalMessage."""
    if isinstance(message, str):
        try:
            doc = json.loads(message)
        except ValueError:
            return {"message": message[:500]}
        if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
            return doc["error"]
        if isinstance(doc, dict) and isinstance(doc.get("message"), str):
            return {"message": doc["message"]}
    return {}


def make_client(settings: Settings) -> Any:
    """A SageMaker Runtime client with timeouts and retries that fit inside API Gateway's 29 s."""
    import botocore.config
    import botocore.session

    cfg = botocore.config.Config(connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                                 retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
                                 max_pool_connections=4, tcp_keepalive=True)
    return botocore.session.get_session().create_client(
        "sagemaker-runtime", region_name=settings.region, endpoint_url=settings.endpoint_url, config=cfg)


def _default_proxy() -> Proxy:
    proxy = Proxy(Settings.from_env())
    if proxy.s.endpoint_name:
        try:  # init phase: build the client now, once per container
            proxy.client
        except Exception:  # noqa: BLE001 - no region etc.; the first request reports it as 502
            log.exception("could not create the SageMaker Runtime client at init")
    return proxy


_default = _default_proxy()


def lambda_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return _default(event, context)
