"""`entrec batch`: documents to the `pages` and `entities` Parquet tables plus a manifest,
locally, in a fork pool or on Spark; `entrec batch collect` turns Batch Transform output into
the same tables (docs/documents-at-scale.md)."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "batch"
HELP = "extract entities from many documents into Parquet tables (local, fork pool or Spark)"
DESCRIPTION = HELP + ". `entrec batch collect OUT_PREFIX --out DIR` reads Batch Transform output."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="*", metavar="SRC",
                   help="files, folders or s3://bucket/prefix; or `collect S3_OR_DIR` to turn "
                        "Batch Transform .out files into the tables")
    p.add_argument("--out", metavar="DIR", help="output folder: pages/, entities/, manifest.json")
    p.add_argument("--model", metavar="M", help="model directory or model.tar.gz")
    p.add_argument("--rules", nargs="+", metavar="PATH", help="rule files or folders")
    p.add_argument("--lang", choices=["pt", "en"], help="language of texts that do not say")
    p.add_argument("--half-open", action="store_true", help='"entre X e Y" as [X, Y)')
    p.add_argument("--workers", type=int, default=1, metavar="N", help="fork pool size (default 1)")
    p.add_argument("--spark", nargs="?", const="local[*]", metavar="MASTER",
                   help="run on Spark (default master local[*]; e.g. local[2], yarn)")
    p.add_argument("--no-reuse", action="store_true",
                   help="extract every document again even when unchanged")
    p.add_argument("--schema", action="store_true", help="print the tables' schema and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run(args) -> int:
    from entrec.engine.errors import InputError

    if args.schema:
        from entrec.batch.schema import describe

        print(describe())
        return 0
    if not args.out:
        raise InputError("--out DIR is required", code="bad-option")
    if args.sources[:1] == ["collect"]:
        from entrec.batch.transform import collect

        if len(args.sources) != 2:
            raise InputError("usage: entrec batch collect S3_PREFIX_OR_DIR --out DIR", code="bad-option")
        result = collect(args.sources[1], args.out)
    else:
        from entrec.batch import EngineSpec, run_batch

        if not args.sources:
            raise InputError("give at least one SRC (file, folder or s3://bucket/prefix)",
                             code="bad-option")
        if args.workers < 1:
            raise InputError("--workers must be at least 1", code="bad-option")
        spec = EngineSpec(rules=tuple(args.rules) if args.rules else None, model=args.model,
                          lang=args.lang, half_open=args.half_open)
        spark = None
        if args.spark:
            from entrec.batch.spark import spark_session

            spark = spark_session(args.spark)
        try:
            result = run_batch(args.sources, args.out, spec, workers=args.workers, spark=spark,
                               progress=None if not args.quiet else False,
                               reuse=not args.no_reuse)
        finally:
            if spark is not None:
                spark.stop()
    m = result.manifest
    if not args.quiet:
        c = m["counts"]
        print(f"entrec batch: {c['documents']} document(s) ({c.get('documents_reused', 0)} "
              f"unchanged), {c['units']} unit(s), {c['units_with_error']} error row(s), "
              f"{c['entities']} entities -> {result.out}", file=sys.stderr)
        for e in m["errors"][:20]:
            print(f"  [{e['code']}] {e['message']}", file=sys.stderr)
        if len(m["errors"]) > 20:
            print(f"  ... {len(m['errors']) - 20} more in manifest.json", file=sys.stderr)
    if not sys.stdout.isatty():
        print(json.dumps(m["counts"], ensure_ascii=False))
    return 0
