"""`entrec schema`: JSON Schema of rule files, for editor validation and autocomplete."""
from __future__ import annotations

import argparse
import json

NAME = "schema"
HELP = "print the JSON Schema of rule files (for VS Code YAML and other editors)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")


def run(args) -> int:
    from entrec.engine.rules.schema import rule_file_json_schema

    text = json.dumps(rule_file_json_schema(), indent=2, ensure_ascii=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    return 0
