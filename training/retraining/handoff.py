"""Deploy hand-off: put a verified version on the environment's endpoint before promotion.

The work is `entrec.training.deploy.deploy_version` (rollback on failure); this module maps
the job's configuration onto it. `poll` and `sleep` are injected so tests never wait.
"""
from __future__ import annotations

import time
from typing import Callable

from .options import RetrainConfig

__all__ = ["deploy_candidate"]


def deploy_candidate(cfg: RetrainConfig, sagemaker, version: str, log, *, poll: float = 15.0,
                     sleep: Callable[[float], None] = time.sleep):
    """Deploy `version` to `cfg.endpoint_name`; the DeployResult (raises DeployError after a
    rollback)."""
    from entrec.training.deploy import DeploySpec, deploy_version, model_data_url

    if sagemaker is None:
        import boto3

        sagemaker = boto3.client("sagemaker")
    spec = DeploySpec(endpoint_name=cfg.endpoint_name or "", version=version,
                      model_data_url=model_data_url(cfg.bucket, version, cfg.models),
                      image_uri=cfg.image_uri or "", role_arn=cfg.role_arn or "",
                      instance_type=cfg.instance_type, instance_count=cfg.instance_count,
                      tags={"entrec:env": cfg.env, "entrec:version": version})
    res = deploy_version(sagemaker, spec, timeout=cfg.deploy_timeout, poll=poll, sleep=sleep)
    for e in res.events:
        log("  deploy: " + e)
    return res
