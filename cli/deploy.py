"""`entrec deploy`: put one model version of a bucket on a SageMaker endpoint, then promote it.

    entrec deploy --bucket acme-prod-entityrecognition --version 20250101T120000Z-0a1b2c3d4e5f \\
        --endpoint-name entrec-prod --image-uri <ecr image> --role-arn <sagemaker role>

Order: refuse a version whose gate (models/<version>/gate.json, else the gate in its
metrics.json) did not pass or is missing, unless --force; verify model.tar.gz against the
sha256 in metrics.json (and every file checksum of its manifest); create Model +
EndpointConfig named after the version, update (or create) the endpoint, wait for
InService on the new config, and only then write models/PRODUCTION — and only when the
endpoint is the environment's own (`entrec-<env>`): PRODUCTION belongs to that endpoint,
so deploying to any other endpoint leaves it alone (as does --no-promote). On failure the
endpoint is rolled back to its previous config and PRODUCTION is left alone (exit 1).
Deploying an older version this way is also how to roll back by hand.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

NAME = "deploy"
HELP = "deploy a gated model version from the bucket to a SageMaker endpoint (rollback on failure), then promote it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", required=True, help="the environment's bucket")
    parser.add_argument("--version", dest="model_version", required=True, metavar="V",
                        help="model version under models/ in the bucket")
    parser.add_argument("--endpoint-name", required=True,
                        help="SageMaker endpoint name; PRODUCTION moves only for the "
                             "environment's endpoint entrec-<env>")
    parser.add_argument("--image-uri", required=True, help="predictor image (ECR URI)")
    parser.add_argument("--role-arn", required=True, help="SageMaker execution role ARN")
    parser.add_argument("--env", choices=("dev", "hom", "prod"),
                        help="environment (default: read from the bucket name)")
    parser.add_argument("--instance-type", default="ml.m5.large", help="default ml.m5.large")
    parser.add_argument("--instance-count", type=int, default=1, help="default 1")
    parser.add_argument("--models-prefix", default="models/", help="default models/")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds to wait for InService (default 1800)")
    parser.add_argument("--poll-interval", type=float, default=15.0, metavar="SECONDS",
                        help="seconds between endpoint status checks (default 15)")
    parser.add_argument("--no-promote", action="store_true",
                        help="deploy only; leave models/PRODUCTION as it is")
    parser.add_argument("--force", action="store_true",
                        help="deploy even when the version's gate failed, gave no verdict or "
                             "is missing (said on stderr and in the output)")
    parser.add_argument("--endpoint-url", help="AWS endpoint override (tests, LocalStack)")
    parser.add_argument("--region", help="AWS region (default: the environment's)")


def _gate_of(s3, cfg, version: str, metrics: dict) -> dict | None:
    from entrec.training.retraining import read_gate

    return read_gate(s3, cfg.bucket, cfg.models, version) or metrics.get("gate")


def run(args: argparse.Namespace) -> int:
    import tempfile
    import time
    from pathlib import Path

    import boto3

    from entrec.engine.errors import InputError
    from entrec.training.deploy import DeployError, DeploySpec, deploy_version, model_data_url
    from entrec.training.retraining import (RetrainConfig, RetrainError, get_json,
                                            production_endpoint, promote, read_pointer,
                                            verify_uploaded)

    env = args.env
    if env is None:
        m = re.search(r"-(dev|hom|prod)-", f"-{args.bucket}-")
        if not m:
            raise InputError(f"cannot tell the environment from bucket {args.bucket!r}",
                             code="bad-env", hint="pass --env dev|hom|prod")
        env = m.group(1)
    cfg = RetrainConfig(env=env, bucket=args.bucket, models_prefix=args.models_prefix)
    cfg.validate()
    kw = {k: v for k, v in (("endpoint_url", args.endpoint_url), ("region_name", args.region)) if v}
    s3 = boto3.client("s3", **kw)
    sm = boto3.client("sagemaker", **kw)
    version = args.model_version

    metrics = get_json(s3, cfg.bucket, f"{cfg.models}{version}/metrics.json")
    if metrics is None:
        raise RetrainError(f"no models/{version}/metrics.json in {cfg.bucket}",
                           code="version-not-found", hint="list versions: aws s3 ls s3://"
                           f"{cfg.bucket}/{cfg.models}")
    g = _gate_of(s3, cfg, version, metrics)
    forced = None
    if g is None or not g.get("passed"):
        why = ("has no gate verdict" if g is None else
               f"was rejected by the gate ({'; '.join(g.get('failures') or []) or 'see gate.json'})"
               if g.get("decided", True) else f"has no gate verdict: {g.get('reason')}")
        if not args.force:
            raise RetrainError(f"version {version} {why}", code="gate-missing" if g is None
                               else "gate-not-passed",
                               hint="pass --force to deploy it anyway")
        forced = f"version {version} {why}; deploying anyway (--force)"
        print(f"entrec deploy: warning: {forced}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="entrec-deploy-") as tmp:
        verify_uploaded(s3, cfg, version, metrics["artifact"]["sha256"], Path(tmp))
    pointer, etag = read_pointer(s3, cfg.bucket, cfg.models)
    spec = DeploySpec(endpoint_name=args.endpoint_name, version=version,
                      model_data_url=model_data_url(cfg.bucket, version, cfg.models),
                      image_uri=args.image_uri, role_arn=args.role_arn,
                      instance_type=args.instance_type, instance_count=args.instance_count,
                      tags={"entrec:env": env, "entrec:version": version})
    sleep = time.sleep if args.poll_interval > 0 else (lambda _s: None)
    try:
        res = deploy_version(sm, spec, timeout=args.timeout, poll=args.poll_interval, sleep=sleep)
    except DeployError as err:
        print(json.dumps({"status": "deploy-failed", "error": err.message,
                          "rolled_back": err.rolled_back, "events": err.events,
                          "production": pointer.get("version") if pointer else None}))
        print(f"entrec deploy: {err}", file=sys.stderr)
        return 1
    out = {"status": "deployed", **res.to_dict(),
           "production": pointer.get("version") if pointer else None}
    if forced:
        out["forced"] = forced
    own = production_endpoint(env)
    if args.no_promote:
        out["promotion"] = "skipped (--no-promote)"
    elif args.endpoint_name != own:
        out["promotion"] = (f"PRODUCTION not moved: it belongs to the {env} endpoint {own}, "
                            f"not {args.endpoint_name}")
        print(f"entrec deploy: {out['promotion']}", file=sys.stderr)
    elif pointer and pointer.get("version") == version:
        out["promotion"] = "already production"
    else:
        new = promote(s3, cfg, version, metrics["artifact"]["sha256"], pointer, etag)
        out["status"], out["production"] = "promoted", new["version"]
    print(json.dumps(out))
    return 0
