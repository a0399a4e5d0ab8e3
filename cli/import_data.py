"""`entrec import`: read labeled data in any supported format and show what was usable.

Nothing is trained here: this is the place to look at the import report (what was skipped
and why, what was fixed, labels seen) before training, and to convert everything into one
JSONL file (`--out`) that every other command reads.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "import"
HELP = "import labeled data (Prodigy, doccano, CoNLL, Label Studio, Comprehend) and show the report"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (recursive)")
    p.add_argument("--format", help="force one format for every file (default: detect per file): "
                   "jsonl (prodigy, doccano), conll, label-studio, comprehend, "
                   "comprehend-entity-list")
    p.add_argument("--labels", help="comma-separated labels to keep; other spans are dropped and "
                   "reported as unknown-label")
    p.add_argument("--lang", default="pt", help="tokenizer language for alignment checks (pt, en)")
    p.add_argument("--report", metavar="FILE", help="also write the report: .md (Markdown), .json, "
                   "else plain text")
    p.add_argument("--out", metavar="FILE", help="write the imported documents as JSONL")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--documents", metavar="PATH", help="Comprehend: folder or file holding the "
                   "documents the CSV refers to / the entity list labels")
    p.add_argument("--comprehend-mode", choices=("line", "file"), default="line",
                   help="Comprehend input format: ONE_DOC_PER_LINE (line) or ONE_DOC_PER_FILE")
    p.add_argument("--sentences-per-doc", type=int, default=10, metavar="N",
                   help="CoNLL without -DOCSTART-: sentences per document (0 = whole file)")
    p.add_argument("--text-key", help="Label Studio: key of `data` holding the text")
    p.add_argument("--keep-duplicates", action="store_true", help="do not skip duplicate texts")
    p.add_argument("--max-listed", type=int, default=50, metavar="N",
                   help="skipped records listed in the text/Markdown report (default 50)")
    p.add_argument("--strict", action="store_true", help="exit 1 when any record was skipped")


def run(args) -> int:
    from entrec.training.importers import load_documents, write_documents

    labels = {x.strip() for x in args.labels.split(",") if x.strip()} if args.labels else None
    docs, report = load_documents(
        args.paths, format=args.format, labels=labels, lang=args.lang,
        documents=Path(args.documents) if args.documents else None,
        comprehend_mode=args.comprehend_mode, sentences_per_doc=args.sentences_per_doc,
        text_key=args.text_key, dedupe=not args.keep_duplicates)
    report.max_listed = max(0, args.max_listed)
    if args.out:
        write_documents(docs, args.out)
    if args.report:
        path = Path(args.report)
        if path.suffix.lower() == ".md":
            path.write_text(report.to_markdown(), encoding="utf-8")
        elif path.suffix.lower() == ".json":
            path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
        else:
            path.write_text(report.format() + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.format())
        if args.out:
            print(f"\nwrote {len(docs)} document(s) to {args.out}")
    if not docs:
        print("entrec import: no usable document (see the report)", file=sys.stderr)
        return 1
    return 1 if args.strict and report.skipped else 0
