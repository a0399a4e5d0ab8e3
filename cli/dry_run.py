"""`entrec dry-run`: run rule files' embedded tests (or arbitrary text) and show why."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "dry-run"
HELP = "run the tests embedded in rule files (FP/FN per rule, conflicts), or rules over --text/--input"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders (default: embedded packs)")
    p.add_argument("--text", help="run the rules over this text instead of the tests")
    p.add_argument("--input", metavar="FILE", help="run the rules over each line of FILE instead of the tests")
    p.add_argument("--lang", choices=["pt", "en"], help="language for --text/--input (default pt)")
    p.add_argument("--no-grammar", action="store_true", help="rules only (skip the inequality grammar)")
    p.add_argument("--json", action="store_true", help="machine-readable report (for CI)")
    p.add_argument("--allow-outside-paths", action="store_true",
                   help="let include:/phrases_file: name files outside the rule pack folder")
    p.add_argument("--verbose", "-v", action="store_true", help="show passing tests too")


def _free_text(engine, texts: list[str], lang: str | None, as_json: bool) -> int:
    from ._render import entity_table

    for text in texts:
        res = engine.explain(text, lang)
        if as_json:
            print(json.dumps({"text": text, "entities": [e.to_dict() for e in res.entities],
                              "discarded": [d.to_dict(text) for d in res.discarded]}, ensure_ascii=False))
            continue
        print(f"» {text}")
        print(entity_table(res.entities) if res.entities else "  (nothing fired)")
        for d in res.discarded:
            c = d.candidate
            print(f"  ✗ {text[c.start:c.end]!r} {c.label} ({c.rule_id or c.source}): {d.reason}")
        print()
    return 0


def run(args) -> int:
    from entrec.engine.dryrun import run_tests
    from entrec.engine.engine import Engine, default_rule_paths
    from entrec.engine.errors import InputError

    paths = args.paths or default_rule_paths()
    components = ("rules",) if args.no_grammar else ("rules", "grammar")
    engine = Engine.load(rules=paths, lang=args.lang, components=components,
                         allow_outside_paths=args.allow_outside_paths)
    if args.text is not None or args.input:
        texts = [args.text] if args.text is not None else []
        if args.input:
            try:
                with open(args.input, encoding="utf-8") as fh:
                    texts += [ln.rstrip("\n") for ln in fh if ln.strip()]
            except (FileNotFoundError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {args.input}: {exc}", code="file-not-found") from None
        return _free_text(engine, texts, args.lang, args.json)
    report = run_tests(engine)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 1 if report.failed else 0
    for c in report.cases:
        if c.passed and not args.verbose:
            continue
        mark = "PASS" if c.passed else "FAIL"
        print(f"{mark} {c.file}:{c.line} tests[{c.index}]: {c.text}")
        for f in c.findings:
            print(f"   {f.kind:10} {f.text!r} {f.label or ''} — {f.detail}")
        if not c.passed and c.conflicts:
            print("   conflicts:")
            for line in c.conflicts:
                print(f"     {line}")
    print("\nper rule (tp / fp / fn):")
    for rid, st in sorted(report.rules.items()):
        flag = "  <-" if st.fp or st.fn else ""
        print(f"  {rid:48} {st.tp:4} {st.fp:4} {st.fn:4}{flag}")
    for w in report.warnings:
        print(w.format())
    total = len(report.cases)
    print(f"\n{total - report.failed}/{total} test(s) passed, {report.failed} failed, "
          f"{len(report.warnings)} warning(s)")
    return 1 if report.failed else 0
