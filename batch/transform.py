"""SageMaker Batch Transform: the no-Spark route for text already split into units.

Input: JSON Lines in S3, one unit per line as `entrec pages --out units.jsonl` writes them (or
plain `{"text", "id"?, "lang"?}` records). The job splits on lines (SplitType Line), packs
records into MultiRecord requests of at most 6 MB, sends only `text` and `lang` to the predictor
(InputFilter) and joins each prediction back onto its input line (JoinSource Input), so doc_id
and unit travel with the entities. `collect` turns the `.out` files into the same `pages` and
`entities` tables `entrec batch` writes.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Iterator

from entrec.batch.schema import entity_row, page_row
from entrec.batch.sources import read_bytes, split_s3
from entrec.documents import Unit, content_hash
from entrec.documents.jsonl_reader import JsonlReader
from entrec.engine.errors import InputError

__all__ = ["transform_request", "start_transform", "pack_multirecord", "local_transform",
           "collect", "INPUT_FILTER", "MAX_PAYLOAD_MB", "JSONL"]

JSONL = "application/jsonlines"
MAX_PAYLOAD_MB = 6
INPUT_FILTER = "$['text','lang']"
OUTPUT_KEY = "SageMakerOutput"


def transform_request(*, job_name: str, model_name: str, input_uri: str, output_uri: str,
                      instance_type: str = "ml.m5.large", instance_count: int = 1,
                      max_payload_mb: int = MAX_PAYLOAD_MB, max_concurrent: int = 0) -> dict:
    """The CreateTransformJob request (kept pure so tests and `--dry-run` can show it)."""
    if not (1 <= max_payload_mb <= 100):
        raise InputError("MaxPayloadInMB must be 1..100", code="bad-option")
    for name, uri in (("input", input_uri), ("output", output_uri)):
        if not uri.startswith("s3://"):
            raise InputError(f"the {name} must be an s3:// address, got {uri!r}", code="bad-option")
        split_s3(uri)
    req: dict[str, Any] = {
        "TransformJobName": job_name,
        "ModelName": model_name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": max_payload_mb,
        # the predictor must accept what the platform packs into one request
        "Environment": {"ENTREC_MAX_PAYLOAD_BYTES": str(max_payload_mb * 1024 * 1024),
                        "ENTREC_MAX_TEXTS": "1000000"},
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
            "ContentType": JSONL, "CompressionType": "None", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": output_uri, "Accept": JSONL, "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": instance_type, "InstanceCount": instance_count},
        "DataProcessing": {"InputFilter": INPUT_FILTER, "JoinSource": "Input", "OutputFilter": "$"},
    }
    if max_concurrent:
        req["MaxConcurrentTransforms"] = max_concurrent
    return req


def start_transform(request: dict, *, wait: bool = False, poll_s: float = 30.0) -> dict:
    """CreateTransformJob (boto3), optionally waiting until it stops; returns its description."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    sm = boto3.client("sagemaker")
    try:
        sm.create_transform_job(**request)
        desc = sm.describe_transform_job(TransformJobName=request["TransformJobName"])
        while wait and desc["TransformJobStatus"] in ("InProgress", "Stopping"):
            time.sleep(poll_s)
            desc = sm.describe_transform_job(TransformJobName=request["TransformJobName"])
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"CreateTransformJob failed: {exc}", code="transform-failed") from None
    return desc


# ------------------------------------------------------------------ what the platform does
def _filtered(line: str) -> str:
    rec = json.loads(line)
    return json.dumps({k: rec[k] for k in ("text", "lang") if k in rec}, ensure_ascii=False)


def pack_multirecord(lines: Iterable[str], max_payload_bytes: int) -> Iterator[list[str]]:
    """Group input lines the way MultiRecord + SplitType Line does: as many whole records as fit
    in one request body of at most `max_payload_bytes` (records joined by newlines)."""
    batch: list[str] = []
    size = 0
    for line in lines:
        n = len(_filtered(line).encode()) + 1
        if n > max_payload_bytes:
            raise InputError(f"a record of {n} bytes is over MaxPayloadInMB", code="record-too-large",
                             hint="split the unit into smaller sections")
        if batch and size + n > max_payload_bytes:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += n
    if batch:
        yield batch


def local_transform(input_lines: Iterable[str], url: str, *,
                    max_payload_bytes: int = MAX_PAYLOAD_MB * 1024 * 1024,
                    timeout: float = 60.0) -> Iterator[str]:
    """Run a Batch Transform against a predictor at `url` (e.g. `entrec serve`): the same
    filter, MultiRecord packing and join, yielding the `.out` lines."""
    lines = [ln for ln in (x.rstrip("\r\n") for x in input_lines) if ln.strip()]
    for batch in pack_multirecord(lines, max_payload_bytes):
        body = "".join(_filtered(ln) + "\n" for ln in batch).encode()
        req = urllib.request.Request(url.rstrip("/") + "/invocations", data=body, method="POST",
                                     headers={"Content-Type": JSONL, "Accept": JSONL})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            outputs = [o for o in resp.read().decode().split("\n") if o.strip()]
        if len(outputs) != len(batch):
            raise InputError(f"the predictor returned {len(outputs)} lines for {len(batch)} records",
                             code="transform-mismatch")
        for ln, out in zip(batch, outputs):
            yield json.dumps({**json.loads(ln), OUTPUT_KEY: json.loads(out)}, ensure_ascii=False)


# ------------------------------------------------------------------ collect
def _out_files(src: str) -> list[tuple[str, bytes]]:
    if src.startswith("s3://"):
        import boto3

        bucket, prefix = split_s3(src)
        s3 = boto3.client("s3")
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix) for o in page.get("Contents", []) if o["Key"].endswith(".out")]
        return [(f"s3://{bucket}/{k}", read_bytes(f"s3://{bucket}/{k}")) for k in sorted(keys)]
    base = Path(src)
    files = sorted(base.rglob("*.out")) if base.is_dir() else [base]
    return [(str(f.resolve()), f.read_bytes()) for f in files if f.is_file()]


def _collect_line(line: str, n: int, uri: str, doc_id: str) -> tuple[Unit, list[dict]]:
    reader = JsonlReader()
    try:
        rec = json.loads(line)
        output = rec.pop(OUTPUT_KEY)
        entities = output["entities"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return reader.unit_from_line("{}", n, uri, doc_id), []  # becomes a bad-jsonl error row
    unit = reader.unit_from_line(json.dumps(rec, ensure_ascii=False), n, uri, doc_id)
    rows = []
    for e in entities:
        if unit.text[e["start"]:e["end"]] != e["text"]:
            from dataclasses import replace

            return replace(unit, error="offset-mismatch",
                           error_message=f"{uri}:{n}: entity {e['text']!r} does not match "
                                         f"text[{e['start']}:{e['end']}]"), []
        rows.append(entity_row(unit, e))
    return unit, rows


def collect(src: str, out: str | Path) -> "BatchResult":  # noqa: F821
    """Turn Batch Transform `.out` files (a folder or s3:// prefix) into the two tables."""
    from entrec.batch.run import BatchResult, check_out_dir, new_run_id
    from entrec.batch.tables import RunDir, publish, table_summary

    t0 = time.perf_counter()
    files = _out_files(src)
    if not files:
        raise InputError(f"{src}: no .out files", code="source-empty")
    out = Path(out)
    check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    run = RunDir(out, new_run_id())
    pages_w, ents_w = run.writers()
    for uri, data in files:
        doc_id = content_hash(data)
        for n, line in enumerate(data.decode("utf-8").split("\n"), start=1):
            if not line.strip():
                continue
            unit, rows = _collect_line(line, n, uri, doc_id)
            pages_w.add([page_row(unit)])
            ents_w.add(rows)
    pages_w.close()
    ents_w.close()
    summary = table_summary(run.path)
    manifest = {
        "format_version": 1, "run_id": run.run_id,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": [src], "engine": {"id": "batch-transform", "source": src},
        "runner": {"name": "batch-transform-collect", "out_files": [u for u, _ in files]},
        "tables": {"pages": "pages/", "entities": "entities/",
                   "offsets": "0-based, end-exclusive, Unicode code points into pages.text"},
        "counts": {**summary["counts"], "documents_reused": 0},
        "documents": [{**d, "status": "collected"} for d in summary["documents"]],
        "errors": summary["errors"],
        "timings": {"total_s": round(time.perf_counter() - t0, 3)},
    }
    publish(run, manifest)
    return BatchResult(out, manifest)
