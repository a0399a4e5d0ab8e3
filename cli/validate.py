"""`entrec validate`: check rule files; every error at once, located, with hints."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "validate"
HELP = "validate rule files: every error with file:line:column, YAML path and a hint"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule files or folders (default: embedded packs)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-lint", action="store_true", help="skip lint warnings (they run the embedded tests)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--allow-outside-paths", action="store_true",
                   help="let include:/phrases_file: name files outside the rule pack folder")


def run(args) -> int:
    from entrec.engine.engine import Engine, default_rule_paths
    from entrec.engine.rules.loader import check_rule_files

    paths = args.paths or default_rule_paths()
    packs, diags = check_rule_files(paths, allow_outside_paths=args.allow_outside_paths)
    errors = [d for d in diags if d.severity == "error"]
    if not errors and not args.no_lint:
        from entrec.engine.dryrun import lint

        try:
            engine = Engine.load(rules=paths, allow_outside_paths=args.allow_outside_paths)
            diags.extend(lint(engine))
        except Exception as exc:  # lint is best effort; validation results stand
            print(f"note: lint skipped ({exc})", file=sys.stderr)
    warnings = [d for d in diags if d.severity == "warning"]
    n_rules = sum(len(p.rules) for p in packs.values())
    n_tests = sum(len(p.tests) for p in packs.values())
    if args.json:
        print(json.dumps({"ok": not errors, "errors": len(errors), "warnings": len(warnings),
                          "rules": n_rules, "tests": n_tests,
                          "diagnostics": [d.to_dict() for d in diags]}, ensure_ascii=False, indent=2))
    else:
        for d in diags:
            print(d.format(), file=sys.stderr if d.severity == "error" else sys.stdout)
        status = "OK" if not errors else "FAILED"
        print(f"{status}: {len(errors)} error(s), {len(warnings)} warning(s); {n_rules} rule(s), "
              f"{n_tests} test(s) in {len(packs)} language pack(s)")
    return 1 if errors or (args.strict and warnings) else 0
