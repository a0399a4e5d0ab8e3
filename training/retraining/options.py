"""The retraining job's configuration: one dataclass, the job arguments that fill it.

The same names serve argparse (local runs, `python -m entrec.training.retrain`), Glue's
`getResolvedOptions` (every value a string) and the SageMaker Pipeline's hyperparameters.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from typing import Any, Callable

from entrec.engine.errors import EntrecError

__all__ = ["RetrainConfig", "RetrainError", "ENVIRONMENTS", "ARGUMENTS", "REQUIRED_ARGUMENTS",
           "POINTER_NAME", "build_arg_parser", "config_from_mapping", "production_endpoint"]

ENVIRONMENTS = ("dev", "hom", "prod")
POINTER_NAME = "PRODUCTION"


class RetrainError(EntrecError):
    code = "retrain-failed"


def production_endpoint(env: str) -> str:
    """The endpoint `models/PRODUCTION` of an environment's bucket belongs to (infra/template.yaml
    names it `entrec-<env>` and grants the job that endpoint only)."""
    return f"entrec-{env}"


@dataclass
class RetrainConfig:
    """Everything a run needs; the same names as the job's arguments (`--min-f1` -> min_f1)."""

    env: str
    bucket: str
    labeled_prefix: str = "labeled/"
    models_prefix: str = "models/"
    base_model: str | None = None
    min_f1: float = 0.5
    max_f1_drop: float = 0.02
    #: per-label checks only for labels with at least this many gold spans compared
    min_label_support: int = 5
    #: fewer documents than this that neither model saw: no verdict (exit 3)
    min_comparison_docs: int = 10
    heldout_fraction: float = 0.2
    label_set: str = "rules"
    deploy: bool = False
    endpoint_name: str | None = None
    image_uri: str | None = None
    role_arn: str | None = None
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    deploy_timeout: float = 1800.0
    lang: str = "pt"
    dev_fraction: float = 0.1
    seed: int = 0
    max_epochs: int | None = None
    patience: int | None = None
    max_seconds: float | None = None
    #: seconds the training run aims to stay within (None: `entrec train`'s default, 0: none)
    time_budget: float | None = None
    force: bool = False
    name: str = "entrec"
    work_dir: str | None = None
    orphan_grace_minutes: float = 60.0

    def validate(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise RetrainError(f"unknown environment {self.env!r}", code="bad-env",
                               hint=f"use one of {', '.join(ENVIRONMENTS)}")
        if not self.bucket:
            raise RetrainError("no bucket given", code="bad-bucket")
        m = re.search(r"-(dev|hom|prod)-", f"-{self.bucket}-")
        if m and m.group(1) != self.env:
            raise RetrainError(
                f"bucket {self.bucket!r} belongs to environment {m.group(1)!r}, not {self.env!r}",
                code="env-bucket-mismatch",
                hint="buckets are named <prefix>-<env>-entityrecognition; check --env/--bucket")
        for k in ("min_f1", "max_f1_drop"):
            v = getattr(self, k)
            if not 0.0 <= v <= 1.0:
                raise RetrainError(f"--{k.replace('_', '-')} must be in [0, 1], got {v}",
                                   code="bad-threshold")
        if not 0.0 < self.heldout_fraction < 1.0:
            raise RetrainError(f"--heldout-fraction must be in (0, 1), got "
                               f"{self.heldout_fraction}", code="bad-threshold")
        if self.min_comparison_docs < 1:
            raise RetrainError("--min-comparison-docs must be at least 1", code="bad-threshold")
        if self.deploy:
            missing = [k for k in ("endpoint_name", "image_uri", "role_arn") if not getattr(self, k)]
            if missing:
                raise RetrainError(
                    "--deploy needs " + ", ".join("--" + m.replace("_", "-") for m in missing),
                    code="deploy-args-missing")
            if self.endpoint_name != production_endpoint(self.env):
                raise RetrainError(
                    f"--endpoint-name {self.endpoint_name} is not the {self.env} environment's "
                    f"endpoint {production_endpoint(self.env)}: the job promotes models/PRODUCTION, "
                    "which belongs to that endpoint", code="endpoint-not-production",
                    hint="deploy to another endpoint with `entrec deploy --no-promote`")

    @property
    def labeled(self) -> str:
        return self.labeled_prefix.rstrip("/") + "/"

    @property
    def models(self) -> str:
        return self.models_prefix.rstrip("/") + "/"

    @property
    def pointer_key(self) -> str:
        return self.models + POINTER_NAME

    def thresholds(self) -> dict[str, Any]:
        """What the gate of this invocation uses (stored with every verdict)."""
        return {"min_f1": self.min_f1, "max_f1_drop": self.max_f1_drop,
                "min_label_support": self.min_label_support,
                "min_comparison_docs": self.min_comparison_docs}


_BOOL_TRUE = {"1", "true", "yes", "y", "on"}
_BOOL_FALSE = {"0", "false", "no", "n", "off", ""}


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _BOOL_TRUE:
        return True
    if s in _BOOL_FALSE:
        return False
    raise RetrainError(f"not a boolean: {v!r}", code="bad-argument", hint="use true or false")


_D = RetrainConfig.__dataclass_fields__


def _default(dest: str) -> str:
    d = _D[dest].default
    return "" if d is None else f" (default {d})"


#: Job argument name -> (RetrainConfig field, type, help). Glue passes every value as a string.
ARGUMENTS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "env": ("env", str, "environment: dev, hom or prod"),
    "bucket": ("bucket", str, "the environment's bucket, <prefix>-<env>-entityrecognition"),
    "labeled-prefix": ("labeled_prefix", str, "key prefix of the labeled data"),
    "models-prefix": ("models_prefix", str, "key prefix of model versions and PRODUCTION"),
    "base-model": ("base_model", str, "spaCy training config (.cfg, local path or s3://) merged "
                   "over the built-in one"),
    "min-f1": ("min_f1", float, "gate: minimum F1 of the candidate, overall and per label"),
    "max-f1-drop": ("max_f1_drop", float, "gate: maximum F1 drop vs production, overall and "
                    "per label, on documents neither model was trained on"),
    "min-label-support": ("min_label_support", int, "gate: per-label checks only for labels "
                          "with at least this many gold spans compared"),
    "min-comparison-docs": ("min_comparison_docs", int, "gate: fewer documents that neither "
                            "model saw give no verdict (exit 3)"),
    "heldout-fraction": ("heldout_fraction", float, "share of documents held out by content "
                         "hash (never trained on; stable as data grows)"),
    "label-set": ("label_set", str, "declared labels: `rules` (the rule packs' labels) and/or "
                  "names, e.g. `rules,PESSOA`; other labels are import errors"),
    "deploy": ("deploy", _to_bool, "deploy the promoted version to --endpoint-name first"),
    "endpoint-name": ("endpoint_name", str, "SageMaker endpoint of this environment "
                      "(entrec-<env>)"),
    "image-uri": ("image_uri", str, "predictor image (ECR URI), with --deploy"),
    "role-arn": ("role_arn", str, "SageMaker execution role ARN, with --deploy"),
    "instance-type": ("instance_type", str, "endpoint instance type"),
    "instance-count": ("instance_count", int, "endpoint instance count"),
    "deploy-timeout": ("deploy_timeout", float, "seconds to wait for InService"),
    "lang": ("lang", str, "language of the data and model"),
    "dev-fraction": ("dev_fraction", float, "share of the training documents used for early "
                     "stopping"),
    "seed": ("seed", int, "random seed of training and the early-stopping split"),
    "max-epochs": ("max_epochs", int, "maximum training epochs"),
    "patience": ("patience", int, "stop after this many epochs without a dev-F1 gain"),
    "max-seconds": ("max_seconds", float, "wall-clock cap on training"),
    "time-budget": ("time_budget", float, "seconds the training run aims to stay within "
                    "(default 900; 0: none)"),
    "force": ("force", _to_bool, "retrain even when this data was already trained or evaluated"),
    "name": ("name", str, "model name in the manifest"),
    "work-dir": ("work_dir", str, "local working folder (default: a temporary one, removed)"),
    "orphan-grace-minutes": ("orphan_grace_minutes", float, "version folders left incomplete "
                             "for longer than this are marked orphan"),
}
REQUIRED_ARGUMENTS = ("env", "bucket")


def build_arg_parser() -> argparse.ArgumentParser:
    """The job's arguments for local runs (Glue resolves the same names itself)."""
    p = argparse.ArgumentParser(
        prog="entrec_retrain",
        description="Retrain the entrec model of one environment from labeled data in S3, gate "
                    "it against production on held-out documents neither model saw, and promote "
                    "it (models/PRODUCTION) when it is not worse. Exit status: 0 promoted or "
                    "nothing to do, 1 gated or deploy rolled back, 2 error, 3 too few documents "
                    "to decide.")
    for name, (dest, typ, text) in ARGUMENTS.items():
        kw: dict[str, Any] = {"dest": dest, "required": name in REQUIRED_ARGUMENTS,
                              "help": text + ("" if name in REQUIRED_ARGUMENTS else _default(dest))}
        if typ is _to_bool:  # `--deploy` alone, or Glue-style `--deploy true`
            kw.update(nargs="?", const="true", default=None, metavar="BOOL")
        p.add_argument(f"--{name}", **kw)
    return p


def config_from_mapping(values: dict[str, Any]) -> RetrainConfig:
    """RetrainConfig from parsed arguments; keys may be dests (`min_f1`) or names (`min-f1`).

    None / "" values keep the default, so Glue's "argument absent" and argparse's default
    mean the same thing.
    """
    by_dest = {dest: typ for dest, typ, _ in ARGUMENTS.values()}
    kw: dict[str, Any] = {}
    for key, raw in values.items():
        dest = ARGUMENTS[key][0] if key in ARGUMENTS else key.replace("-", "_")
        if dest not in by_dest or raw is None:
            continue
        if raw == "" and dest not in ("deploy", "force"):
            continue
        try:
            kw[dest] = by_dest[dest](raw)
        except (TypeError, ValueError):
            raise RetrainError(f"bad value for --{dest.replace('_', '-')}: {raw!r}",
                               code="bad-argument") from None
    missing = [a for a in REQUIRED_ARGUMENTS if a not in kw]
    if missing:
        raise RetrainError("missing " + ", ".join("--" + m for m in missing), code="bad-argument")
    cfg = RetrainConfig(**kw)
    cfg.validate()
    return cfg
