"""schemathesis hooks (PYTHONPATH=tests/serving SCHEMATHESIS_HOOKS=st_hooks): teach it the
`application/jsonlines` media type the predictor speaks.

openapi.yaml describes a JSON Lines body as an array whose items are the lines; this
serializer writes each item as one JSON line. A value that is not an array (schemathesis
sends those as negative examples) is written so the server must refuse it: as one line
holding an object with an unknown field, which is what "not a list of records" means on
the wire.
"""
from __future__ import annotations

import json

import schemathesis


@schemathesis.serializer("application/jsonlines")
def _jsonlines_out(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, list):
        return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in value).encode("utf-8", "surrogatepass")
    return (json.dumps({"not-a-list-of-records": value}) + "\n").encode("utf-8", "surrogatepass")


@schemathesis.deserializer("application/jsonlines")
def _jsonlines_in(ctx, response):
    """Every line must be a JSON object with `entities`; the schema then sees the text."""
    text = response.content.decode("utf-8")
    for n, line in enumerate(text.split("\n")[:-1], start=1):
        obj = json.loads(line)
        if not isinstance(obj, dict) or not isinstance(obj.get("entities"), list):
            raise ValueError(f"line {n} is not a result object: {line[:200]}")
    return text
