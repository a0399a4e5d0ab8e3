"""A local stand-in for the SageMaker Runtime `InvokeEndpoint` API (issue 6 item 4).

With `ENTREC_LOCAL_RUNTIME=1` (or `entrec serve --local-runtime`) the predictor also answers
`POST /endpoints/<name>/invocations`, the path boto3's `sagemaker-runtime` client calls, so
`boto3.client("sagemaker-runtime", endpoint_url="http://127.0.0.1:PORT").invoke_endpoint(...)`
reaches the real predictor: the Lambda proxy and its tests run against it unchanged.

What it reproduces of the real service: the body, `Content-Type` and custom attributes go
through untouched; a 2xx comes back as is, with `x-Amzn-Invoked-Production-Variant`; any
other status becomes what SageMaker answers when a container fails a request: 424 with
`x-amzn-ErrorType: ModelError` and `{"Message", "OriginalStatusCode", "OriginalMessage",
"LogStreamArn"}`, which botocore raises as `ModelError`. An endpoint name other than
`ENTREC_LOCAL_ENDPOINT_NAME` (when set) gets SageMaker's 400 `ValidationError`.
Request signing is not checked: this route is for loopback development only.
"""
from __future__ import annotations

import json

from flask import Flask, Response, g

from .invocation import invoke

__all__ = ["register", "VARIANT"]

VARIANT = "AllTraffic"
_FAKE_ACCOUNT = "000000000000"


def _aws_error(status: int, error_type: str, body: dict) -> Response:
    resp = Response(json.dumps(body), status=status, mimetype="application/x-amz-json-1.1")
    resp.headers["x-amzn-ErrorType"] = error_type
    resp.headers["x-amzn-RequestId"] = g.get("request_id", "")
    return resp


def register(app: Flask) -> None:
    settings = app.extensions["entrec.settings"]

    @app.post("/endpoints/<name>/invocations")
    def runtime_invoke(name: str) -> Response:
        expected = settings.local_endpoint_name
        if expected and name != expected:
            return _aws_error(400, "ValidationError", {
                "message": f"Endpoint {name} of account {_FAKE_ACCOUNT} not found."})
        try:
            inner = invoke(app)
        except Exception as exc:  # same JSON error the plain route gives, then wrapped
            inner = app.make_response(app.handle_user_exception(exc))
        if 200 <= inner.status_code < 300:
            inner.headers["x-Amzn-Invoked-Production-Variant"] = VARIANT
            inner.headers["x-amzn-RequestId"] = g.get("request_id", "")
            return inner
        original = inner.get_data(as_text=True)
        status = inner.status_code
        kind = "client" if status < 500 else "server"
        return _aws_error(424, "ModelError", {
            "Message": f"Received {kind} error ({status}) from primary with message "
                       f"\"{original}\". See https://localhost/cloudwatch/logs for more information.",
            "OriginalStatusCode": status,
            "OriginalMessage": original,
            "LogStreamArn": f"arn:aws:logs:local:{_FAKE_ACCOUNT}:log-group:/aws/sagemaker/"
                            f"Endpoints/{name}",
        })
