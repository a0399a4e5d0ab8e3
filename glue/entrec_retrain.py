"""AWS Glue job script: retrain, gate and promote the entrec model of one environment.

A thin shell on purpose: everything it does lives in `entrec.training.retraining` (installed from the
entrec wheel that the job's `--additional-python-modules` points at) and is tested there.
This file only resolves the job arguments and maps the outcome to an exit status.

In Glue the arguments come through `awsglue.utils.getResolvedOptions` (every value a
string: `--deploy true`); locally, argparse reads the same names:

    python glue/entrec_retrain.py --env dev --bucket acme-dev-entityrecognition \\
        --min-f1 0.6 --max-f1-drop 0.02

Exit status: 0 promoted or nothing to do (same data id), 1 gated or deploy rolled back,
2 bad arguments or a failed run, 3 no verdict (too few held-out documents that neither model
saw); PRODUCTION is untouched whenever the status is not 0. `--help` describes every argument.
"""
from __future__ import annotations

import sys


def _glue_values(argv: list[str]) -> dict | None:
    """Arguments resolved the Glue way, or None outside Glue (no `awsglue` module).

    getResolvedOptions makes every name it is given required, so optional arguments are
    asked for only when present on the command line.
    """
    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        return None
    from entrec.training.retraining import ARGUMENTS, REQUIRED_ARGUMENTS

    present = [name for name in ARGUMENTS
               if name in REQUIRED_ARGUMENTS or f"--{name}" in argv]
    # Glue hands names back with "-" turned into "_" (argparse dests): both are accepted
    return dict(getResolvedOptions(argv, present))


def main(argv: list[str] | None = None) -> int:
    from entrec.training.retrain import main as retrain_main

    argv = list(sys.argv if argv is None else argv)
    values = _glue_values(argv)
    if values is not None:
        return retrain_main(values=values)
    return retrain_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
