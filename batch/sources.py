"""Where documents come from: files, folders (recursive) and `s3://bucket/prefix` (boto3; the
endpoint follows the standard AWS settings, e.g. `AWS_ENDPOINT_URL_S3`)."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from entrec.documents import doc_type_for
from entrec.engine.errors import InputError

__all__ = ["DocumentRef", "Ignored", "list_documents", "read_bytes", "write_bytes", "split_s3"]


@dataclass(frozen=True)
class DocumentRef:
    uri: str          # absolute local path or s3://bucket/key
    size: int


@dataclass(frozen=True)
class Ignored:
    uri: str
    reason: str


def split_s3(uri: str) -> tuple[str, str]:
    rest = uri[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise InputError(f"{uri}: no bucket in the S3 address", code="bad-source",
                         hint="use s3://bucket/prefix")
    return bucket, key


def _s3_client():
    return _client_for_process(os.getpid())


@functools.lru_cache(maxsize=4)
def _client_for_process(pid: int):
    """One client per process: boto3 clients must not cross a fork."""
    import boto3

    return boto3.client("s3")


def _list_s3(uri: str) -> tuple[list[DocumentRef], list[Ignored]]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = split_s3(uri)
    refs, ignored = [], []
    try:
        pages = _s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key.endswith("/"):
                    continue
                u = f"s3://{bucket}/{key}"
                if doc_type_for(key) is None:
                    ignored.append(Ignored(u, "unsupported file type"))
                else:
                    refs.append(DocumentRef(u, int(obj["Size"])))
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"{uri}: cannot list ({exc})", code="source-unreadable") from None
    if not refs and not ignored:
        raise InputError(f"{uri}: no objects under this prefix", code="source-empty")
    return refs, ignored


def list_documents(sources: Sequence[str]) -> tuple[list[DocumentRef], list[Ignored]]:
    """Documents named by `sources`, each once. Inside folders and prefixes only supported types
    are taken (the rest are reported as ignored); a file named explicitly is always taken (an
    unsupported type then becomes an error row)."""
    refs: dict[str, DocumentRef] = {}
    ignored: list[Ignored] = []
    for src in sources:
        if src.startswith("s3://"):
            found, skipped = _list_s3(src)
        else:
            path = Path(src)
            if path.is_file():
                found, skipped = [DocumentRef(str(path.resolve()), path.stat().st_size)], []
            elif path.is_dir():
                found, skipped = [], []
                for dirpath, dirnames, filenames in os.walk(path):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    for name in sorted(filenames):
                        f = Path(dirpath, name).resolve()
                        if name.startswith("."):
                            skipped.append(Ignored(str(f), "hidden file"))
                        elif doc_type_for(name) is None:
                            skipped.append(Ignored(str(f), "unsupported file type"))
                        else:
                            found.append(DocumentRef(str(f), f.stat().st_size))
            else:
                raise InputError(f"no such file or folder: {src}", code="file-not-found")
        for r in found:
            refs.setdefault(r.uri, r)
        ignored.extend(skipped)
    return list(refs.values()), ignored


def read_bytes(uri: str) -> bytes:
    """The document's bytes (raises OSError / botocore errors: the caller makes an error row)."""
    if uri.startswith("s3://"):
        bucket, key = split_s3(uri)
        return _s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(uri).read_bytes()


def write_bytes(uri: str, data: bytes) -> None:
    """Write one object (a manifest, a pointer) to a local path or s3://bucket/key."""
    if uri.startswith("s3://"):
        bucket, key = split_s3(uri)
        _s3_client().put_object(Bucket=bucket, Key=key, Body=data)
        return
    path = Path(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
