"""Entry point of the retraining job: `python -m entrec.training.retrain [sm-train|...] ARGS`.

The job itself lives in `entrec.training.retraining` (one module per step); this module
parses arguments, runs it and maps the outcome to an exit status for the Glue shell
(`glue/entrec_retrain.py`) and the SageMaker Pipeline's containers (pipeline/definition.py):
0 promoted or nothing to do, 1 gated or deploy rolled back, 2 error (nothing promoted),
3 no verdict (too few held-out documents that neither model saw).
"""
from __future__ import annotations

import json
import sys
from typing import Any, Sequence

from entrec.engine.errors import EntrecError
from entrec.training.retraining import (ARGUMENTS, REQUIRED_ARGUMENTS, RetrainConfig,
                                        RetrainError, RetrainResult, build_arg_parser,
                                        config_from_mapping, gate, run_retrain)
from entrec.training.retraining.sagemaker_steps import SM_COMMANDS

__all__ = ["ARGUMENTS", "REQUIRED_ARGUMENTS", "SM_COMMANDS", "RetrainConfig", "RetrainError",
           "RetrainResult", "build_arg_parser", "config_from_mapping", "gate", "run_retrain",
           "main"]


def main(argv: Sequence[str] | None = None, *, values: dict[str, Any] | None = None) -> int:
    """Run the job from argv (argparse) or from already-resolved `values` (Glue)."""
    argv = list(sys.argv[1:] if argv is None and values is None else argv or [])
    try:
        if values is None and argv and argv[0] in SM_COMMANDS:
            return SM_COMMANDS[argv[0]](argv[1:])
        if values is None:
            values = vars(build_arg_parser().parse_args(argv))
        cfg = config_from_mapping(values)
        result = run_retrain(cfg)
    except EntrecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"status": result.status, "version": result.version,
                      "production": result.production_after, "message": result.message}))
    return result.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
