"""Flask app factory for the SageMaker bring-your-own-container contract (DESIGN §5).

Routes: `GET /ping`, `POST /invocations`, `GET /execution-parameters` and, in local mode,
`POST /endpoints/<name>/invocations` (see `entrec.serving.local_runtime`). Every error, including
404/405 and unexpected failures, is a JSON `{"error": {"code", "message"}}`; anything a
client can send gets a 4xx, never a 5xx.
"""
from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .invocation import error_response, invoke, json_response
from .models import ModelSet
from .protocol import ApiError, error_body
from .settings import Settings

__all__ = ["create_app", "invoke", "json_response"]

log = logging.getLogger(__package__)  # "entrec.serving" (a name, not an import)
access_log = logging.getLogger("entrec.access")

_error = error_response


def create_app(model_dir: Path | str | None = None, *, settings: Settings | None = None,
               models: ModelSet | None = None, eager: bool = True,
               local_runtime: bool | None = None) -> Flask:
    """Build the predictor app.

    model_dir: artifact folder / `model.tar.gz` / folder holding it; None = embedded
    defaults. models: a prebuilt `ModelSet` (tests). eager: load and verify before
    returning (what `serve` does, before gunicorn forks); False loads on a thread and
    `/ping` answers 503 until ready. local_runtime: also mount the SageMaker Runtime route
    (default: `ENTREC_LOCAL_RUNTIME`).
    """
    settings = settings or Settings.from_env()
    if local_runtime is not None and local_runtime != settings.local_runtime:
        from dataclasses import replace

        settings = replace(settings, local_runtime=local_runtime)
    models = models or ModelSet(model_dir)
    if models.state == "new":
        if eager:
            models.load()
        else:
            models.load_in_background()

    app = Flask(__name__)
    # Werkzeug enforces this on chunked bodies too (no Content-Length to check up front).
    app.config["MAX_CONTENT_LENGTH"] = settings.max_payload_bytes + 1  # see _read_body
    app.extensions["entrec.models"] = models
    app.extensions["entrec.settings"] = settings

    @app.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()
        rid = (request.headers.get("X-Amzn-RequestId") or request.headers.get("X-Request-Id")
               or "")
        g.request_id = rid[:128] if rid and rid.isprintable() and rid.isascii() else str(uuid.uuid4())
        g.n_texts = None
        g.models = None
        g.bytes_out = None

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        ms = (time.perf_counter() - g.get("t0", time.perf_counter())) * 1000
        timing = resp.headers.get("Server-Timing")
        if timing is not None:  # the whole app, hooks included (the rest of a latency is queueing and HTTP)
            resp.headers["Server-Timing"] = f"{timing}, app;dur={ms:.2f}"
        fields = {"event": "access", "request_id": g.get("request_id"),
                  "method": request.method, "path": request.path, "status": resp.status_code,
                  "latency_ms": round(ms, 2), "bytes_in": request.content_length,
                  "bytes_out": g.get("bytes_out") or resp.calculate_content_length(),
                  "content_type": request.headers.get("Content-Type"),
                  "n_texts": g.get("n_texts"), "models": g.get("models")}
        code = g.get("error_code")
        if code:
            fields["error"] = code
        if request.path != "/ping" or resp.status_code != 200:
            access_log.info("%s %s %s", request.method, request.path, resp.status_code,
                            extra={"fields": fields})
        return resp

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        g.error_code = exc.code
        return _error(exc.status, exc.code, exc.message)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        g.error_code = "payload-too-large"
        return _error(413, "payload-too-large",
                      f"body exceeds the limit of {settings.max_payload_bytes} bytes")

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = (exc.name or "http-error").lower().replace(" ", "-").replace("'", "")
        g.error_code = code
        resp = _error(exc.code or 400, code, exc.description or code)
        if exc.code == 405:
            valid = getattr(exc, "valid_methods", None)
            if valid:
                resp.headers["Allow"] = ", ".join(valid)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        from entrec.engine.errors import InputError

        if isinstance(exc, InputError):  # the engine refused the input: a client problem
            g.error_code = exc.code
            return _error(400, exc.code, exc.message)
        g.error_code = "internal-error"
        log.exception("unexpected error", extra={"fields": {"request_id": g.get("request_id")}})
        return _error(500, "internal-error", f"unexpected error (request id {g.get('request_id')})")

    @app.get("/ping")
    def ping() -> Response:
        if models.ready:
            return json_response({"status": "ok", "model": models.info})
        if models.state == "failed":
            return json_response({"status": "failed",
                                  "error": error_body("model-load-failed", str(models.error))["error"]},
                                 503)
        return json_response({"status": "loading"}, 503)

    @app.post("/invocations")
    def invocations() -> Response:
        return invoke(app)

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return json_response({
            "MaxConcurrentTransforms": settings.max_concurrent_transforms or settings.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": settings.batch_max_payload_mb,
        })

    if settings.local_runtime:
        from .local_runtime import register

        register(app)
    return app
