"""Write the pipeline definition JSON: `python -m pipeline [--out FILE] [--name N] ...`.

Then: `aws sagemaker create-pipeline --pipeline-name entrec-retrain-dev \\
  --role-arn <pipeline role> --pipeline-definition file://pipeline.json` (or update-pipeline).
"""
from __future__ import annotations

import argparse
import sys

from .definition import PipelineOptions, definition_json


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    p.add_argument("--out", help="output file (default: stdout)")
    p.add_argument("--name", default="entrec-retrain")
    p.add_argument("--model-package-group", default="entrec")
    args = p.parse_args(argv)
    text = definition_json(PipelineOptions(name=args.name,
                                           model_package_group=args.model_package_group))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
