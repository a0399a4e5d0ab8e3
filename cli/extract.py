"""`entrec extract`: run the engine over a file or stdin (DESIGN §4)."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "extract"
HELP = "extract entities from text (FILE or stdin), as a highlighted table or JSON"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="input file (default: stdin)")
    p.add_argument("--rules", nargs="+", metavar="PATH", help="rule files or folders (default: embedded packs)")
    p.add_argument("--model", metavar="PATH", help="model directory or model.tar.gz")
    p.add_argument("--lang", choices=["pt", "en"], help="language of texts that do not say (default pt)")
    p.add_argument("--format", choices=["text", "jsonl"], default="text",
                   help="input format: plain text, or JSON Lines records {text, lang?, id?}")
    p.add_argument("--lines", action="store_true", help="text input: each non-empty line is a separate text")
    p.add_argument("--explain", action="store_true", help="also show discarded candidates and why they lost")
    p.add_argument("--allow-outside-paths", action="store_true",
                   help="let include:/phrases_file: name files outside the rule pack folder")
    p.add_argument("--half-open", action="store_true", help='"entre X e Y" as [X, Y) instead of [X, Y]')
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="force JSON output (default when piped)")
    out.add_argument("--display", action="store_true", help="force the highlighted display (default on a terminal)")
    p.add_argument("--no-color", action="store_true")


def _records(args) -> list[dict]:
    from entrec.engine.errors import InputError

    try:
        if args.file:
            with open(args.file, encoding="utf-8") as fh:
                raw = fh.read()
        else:
            raw = sys.stdin.read()
    except FileNotFoundError:
        raise InputError(f"no such file: {args.file}", code="file-not-found") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{args.file or 'stdin'} is not UTF-8 (byte {exc.start})", code="bad-encoding") from None
    except OSError as exc:  # a folder, no permission, a name too long...
        raise InputError(f"cannot read {args.file or 'stdin'}: {exc.strerror or exc}",
                         code="file-unreadable") from None
    where = args.file or "<stdin>"
    if args.format == "jsonl":
        recs = []
        for n, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}:{n}: invalid JSON: {exc.msg} (column {exc.colno})",
                                 code="bad-jsonl") from None
            if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
                raise InputError(f'{where}:{n}: each line must be an object with a string "text"',
                                 code="bad-jsonl", hint='e.g. {"text": "SE Xingu", "lang": "pt"}')
            if rec.get("lang") is not None and rec["lang"] not in ("pt", "en"):
                raise InputError(f"{where}:{n}: unsupported lang {rec['lang']!r}", code="unsupported-language",
                                 hint="use pt or en")
            recs.append(rec)
        return recs
    if args.lines:
        return [{"text": line} for line in raw.splitlines() if line.strip()]
    return [{"text": raw}]


def run(args) -> int:
    from entrec.engine import Engine
    from ._render import entity_table, highlight

    # load (and validate) rules and model first: a broken rule file is reported before
    # anything is read from stdin
    engine = Engine.load(rules=args.rules, model=args.model, lang=args.lang, half_open=args.half_open,
                         allow_outside_paths=args.allow_outside_paths)
    records = _records(args)
    pretty = args.display or (not args.json and sys.stdout.isatty())
    color = pretty and not args.no_color and sys.stdout.isatty()
    for rec in records:
        res = engine.explain(rec["text"], rec.get("lang"))
        ents = res.entities
        if pretty:
            print(highlight(rec["text"].rstrip("\n"), ents, color=color))
            print()
            print(entity_table(ents) if ents else "(no entities)")
            if args.explain and res.discarded:
                print("\ndiscarded:")
                for d in res.discarded:
                    c = d.candidate
                    print(f"  {c.start}-{c.end} {c.label} {rec['text'][c.start:c.end]!r} ({c.rule_id or c.source}): {d.reason}")
            print()
        else:
            out = {}
            if "id" in rec:
                out["id"] = rec["id"]
            out["text"] = rec["text"]
            out["entities"] = [e.to_dict() for e in ents]
            if args.explain:
                out["discarded"] = [d.to_dict(rec["text"]) for d in res.discarded]
            print(json.dumps(out, ensure_ascii=False))
    return 0
