"""`entrec transform`: start a SageMaker Batch Transform over JSON Lines units in S3 (or run the
same packing against a local predictor with --local URL); `entrec batch collect` turns the
output into the Parquet tables."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

NAME = "transform"
HELP = "run SageMaker Batch Transform over JSON Lines units (SplitType Line, MultiRecord, JoinSource Input)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="INPUT", help="s3://bucket/prefix of .jsonl units "
                   "(`entrec pages --out units.jsonl`); with --local, a local .jsonl file")
    p.add_argument("--output", required=True, metavar="S3_OR_DIR",
                   help="s3:// output path of the job; with --local, a folder for the .out file")
    p.add_argument("--model-name", metavar="NAME", help="SageMaker model (e.g. entrec-dev-<version>)")
    p.add_argument("--job-name", metavar="NAME", help="default entrec-transform-<UTC time>")
    p.add_argument("--instance-type", default="ml.m5.large")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--max-payload-mb", type=int, default=6, help="MaxPayloadInMB (default 6)")
    p.add_argument("--wait", action="store_true", help="wait until the job stops")
    p.add_argument("--dry-run", action="store_true", help="print the request, start nothing")
    p.add_argument("--local", metavar="URL", help="send the packed requests to a predictor at URL "
                   "(e.g. `entrec serve`) instead of starting a job")


def run(args) -> int:
    from entrec.batch.transform import local_transform, start_transform, transform_request
    from entrec.engine.errors import InputError

    if args.local:
        from pathlib import Path

        src = Path(args.input)
        if not src.is_file():
            raise InputError(f"no such file: {src}", code="file-not-found")
        out_dir = Path(args.output)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / (src.name + ".out")
        n = 0
        with src.open(encoding="utf-8") as fh, target.open("w", encoding="utf-8") as out:
            for line in local_transform(fh, args.local,
                                        max_payload_bytes=args.max_payload_mb * 1024 * 1024):
                out.write(line + "\n")
                n += 1
        print(f"entrec transform: {n} record(s) -> {target}", file=sys.stderr)
        return 0
    if not args.model_name:
        raise InputError("--model-name is required (the SageMaker model to run)", code="bad-option")
    job = args.job_name or "entrec-transform-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    req = transform_request(job_name=job, model_name=args.model_name, input_uri=args.input,
                            output_uri=args.output, instance_type=args.instance_type,
                            instance_count=args.instance_count, max_payload_mb=args.max_payload_mb)
    if args.dry_run:
        print(json.dumps(req, indent=2))
        return 0
    desc = start_transform(req, wait=args.wait)
    print(json.dumps({"TransformJobName": desc["TransformJobName"],
                      "TransformJobArn": desc.get("TransformJobArn"),
                      "TransformJobStatus": desc.get("TransformJobStatus")}))
    if args.wait and desc.get("TransformJobStatus") != "Completed":
        print(f"entrec transform: job ended {desc.get('TransformJobStatus')}: "
              f"{desc.get('FailureReason', '')}", file=sys.stderr)
        return 1
    print(f"entrec transform: then `entrec batch collect {args.output.rstrip('/')}/ --out DIR`",
          file=sys.stderr)
    return 0
