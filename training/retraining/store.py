"""Reading and writing the environment bucket's objects (DESIGN §8), through a boto3 S3 client.

Public because `entrec deploy` reads the same objects (metrics.json, gate.json,
models/PRODUCTION) the job writes.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .options import POINTER_NAME, RetrainError

__all__ = ["client_error_code", "list_objects", "list_prefixes", "get_bytes", "get_json",
           "put_bytes", "put_json", "download", "read_pointer", "write_pointer",
           "sha256_bytes", "sha256_path", "s3_url"]


def client_error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def s3_url(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def list_objects(s3, bucket: str, prefix: str) -> Iterator[dict]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def list_prefixes(s3, bucket: str, prefix: str) -> Iterator[str]:
    """The "folders" directly under `prefix` (each ending in /)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix,
                                                              Delimiter="/"):
        yield from (p["Prefix"] for p in page.get("CommonPrefixes", []))


def get_bytes(s3, bucket: str, key: str) -> tuple[bytes, str] | None:
    """(body, etag) or None when the key does not exist."""
    try:
        r = s3.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if client_error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return r["Body"].read(), r["ETag"]


def get_json(s3, bucket: str, key: str) -> dict | None:
    """The JSON object at `key`, None when the key does not exist (`bad-s3-json` if broken)."""
    got = get_bytes(s3, bucket, key)
    if got is None:
        return None
    try:
        return json.loads(got[0])
    except ValueError:
        raise RetrainError(f"{s3_url(bucket, key)} is not valid JSON", code="bad-s3-json") from None


def put_bytes(s3, bucket: str, key: str, body: bytes, content_type: str, **extra) -> dict:
    return s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)


def put_json(s3, bucket: str, key: str, obj: Any, **extra) -> dict:
    return put_bytes(s3, bucket, key, json.dumps(obj, indent=2, ensure_ascii=False).encode(),
                     "application/json", **extra)


def download(s3, bucket: str, key: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, key, str(dest))
    return dest


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_path(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_pointer(s3, bucket: str, models_prefix: str = "models/") -> tuple[dict | None, str | None]:
    """(PRODUCTION pointer, its ETag) — (None, None) before the first promotion."""
    key = models_prefix.rstrip("/") + "/" + POINTER_NAME
    got = get_bytes(s3, bucket, key)
    if got is None:
        return None, None
    try:
        return json.loads(got[0]), got[1]
    except ValueError:
        raise RetrainError(f"{s3_url(bucket, key)} is not valid JSON", code="bad-pointer",
                           hint="restore it from the bucket's object versions") from None


def write_pointer(s3, bucket: str, models_prefix: str, version: str, sha256: str,
                  previous: dict | None, previous_etag: str | None, *,
                  now: datetime | None = None) -> dict:
    """Write models/PRODUCTION, conditionally on it being unchanged since it was read."""
    pointer = {"version": version, "sha256": sha256,
               "promoted_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
               "previous": previous.get("version") if previous else None}
    cond = {"IfMatch": previous_etag} if previous_etag else {"IfNoneMatch": "*"}
    key = models_prefix.rstrip("/") + "/" + POINTER_NAME
    try:
        put_json(s3, bucket, key, pointer, **cond)
    except Exception as exc:
        if client_error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            raise RetrainError("models/PRODUCTION changed while this run was working",
                               code="production-changed",
                               hint="another run promoted a model; re-run to evaluate against it"
                               ) from None
        raise
    return pointer
