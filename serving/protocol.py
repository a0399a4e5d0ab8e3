"""The /invocations wire format (DESIGN §5): parse a body into records, render results.

Pure functions over bytes and strings, no Flask, so every client mistake can be unit-tested
and is answered with an `ApiError` (4xx + stable code) instead of an exception escaping
as a 500.

Combining models. `entities` is the full engine (rules + grammar + model, resolved);
`inequalities` is the grammar alone. A response always carries `entities` = the union of
the entities of every requested model, deduplicated on (start, end, label) with the first
model in canonical order (`entities`, then `inequalities`) winning, sorted by (start, end,
label). Overlapping spans of *different* models are both kept: the union is not resolved
again. When more than one model is requested, each result also has
`by_model: {"entities": [...], "inequalities": [...]}` with each model's own list; the
keys of a response depend only on the request, never on the text.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from entrec.engine.entity import Entity

__all__ = [
    "ApiError", "Record", "ParsedRequest", "MODEL_NAMES", "DEFAULT_MODELS", "JSON", "JSONL",
    "TEXT", "parse_content_type", "parse_custom_attributes", "parse_models", "parse_body",
    "negotiate", "combine", "render", "error_body", "dumps", "ERROR_CODES",
]

MODEL_NAMES: tuple[str, ...] = ("entities", "inequalities")
DEFAULT_MODELS: tuple[str, ...] = ("entities",)
JSON = "application/json"
JSONL = "application/jsonlines"
TEXT = "text/plain"
_JSONL_ALIASES = {"application/jsonlines", "application/jsonl", "application/x-jsonlines",
                  "application/json-lines", "application/x-ndjson"}
#: SageMaker's limit on X-Amzn-SageMaker-Custom-Attributes.
CUSTOM_ATTRIBUTES_MAX = 1024
_RECORD_KEYS = {"text", "lang", "id", "models"}
_BODY_KEYS = {"text", "texts", "lang", "models", "id"}

#: Every error code /invocations can answer with, and its status (documented in openapi.yaml).
ERROR_CODES: dict[str, int] = {
    "empty-body": 400, "invalid-utf8": 400, "invalid-json": 400, "invalid-body": 400,
    "unknown-field": 400, "missing-text": 400, "ambiguous-text": 400, "invalid-text": 400,
    "invalid-texts": 400, "invalid-id": 400, "invalid-custom-attributes": 400,
    "invalid-models": 400, "unsupported-language": 400,
    "payload-too-large": 413, "too-many-texts": 413, "text-too-long": 413,
    "unsupported-content-type": 415, "unsupported-charset": 415, "not-acceptable": 406,
    "model-not-ready": 503,
    "invalid-framing": 400, "body-timeout": 408, "too-many-characters": 413,
    "time-budget-exceeded": 422,
}


class ApiError(Exception):
    """A client-visible error: HTTP status + kebab-case code + message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _bad(code: str, message: str) -> ApiError:
    return ApiError(ERROR_CODES.get(code, 400), code, message)


@dataclass(frozen=True)
class Record:
    """One text to recognize, with its language, caller id and models."""

    text: str
    lang: str | None = None
    id: Any = None
    has_id: bool = False
    models: tuple[str, ...] = DEFAULT_MODELS


@dataclass
class ParsedRequest:
    """`kind`: single (one text), batch (`texts`) or lines (JSON Lines in)."""

    kind: str
    records: list[Record]
    models: tuple[str, ...]
    skipped_lines: int = 0
    multi_model: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ headers


def parse_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """(mimetype lowercased, params). A missing header means JSON (SageMaker's default)."""
    if not header or not header.strip():
        return JSON, {}
    parts = header.split(";")
    mime = parts[0].strip().lower()
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"').lower()
    if mime in _JSONL_ALIASES:
        mime = JSONL
    return mime, params


def parse_models(value: Any, where: str, *, header: bool = False) -> tuple[str, ...]:
    """A list (body) or comma/plus separated string (header) of model names, canonical order."""
    if header and isinstance(value, str):
        names = [v.strip() for v in value.replace("+", ",").split(",") if v.strip()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = list(value)
    else:
        raise _bad("invalid-models", f"{where}: 'models' must be a list of model names "
                   f"({', '.join(MODEL_NAMES)})")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        raise _bad("invalid-models", f"{where}: unknown or empty model list {unknown or names!r}; "
                   f"choose from {', '.join(MODEL_NAMES)}")
    return tuple(m for m in MODEL_NAMES if m in names)


def parse_custom_attributes(header: str | None) -> dict[str, str]:
    """`X-Amzn-SageMaker-Custom-Attributes`: `key=value` pairs separated by `;`.

    Only `models` and `lang` mean something here; other keys are ignored because the
    header is opaque to SageMaker and other tools may use it.
    """
    out: dict[str, str] = {}
    if not header:
        return out
    if len(header) > CUSTOM_ATTRIBUTES_MAX:
        raise _bad("invalid-custom-attributes", f"X-Amzn-SageMaker-Custom-Attributes is longer "
                   f"than {CUSTOM_ATTRIBUTES_MAX} characters (SageMaker's limit)")
    for part in header.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            k = k.strip().lower()
            if k in ("models", "lang"):
                out[k] = v.strip()
    return out


def negotiate(accept: str | None, kind: str) -> str:
    """Pick the response type from `Accept` (q-values honoured); raise 406 if none fits.

    Without a preference, JSON Lines in gives JSON Lines out and anything else JSON.
    """
    default = JSONL if kind == "lines" else JSON
    if not accept or not accept.strip():
        return default
    best: tuple[float, int, str] | None = None
    for i, item in enumerate(accept.split(",")):
        parts = item.split(";")
        mime = parts[0].strip().lower()
        q = 1.0
        for p in parts[1:]:
            k, _, v = p.partition("=")
            if k.strip().lower() == "q":
                try:
                    q = float(v.strip())
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if mime in _JSONL_ALIASES:
            chosen = JSONL
        elif mime == JSON:
            chosen = JSON
        elif mime in ("*/*", "application/*"):
            chosen = default
        else:
            continue
        # higher q wins; on a tie, the earlier entry
        key = (q, -i, chosen)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        raise _bad("not-acceptable", f"cannot answer with {accept!r}; "
                   f"use {JSON} or {JSONL}")
    return best[2]


# --------------------------------------------------------------------- body


def _decode(body: bytes, params: Mapping[str, str]) -> str:
    charset = params.get("charset", "utf-8")
    if charset not in ("utf-8", "utf8"):
        raise _bad("unsupported-charset", f"charset {charset!r} is not supported; send UTF-8")
    if not body:
        raise _bad("empty-body", "the request body is empty")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad("invalid-utf8", f"the body is not valid UTF-8 (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _loads(s: str, where: str) -> Any:
    try:
        return json.loads(s)
    except RecursionError:
        raise _bad("invalid-json", f"{where}: JSON nested too deeply") from None
    except ValueError as exc:
        raise _bad("invalid-json", f"{where}: invalid JSON: {exc}") from None


def _check_text(value: Any, where: str, settings: Any) -> str:
    if not isinstance(value, str):
        raise _bad("invalid-text", f"{where}: 'text' must be a string, got {_jtype(value)}")
    if len(value) > settings.max_text_chars:
        raise _bad("text-too-long", f"{where}: text has {len(value)} characters; the limit is "
                   f"{settings.max_text_chars}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("invalid-text", f"{where}: text holds an unpaired surrogate escape") from None
    return value


def _check_lang(value: Any, where: str, languages: Sequence[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in languages:
        raise _bad("unsupported-language", f"{where}: unsupported language {value!r}; "
                   f"use one of: {', '.join(languages)}")
    return value


def _check_id(obj: Mapping[str, Any], where: str) -> tuple[Any, bool]:
    if "id" not in obj:
        return None, False
    v = obj["id"]
    if v is not None and (isinstance(v, bool) or not isinstance(v, (str, int))):
        raise _bad("invalid-id", f"{where}: 'id' must be a string, an integer or null")
    return v, True


def _jtype(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null", int: "number", float: "number"}.get(type(v), type(v).__name__)


def _record(obj: Any, where: str, settings: Any, languages: Sequence[str],
            lang: str | None, models: tuple[str, ...]) -> Record:
    if isinstance(obj, str):
        return Record(_check_text(obj, where, settings), lang, models=models)
    if not isinstance(obj, dict):
        raise _bad("invalid-body", f"{where}: expected an object or a string, got {_jtype(obj)}")
    unknown = sorted(set(obj) - _RECORD_KEYS)
    if unknown:
        raise _bad("unknown-field", f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                   f"allowed: {', '.join(sorted(_RECORD_KEYS))}")
    if "text" not in obj:
        raise _bad("missing-text", f"{where}: 'text' is required")
    text = _check_text(obj["text"], where, settings)
    rec_lang = _check_lang(obj.get("lang"), where, languages) or lang
    rec_models = parse_models(obj["models"], where) if "models" in obj else models
    rid, has_id = _check_id(obj, where)
    return Record(text, rec_lang, rid, has_id, rec_models)


def parse_body(body: bytes, content_type: str | None, custom_attributes: str | None,
               settings: Any, languages: Sequence[str]) -> ParsedRequest:
    """Turn a request into records; raise `ApiError` for anything unusable."""
    mime, params = parse_content_type(content_type)
    if mime not in (JSON, JSONL, TEXT):
        raise _bad("unsupported-content-type",
                   f"Content-Type {mime!r} is not supported; use {JSON}, {JSONL} or {TEXT}")
    attrs = parse_custom_attributes(custom_attributes)
    models = parse_models(attrs["models"], "X-Amzn-SageMaker-Custom-Attributes", header=True) \
        if "models" in attrs else DEFAULT_MODELS
    lang = _check_lang(attrs.get("lang") or None, "X-Amzn-SageMaker-Custom-Attributes", languages)
    text = _decode(body, params)

    if mime == TEXT:
        rec = Record(_check_text(text, "body", settings), lang, models=models)
        return _finish(ParsedRequest("single", [rec], models), settings)

    if mime == JSONL:
        records: list[Record] = []
        skipped = 0
        # split on LF only: str.splitlines() would also split inside texts at U+0085,
        # U+2028, \x1c... which JSON strings may hold raw
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()  # the final newline ends the last record; it is not a blank line
        for n, line in enumerate(lines, start=1):
            line = line[:-1] if line.endswith("\r") else line
            if not line.strip(" \t"):
                skipped += 1
                continue
            if len(records) >= settings.max_texts:
                raise _bad("too-many-texts", f"more than {settings.max_texts} records; "
                           "split the request (or raise ENTREC_MAX_TEXTS)")
            where = f"line {n}"
            records.append(_record(_loads(line, where), where, settings, languages, lang, models))
        if not records:
            raise _bad("empty-body", "the JSON Lines body holds no records (only blank lines)")
        return _finish(ParsedRequest("lines", records, models, skipped_lines=skipped), settings)

    data = _loads(text, "body")
    if not isinstance(data, dict):
        raise _bad("invalid-body", f"the JSON body must be an object with 'text' or 'texts', "
                   f"got {_jtype(data)}")
    unknown = sorted(set(data) - _BODY_KEYS)
    if unknown:
        raise _bad("unknown-field", f"unknown field(s) {', '.join(map(repr, unknown))}; "
                   f"allowed: {', '.join(sorted(_BODY_KEYS))}")
    if "models" in data:
        models = parse_models(data["models"], "body")
    lang = _check_lang(data.get("lang"), "body", languages) or lang
    if "text" in data and "texts" in data:
        raise _bad("ambiguous-text", "send either 'text' or 'texts', not both")
    if "text" in data:
        rid, has_id = _check_id(data, "body")
        rec = Record(_check_text(data["text"], "body", settings), lang, rid, has_id, models)
        return _finish(ParsedRequest("single", [rec], models), settings)
    if "texts" not in data:
        raise _bad("missing-text", "the body needs 'text' (a string) or 'texts' (a list)")
    if "id" in data:
        raise _bad("unknown-field", "'id' goes on each item of 'texts', not on the body")
    texts = data["texts"]
    if not isinstance(texts, list):
        raise _bad("invalid-texts", f"'texts' must be an array, got {_jtype(texts)}")
    if len(texts) > settings.max_texts:
        raise _bad("too-many-texts", f"{len(texts)} texts; the limit is {settings.max_texts}")
    recs = [_record(t, f"texts[{i}]", settings, languages, lang, models)
            for i, t in enumerate(texts)]
    return _finish(ParsedRequest("batch", recs, models), settings)


def _finish(req: ParsedRequest, settings: Any) -> ParsedRequest:
    limit = getattr(settings, "max_request_chars", None)
    if limit is not None:
        total = sum(len(r.text) for r in req.records)
        if total > limit:
            raise _bad("too-many-characters", f"the texts hold {total} characters together; the "
                       f"limit per request is {limit}: split the request")
    req.multi_model = any(len(r.models) > 1 for r in req.records) or len(req.models) > 1
    return req


# ------------------------------------------------------------------- output


def combine(per_model: Mapping[str, list[Entity]], models: Sequence[str],
            multi_model: bool) -> dict[str, Any]:
    """One record's result: the deduplicated union, plus `by_model` for multi-model requests."""
    seen: set[tuple[int, int, str]] = set()
    union: list[Entity] = []
    for m in models:
        for e in per_model.get(m, []):
            key = (e.start, e.end, e.label)
            if key not in seen:
                seen.add(key)
                union.append(e)
    union.sort(key=lambda e: (e.start, e.end, e.label))
    out: dict[str, Any] = {"entities": [e.to_dict() for e in union]}
    if multi_model:
        out["by_model"] = {m: [e.to_dict() for e in per_model.get(m, [])] for m in MODEL_NAMES
                           if m in models}
    return out


try:  # orjson encodes entity lists several times faster (bench/serve_load.py prints the ratio)
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson ships with the serve extra
    _orjson = None


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is. orjson when installed; the standard
    library for what orjson refuses (integers past 64 bits in an inequality's value)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(obj)
        except (TypeError, _orjson.JSONEncodeError):
            pass
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(req: ParsedRequest, results: Iterable[dict[str, Any]], accept: str,
           model_info: Mapping[str, str]) -> bytes:
    """Serialize results in `accept` (JSON or JSON Lines), in input order."""
    items = []
    for rec, res in zip(req.records, results):
        if rec.has_id:
            res = {"id": rec.id, **res}
        items.append(res)
    if accept == JSONL:
        if not items:
            return b""
        return b"\n".join(dumps(i) for i in items) + b"\n"
    models = list(req.models)
    if req.kind == "single":
        body = {**items[0], "model": dict(model_info), "models": models}
    else:
        body = {"results": items, "model": dict(model_info), "models": models}
    return dumps(body)
