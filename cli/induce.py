"""`entrec induce`: propose phrase and token-shape rules from labeled data (for review)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

NAME = "induce"
HELP = "learn candidate rules (phrases, token shapes) from labeled data into a reviewable rule file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="labeled files or folders (any format `entrec import` reads)")
    p.add_argument("--out", required=True, metavar="FILE", help="rule file to write (YAML)")
    p.add_argument("--format", help="force the data format (default: detect per file)")
    p.add_argument("--labels", help="comma-separated labels to learn (default: all)")
    p.add_argument("--lang", default="pt", help="language of the data and of the rule file")
    p.add_argument("--min-support", type=int, default=3, metavar="N",
                   help="keep a rule only if it matches at least N gold spans (default 3)")
    p.add_argument("--min-precision", type=float, default=0.8, metavar="P",
                   help="keep a rule only if at least this share of its matches are gold spans "
                   "with its label (default 0.8)")
    p.add_argument("--max-rules", type=int, default=200, metavar="N",
                   help="keep the N best rules (by support, then precision; 0 = no limit)")
    p.add_argument("--no-patterns", action="store_true", help="phrases only, no SHAPE patterns")
    p.add_argument("--tests", type=int, default=5, metavar="N",
                   help="embedded tests to write, taken from the training data (0 = none)")
    p.add_argument("--entity-list", metavar="CSV", action="append", default=[],
                   help="Comprehend entity list (Text,Type): extra phrases to measure on the data")
    p.add_argument("--sentences-per-doc", type=int, default=10, metavar="N",
                   help="CoNLL without -DOCSTART-: sentences per document")
    p.add_argument("--documents", metavar="PATH", help="Comprehend: documents folder or file")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--json", action="store_true", help="print the proposals as JSON")


def run(args) -> int:
    from entrec.engine.errors import InputError
    from entrec.training.importers import load_documents, read_entity_list
    from entrec.training.induce import induce_rules, make_tests, render_rule_file

    out = Path(args.out)
    if out.exists() and not args.force:
        raise InputError(f"{out} exists", code="out-exists", hint="pass --force to overwrite")
    if not 0.0 <= args.min_precision <= 1.0:
        raise InputError("--min-precision must be between 0 and 1", code="bad-option")
    if args.min_support < 1:
        raise InputError("--min-support must be at least 1", code="bad-option")
    labels = {x.strip() for x in args.labels.split(",") if x.strip()} if args.labels else None
    docs, report = load_documents(args.data, format=args.format, labels=labels, lang=args.lang,
                                  sentences_per_doc=args.sentences_per_doc,
                                  documents=Path(args.documents) if args.documents else None)
    print(report.summary(), file=sys.stderr)
    if not docs:
        print("entrec induce: no usable labeled document (run `entrec import` to see why)",
              file=sys.stderr)
        return 1
    extra = []
    for path in args.entity_list:
        try:
            extra += [(e.text, e.label) for e in read_entity_list(path)
                      if labels is None or e.label in labels]
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: {exc}", code="bad-entity-list") from None
    result = induce_rules(docs, lang=args.lang, min_support=args.min_support,
                          min_precision=args.min_precision, max_rules=args.max_rules,
                          patterns=not args.no_patterns, extra_phrases=extra)
    source = ", ".join(str(p) for p in args.data)
    text = render_rule_file(result, lang=args.lang, source=source)
    tests = make_tests(text, docs, lang=args.lang, n=args.tests) if args.tests > 0 else []
    if tests:
        text = render_rule_file(result, lang=args.lang, source=source, tests=tests)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(result.summary())
        if args.tests > 0 and not tests and result.kept:
            print("note: no embedded test written (no short training text is found exactly by "
                  "the induced rules alone)")
        print(f"wrote {len(result.kept)} rule(s) and {len(tests)} test(s) to {out}; review it, "
              f"then `entrec validate {out}`")
    return 0 if result.kept else 1
