"""The retraining job: labeled data in S3 -> a gated, atomic promotion of a new model version.

One module per job of a run (S3 layout: DESIGN §8, one bucket per environment):

- `options`    the configuration and the job's arguments (Glue, argparse, SageMaker)
- `store`      the bucket's objects: JSON, downloads, models/PRODUCTION
- `snapshot`   labeled/ copied locally and named by its data id
- `gate`       candidate vs production on held-out documents neither model saw
- `promotion`  version folders (complete / failed / orphan), verification, PRODUCTION
- `handoff`    deploy to the environment's endpoint before promotion
- `job`        one run, in order (`run_retrain`), training through `run_training`
- `sagemaker_steps`  the same core as SageMaker Pipeline steps

`glue/entrec_retrain.py` and `python -m entrec.training.retrain` are the shells.
"""
from __future__ import annotations

from .gate import Comparison, GateCheck, GateResult, gate, verdict_from_metrics
from .job import EXIT_CODES, EXIT_HOOK_ENV, RetrainResult, run_retrain, train_candidate
from .options import (ARGUMENTS, ENVIRONMENTS, REQUIRED_ARGUMENTS, RetrainConfig, RetrainError,
                      build_arg_parser, config_from_mapping, production_endpoint)
from .promotion import promote, read_gate, verify_uploaded
from .snapshot import make_version
from .store import get_json, read_pointer

__all__ = [
    "RetrainConfig", "RetrainError", "RetrainResult", "GateCheck", "GateResult", "Comparison",
    "ENVIRONMENTS", "ARGUMENTS", "REQUIRED_ARGUMENTS", "EXIT_CODES", "EXIT_HOOK_ENV",
    "build_arg_parser", "config_from_mapping", "production_endpoint", "gate",
    "verdict_from_metrics", "run_retrain", "train_candidate", "promote", "read_gate",
    "verify_uploaded", "make_version", "get_json", "read_pointer",
]
