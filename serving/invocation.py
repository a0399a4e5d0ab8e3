"""One `/invocations` request, end to end: read the body, parse, run the models, render.

Shared by the app's `/invocations` route and the local SageMaker Runtime route, so neither
imports the other (the app factory mounts both).

Bounds on every request (why: one request must never stall a worker thread, hold a
connection open forever or run past SageMaker's 60 s invocation timeout):
- the body is read with a deadline (`body_timeout_seconds`, 408 `body-timeout`): a stalled
  upload gives up its thread instead of holding it; malformed transfer framing (a bogus
  chunk size, a missing chunk terminator, a body cut short) is a 400 `invalid-framing`, and
  the server closes that connection (its framing is lost);
- the texts' total length is capped (`max_request_chars`, 413 `too-many-characters`) and
  the engine runs under a time budget (`request_budget_seconds`, 422
  `time-budget-exceeded`), checked between groups of texts;
- a 200 is rendered completely before its status line goes out and is sent in chunks with a
  per-chunk send timeout, so a slow reader gets the whole body (or, if it stops reading
  for `send_timeout_seconds`, a closed connection short of `Content-Length`), never a body
  cut short by a killed worker.
"""
from __future__ import annotations

import time
from typing import Any, Iterator

from flask import Flask, Response, g, request

from .models import ModelSet
from .protocol import JSON, ApiError, combine, dumps, error_body, negotiate, parse_body, render
from .settings import Settings

__all__ = ["invoke", "json_response", "error_response", "read_body", "CUSTOM_ATTRIBUTES",
           "SEND_CHUNK_BYTES"]

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
#: Response bodies go out in pieces of this size, each with its own send timeout.
SEND_CHUNK_BYTES = 256 * 1024

def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status=status, mimetype=JSON, headers=headers)


def error_response(status: int, code: str, message: str) -> Response:
    return json_response(error_body(code, message), status)


def _socket() -> Any:
    """The client socket when the server exposes it (gunicorn), else None (test client)."""
    return request.environ.get("gunicorn.socket")


def read_body(limit: int, timeout: float) -> bytes:
    """Read the body: 413 past `limit` bytes, 408 when it takes longer than `timeout` s,
    400 `invalid-framing` when the server's reader finds the transfer framing broken.

    Why not `request.get_data()`: on a chunked upload (no Content-Length) Werkzeug's
    stream stops at MAX_CONTENT_LENGTH and get_data() returns the *truncated* body without
    an error, so a too-large JSON body would surface as "invalid JSON". MAX_CONTENT_LENGTH
    is set one byte above the limit and this loop tells "exactly at the limit" from "over".
    """
    chunks: list[bytes] = []
    total = 0
    stream = request.stream
    sock = _socket()
    deadline = time.monotonic() + timeout
    while True:
        if sock is not None:  # each recv waits at most what is left of the deadline
            sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            chunk = stream.read(65536)
        except ApiError:
            raise
        except Exception as exc:  # socket timeout or reset, the server's chunked parser...
            cause = _root_cause(exc)  # Werkzeug wraps OSErrors in ClientDisconnected
            if isinstance(cause, TimeoutError) or time.monotonic() >= deadline:
                raise ApiError(408, "body-timeout", f"the request body did not arrive within "
                               f"{timeout:g} s ({total} bytes received)") from None
            if isinstance(cause, OSError) or type(cause).__name__ == "ClientDisconnected":
                raise ApiError(400, "invalid-framing", f"the body ended after {total} bytes, "
                               f"before its announced length ({type(cause).__name__})") from None
            raise ApiError(400, "invalid-framing",
                           f"malformed request body framing: {cause}") from None
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise ApiError(413, "payload-too-large", f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise ApiError(408, "body-timeout", f"the request body did not arrive within "
                           f"{timeout:g} s ({total} bytes received)")
    expected = request.content_length
    if expected is not None and total < expected:
        raise ApiError(400, "invalid-framing", f"the body ended after {total} of the "
                       f"{expected} bytes its Content-Length announced")
    return b"".join(chunks)


def _root_cause(exc: BaseException) -> BaseException:
    seen = 0
    while (exc.__cause__ or exc.__context__) is not None and seen < 10:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return exc


def _chunks(payload: bytes, sock: Any, send_timeout: float) -> Iterator[bytes]:
    """Yield `payload` in pieces; the server sends each with `send_timeout` to spare."""
    if sock is not None:
        sock.settimeout(send_timeout)
    view = memoryview(payload)
    for i in range(0, len(payload), SEND_CHUNK_BYTES):
        yield bytes(view[i:i + SEND_CHUNK_BYTES])


def invoke(app: Flask) -> Response:
    """Handle one invocation on the current request (shared by the local runtime route)."""
    models: ModelSet = app.extensions["entrec.models"]
    settings: Settings = app.extensions["entrec.settings"]
    started = time.monotonic()
    if not models.ready:
        resp = error_response(503, "model-not-ready", "the models are still loading")
        resp.headers["Retry-After"] = "1"
        return resp
    length = request.content_length
    if length is not None and length > settings.max_payload_bytes:
        raise ApiError(413, "payload-too-large",
                       f"body of {length} bytes exceeds the limit of {settings.max_payload_bytes}")
    ctype = request.headers.get("Content-Type")
    body = read_body(settings.max_payload_bytes, settings.body_timeout_seconds)
    sock = _socket()
    if sock is not None:  # the body deadline no longer applies; the response's does
        sock.settimeout(settings.send_timeout_seconds)
    parsed = parse_body(body, ctype, request.headers.get(CUSTOM_ATTRIBUTES), settings,
                        models.languages)
    accept = negotiate(request.headers.get("Accept"), parsed.kind)
    g.n_texts = len(parsed.records)
    g.models = list(parsed.models)
    t_parsed = time.monotonic()
    per_record = models.run(parsed.records, batch_size=settings.batch_size,
                            deadline=started + settings.request_budget_seconds)
    t_engine = time.monotonic()
    results = [combine(r, rec.models, parsed.multi_model)
               for r, rec in zip(per_record, parsed.records)]
    info = models.info
    payload = render(parsed, results, accept, info)
    t_rendered = time.monotonic()
    if len(payload) <= SEND_CHUNK_BYTES:
        resp = Response(payload, status=200, mimetype=accept)
    else:
        resp = Response(_chunks(payload, _socket(), settings.send_timeout_seconds), status=200,
                        mimetype=accept, direct_passthrough=True)
        resp.headers["Content-Length"] = str(len(payload))
    g.bytes_out = len(payload)
    # where the time went (bench/serve_load.py splits latency into queueing and these)
    resp.headers["Server-Timing"] = (f"read;dur={(t_parsed - started) * 1000:.2f}, "
                                     f"engine;dur={(t_engine - t_parsed) * 1000:.2f}, "
                                     f"render;dur={(t_rendered - t_engine) * 1000:.2f}")
    resp.headers["X-Entrec-Model-Name"] = _header_safe(info["name"])
    resp.headers["X-Entrec-Model-Version"] = _header_safe(info["version"])
    if parsed.skipped_lines:
        resp.headers["X-Entrec-Skipped-Lines"] = str(parsed.skipped_lines)
    return resp


def _header_safe(value: str) -> str:
    return value.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")
