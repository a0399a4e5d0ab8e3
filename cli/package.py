"""`entrec package`: build a model artifact (model.tar.gz + unpacked folder), DESIGN §7."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "package"
HELP = "build a verified, reproducible model artifact (model.tar.gz) from rules, grammars and an optional NER model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", nargs="+", metavar="PATH",
                        help="rule files or folders (default: the embedded packs)")
    parser.add_argument("--grammars", metavar="DIR",
                        help="grammar + lexicon folder (default: the embedded grammars)")
    parser.add_argument("--ner", metavar="DIR", help="spaCy pipeline saved by `entrec train`")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="output folder (gets model.tar.gz, model/ and metrics.json)")
    parser.add_argument("--name", default="entrec", help="model name (default: entrec)")
    parser.add_argument("--version", dest="model_version", metavar="V",
                        help="model version (default: UTC time, YYYYMMDDTHHMMSSZ)")
    parser.add_argument("--metrics", metavar="FILE", help="JSON file with evaluation metrics")
    parser.add_argument("--training-data-sha256", metavar="HEX",
                        help="sha256 of the training data the model was built from")


def run(args: argparse.Namespace) -> int:
    from entrec.engine.errors import InputError
    from entrec.training.package import layout, package_model

    metrics = None
    if args.metrics:
        try:
            with open(args.metrics, encoding="utf-8") as fh:
                metrics = json.load(fh)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read metrics file {args.metrics}: {exc}",
                             code="bad-metrics-file") from exc
        if not isinstance(metrics, dict):
            raise InputError(f"{args.metrics} must hold a JSON object", code="bad-metrics-file")
    tar = package_model(args.out, rules=args.rules, grammars_dir=args.grammars,
                        ner_dir=args.ner, name=args.name, version=args.model_version,
                        metrics=metrics, training_data_sha256=args.training_data_sha256)
    from entrec.engine.artifact import sha256_file

    lay = layout(args.out)
    manifest = json.loads((lay.model_dir / "manifest.json").read_text(encoding="utf-8"))
    print(json.dumps({"tarball": str(tar), "sha256": sha256_file(tar),
                      "model_dir": str(lay.model_dir), "name": manifest["name"],
                      "version": manifest["version"], "components": manifest["components"],
                      "files": len(manifest["files"])}, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover
    p = argparse.ArgumentParser(prog="entrec package")
    add_arguments(p)
    sys.exit(run(p.parse_args()))
