"""`entrec deploy`: put one model version of a bucket on a SageMaker endpoint, then promote it.

    entrec deploy --bucket acme-prod-entityrecognition --version 20250101T120000Z-0a1b2c3d4e5f \\
        --endpoint-name entrec-prod --image-uri <ecr image> --role-arn <sagemaker role>

Order: verify `models/<version>/model.tar.gz` against the sha256 in its metrics.json (and
every file checksum of its manifest), create Model + EndpointConfig named after the
version, update (or create) the endpoint, wait for InService on the new config, and only then
write `models/PRODUCTION` (`--no-promote` skips that). On failure the endpoint is rolled
back to its previous config and PRODUCTION is left alone (exit 1). Deploying an older
version this way is also how to roll back by hand.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

NAME = "deploy"
HELP = "deploy a model version from the bucket to a SageMaker endpoint (rollback on failure), then promote it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bucket", required=True, help="the environment's bucket")
    parser.add_argument("--version", dest="model_version", required=True, metavar="V",
                        help="model version under models/ in the bucket")
    parser.add_argument("--endpoint-name", required=True, help="SageMaker endpoint name")
    parser.add_argument("--image-uri", required=True, help="predictor image (ECR URI)")
    parser.add_argument("--role-arn", required=True, help="SageMaker execution role ARN")
    parser.add_argument("--env", choices=("dev", "hom", "prod"),
                        help="environment (default: read from the bucket name)")
    parser.add_argument("--instance-type", default="ml.m5.large")
    parser.add_argument("--instance-count", type=int, default=1)
    parser.add_argument("--models-prefix", default="models/")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds to wait for InService (default 1800)")
    parser.add_argument("--no-promote", action="store_true",
                        help="deploy only; leave models/PRODUCTION as it is")
    parser.add_argument("--endpoint-url", help="AWS endpoint override (tests, LocalStack)")
    parser.add_argument("--region", help="AWS region (default: the environment's)")


def run(args: argparse.Namespace) -> int:
    import boto3

    from entrec.engine.errors import InputError
    from entrec.training.deploy import DeployError, DeploySpec, deploy_version, model_data_url
    from entrec.training.retrain import (RetrainConfig, RetrainError, _get_json, promote, read_pointer,
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

    import tempfile
    from pathlib import Path

    metrics = _get_json(s3, cfg.bucket, f"{cfg.models}{args.model_version}/metrics.json")
    if metrics is None:
        raise RetrainError(f"no models/{args.model_version}/metrics.json in {cfg.bucket}",
                           code="version-not-found", hint="list versions: aws s3 ls s3://"
                           f"{cfg.bucket}/{cfg.models}")
    with tempfile.TemporaryDirectory(prefix="entrec-deploy-") as tmp:
        verify_uploaded(s3, cfg, args.model_version, metrics["artifact"]["sha256"], Path(tmp))
    pointer, etag = read_pointer(s3, cfg.bucket, cfg.models)
    spec = DeploySpec(endpoint_name=args.endpoint_name, version=args.model_version,
                      model_data_url=model_data_url(cfg.bucket, args.model_version, cfg.models),
                      image_uri=args.image_uri, role_arn=args.role_arn,
                      instance_type=args.instance_type, instance_count=args.instance_count,
                      tags={"entrec:env": env, "entrec:version": args.model_version})
    try:
        res = deploy_version(sm, spec, timeout=args.timeout)
    except DeployError as err:
        print(json.dumps({"status": "deploy-failed", "error": err.message,
                          "rolled_back": err.rolled_back, "events": err.events,
                          "production": pointer.get("version") if pointer else None}))
        print(f"entrec deploy: {err}", file=sys.stderr)
        return 1
    out = {"status": "deployed", **res.to_dict()}
    if not args.no_promote:
        if pointer and pointer.get("version") == args.model_version:
            out["production"] = args.model_version
        else:
            new = promote(s3, cfg, args.model_version, metrics["artifact"]["sha256"], pointer, etag)
            out["status"], out["production"] = "promoted", new["version"]
    print(json.dumps(out))
    return 0
