"""serving/openapi.yaml is a valid OpenAPI document and the app answers exactly as it says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from entrec.serving.protocol import ERROR_CODES

TEXT = "A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV."  # same as conftest.TEXT

SPEC_PATH = Path(__file__).resolve().parents[2] / "serving" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def test_spec_is_valid_openapi(spec):
    from openapi_spec_validator import validate  # test extra

    validate(spec)


def test_every_error_code_is_documented(spec):
    responses = spec["paths"]["/invocations"]["post"]["responses"]
    for code, status in ERROR_CODES.items():
        assert str(status) in responses, status
        assert f"`{code}`" in responses[str(status)]["description"], code


def test_every_http_layer_error_code_is_documented(spec):
    """The codes the gunicorn worker answers with itself (JSON, never HTML) are listed too."""
    from entrec.serving.http_worker import _PARSE_ERRORS

    responses = spec["paths"]["/invocations"]["post"]["responses"]
    for status, code, _ in _PARSE_ERRORS.values():
        if code in ("forbidden", "invalid-proxy-line", "tls-error", "internal-error"):
            continue  # proxy protocol and TLS are off; internal-error is a server bug, not an answer to input
        assert str(status) in responses, (status, code)
        assert f"`{code}`" in responses[str(status)]["description"], code


def _validate(spec: dict, path: str, method: str, status: int, ctype: str, body: bytes) -> None:
    from openapi_schema_validator import OAS30Validator  # test extra

    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answered undocumented {status}"
    content = responses[str(status)]["content"]
    mime = ctype.split(";")[0].strip()
    assert mime in content, f"{status} answered undocumented content type {mime}"
    schema = dict(content[mime]["schema"])
    schema["components"] = spec["components"]
    if mime == "application/jsonlines":
        instance = body.decode("utf-8")
        for line in instance.splitlines():  # each line is a Result object
            item = {"$ref": "#/components/schemas/Result", "components": spec["components"]}
            OAS30Validator(item).validate(json.loads(line))
    else:
        instance = json.loads(body)
    OAS30Validator(schema).validate(instance)


CASES = [
    ("GET", "/ping", {}),
    ("GET", "/execution-parameters", {}),
    ("POST", "/invocations", dict(json={"text": TEXT})),
    ("POST", "/invocations", dict(json={"text": TEXT, "id": "a", "models": ["entities", "inequalities"]})),
    ("POST", "/invocations", dict(json={"texts": [TEXT, {"text": "x", "id": 3, "lang": "en"}]})),
    ("POST", "/invocations", dict(data='{"text": "SE Xingu"}\n"acima de 5 kV"\n',
                                  content_type="application/jsonlines")),
    ("POST", "/invocations", dict(data='"SE Xingu"\n', content_type="application/jsonlines",
                                  headers={"Accept": "application/json"})),
    ("POST", "/invocations", dict(data=TEXT.encode(), content_type="text/plain")),
    ("POST", "/invocations", dict(data=b"", content_type="text/plain")),
    ("POST", "/invocations", dict(data=b"{", content_type="application/json")),
    ("POST", "/invocations", dict(json={"texts": ["a"] * 9})),
    ("POST", "/invocations", dict(data=b"x" * 30_000, content_type="text/plain")),
    ("POST", "/invocations", dict(data=b"x", content_type="image/gif")),
    ("POST", "/invocations", dict(json={"text": "a"}, headers={"Accept": "text/csv"})),
]


@pytest.mark.parametrize("method, path, kwargs", CASES)
def test_responses_match_spec(spec, client, method, path, kwargs):
    r = client.open(path, method=method, **kwargs)
    _validate(spec, path, method.lower(), r.status_code, r.headers["Content-Type"], r.get_data())
