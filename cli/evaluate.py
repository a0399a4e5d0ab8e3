"""`entrec evaluate`: rules-only / model-only / hybrid P/R/F1 of a model on labeled data."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "evaluate"
HELP = "score a model (rules-only, model-only, hybrid) on labeled data"
DESCRIPTION = (
    "Per-label and overall precision/recall/F1, exact-span and partial-overlap, for the "
    "rules-only, model-only and hybrid engines side by side; a confusion table of label "
    "errors and the worst misses. Writes report.md with --report."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH",
                   help="model folder or model.tar.gz (without it: rules-only with --rules/the embedded packs)")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH", help="labeled files or folders")
    p.add_argument("--rules", nargs="+", metavar="PATH", help="rule packs (default: the model's own)")
    p.add_argument("--format", dest="fmt", metavar="NAME", help="input format (default: detected)")
    p.add_argument("--labels", nargs="+", metavar="LABEL", help="score only these labels")
    p.add_argument("--lang", default="pt", choices=["pt", "en"])
    p.add_argument("--systems", nargs="+", choices=["rules", "model", "hybrid"],
                   default=["rules", "model", "hybrid"])
    p.add_argument("--json", action="store_true", help="print the full evaluation as JSON")
    p.add_argument("--report", metavar="DIR", help="write report.md and evaluation.json into DIR")
    p.add_argument("--misses", type=int, default=15, help="worst misses to list (default 15)")
    p.add_argument("--half", choices=["A", "B"],
                   help="real-text files only: score half of the pages (split by source address)")
    p.add_argument("--sure-only", action="store_true",
                   help="real-text files only: leave out lines marked unsure")


def run(args) -> int:
    from entrec.training.real_text import is_real_text_file

    if args.data and all(is_real_text_file(d) for d in args.data):
        return _run_real_text(args)
    from entrec.training.evaluate import evaluate_model, write_report
    from entrec.training.importers import load_documents

    from entrec.engine.errors import EntrecError

    docs, imp = load_documents(list(args.data), format=args.fmt, labels=args.labels, lang=args.lang)
    if not docs:
        raise EntrecError("no usable labeled documents in " + ", ".join(args.data),
                          code="no-eval-data", hint="see `entrec import` for why records were skipped")
    if imp.skipped_records or imp.skipped_spans:
        print(f"note: {imp.skipped_records} record(s) and {imp.skipped_spans} span(s) skipped on import",
              file=sys.stderr)
    report = evaluate_model(args.model, docs, rules=args.rules, systems=args.systems,
                            only_labels=args.labels)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        print(report.format(max_misses=args.misses))
    if args.report:
        md, js = write_report(report, args.report)
        print(f"report: {md}", file=sys.stderr)
    return 0


def _run_real_text(args) -> int:
    """Real-text files (`text` + `expected`, per-line `lang`): the engine as a user gets it."""
    from entrec.engine import Engine
    from entrec.training.real_text import evaluate_entities, load_real_text, select_half

    records = [r for d in args.data for r in load_real_text(d)]
    records = select_half(records, args.half)
    engine = Engine.load(rules=args.rules, model=args.model, lang=args.lang)
    report = evaluate_entities(engine, records, include_unsure=not args.sure_only,
                               labels=args.labels)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        comps = "+".join(c for c in engine.components if c != "model" or engine.model_dir)
        print(f"engine: {'model ' + str(args.model) if args.model else 'embedded default'} ({comps})"
              f"{'; half ' + args.half if args.half else ''}{'; sure lines only' if args.sure_only else ''}")
        print(report.format(max_misses=args.misses))
    return 0
