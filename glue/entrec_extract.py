"""AWS Glue 5 job script: documents in S3 -> the `pages` and `entities` tables + manifest.

A thin shell on purpose: everything lives in `entrec.batch.job` (installed from the entrec
wheel and its `docs` extra through `--additional-python-modules`, see
docs/documents-at-scale.md) and is tested there. This file resolves the job arguments, gets
the Spark session and maps the outcome to an exit status.

In Glue the arguments come through `awsglue.utils.getResolvedOptions`; locally argparse reads
the same names and a local Spark session runs the same code:

    python glue/entrec_extract.py --sources s3://bucket/documents/ --out s3://bucket/tables/ \\
        --model s3://bucket/models/2026.../model.tar.gz

Exit status: 0 written (LATEST points at the run), 2 bad arguments or a failed run (LATEST
untouched).
"""
from __future__ import annotations

import argparse
import sys


def _parse(argv: list[str]) -> dict:
    from entrec.batch.job import ARGUMENTS, REQUIRED_ARGUMENTS

    try:
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
    except ImportError:
        p = argparse.ArgumentParser(prog="entrec_extract.py")
        for name in ARGUMENTS:
            p.add_argument(f"--{name}", required=name in REQUIRED_ARGUMENTS)
        p.add_argument("--master", default="local[*]", help="local runs only")
        return {k.replace("-", "_"): v for k, v in vars(p.parse_args(argv[1:])).items()}
    present = [n for n in ARGUMENTS if n in REQUIRED_ARGUMENTS or f"--{n}" in argv]
    values = getResolvedOptions(argv, [n.replace("-", "_") for n in present])
    return {k.replace("-", "_"): v for k, v in values.items()}


def _session(values: dict):
    try:
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from pyspark.context import SparkContext
    except ImportError:
        from entrec.batch.spark import spark_session

        return spark_session(values.get("master") or "local[*]", app_name="entrec-extract")
    return GlueContext(SparkContext.getOrCreate()).spark_session


def main(argv: list[str] | None = None, spark=None) -> int:
    from entrec.batch.core import EngineSpec
    from entrec.batch.job import run_job
    from entrec.engine.errors import EntrecError

    argv = list(sys.argv if argv is None else argv)
    values = _parse(argv)
    spec = EngineSpec(model=values.get("model") or None, lang=values.get("lang") or None,
                      half_open=str(values.get("half_open") or "false").lower() == "true")
    sources = [s.strip() for s in values["sources"].split(",") if s.strip()]
    try:
        manifest = run_job(spark or _session(values), sources, values["out"], spec)
    except EntrecError as exc:
        print(f"entrec_extract: {exc}", file=sys.stderr)
        return 2
    c = manifest["counts"]
    print(f"entrec_extract: run {manifest['run_id']}: {c['documents']} document(s), "
          f"{c['units']} unit(s), {c['units_with_error']} error row(s), {c['entities']} entities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
