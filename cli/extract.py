"""`entrec extract`: run the engine over a file or stdin (DESIGN §4)."""
from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from typing import Iterator

NAME = "extract"
HELP = "extract entities from text (FILE or stdin), as a highlighted table or JSON"
#: texts per `pipe` batch: the grammar starts cold once per batch (its first texts after the
#: rules' pass cost several times the rest); 256 ran ~3% faster than 64 over 19,950 lines
#: (docs/performance.md, stop 33); output still streams, a batch at a time
_BATCH = 256


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="input file (default, or '-': stdin)")
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


def _lines(args) -> Iterator[str]:
    """Input lines, read lazily (a large file or an endless stdin is never held whole)."""
    from entrec.engine.errors import InputError

    try:
        fh = open(args.file, encoding="utf-8") if args.file else sys.stdin
    except FileNotFoundError:
        raise InputError(f"no such file: {args.file}", code="file-not-found") from None
    except OSError as exc:  # a folder, no permission, a name too long...
        raise InputError(f"cannot read {args.file or 'stdin'}: {exc.strerror or exc}",
                         code="file-unreadable") from None
    try:
        yield from fh
    except UnicodeDecodeError as exc:
        raise InputError(f"{args.file or 'stdin'} is not UTF-8 (byte {exc.start})", code="bad-encoding") from None
    except OSError as exc:
        raise InputError(f"cannot read {args.file or 'stdin'}: {exc.strerror or exc}",
                         code="file-unreadable") from None
    finally:
        if args.file:
            fh.close()


def _records(args) -> Iterator[dict]:
    """Input records one at a time; a bad JSONL line stops the stream with its location
    (records before it have been written)."""
    from entrec.engine.errors import InputError

    where = args.file or "<stdin>"
    if args.format == "jsonl":
        for n, line in enumerate(_lines(args), start=1):
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
            yield rec
    elif args.lines:
        for line in _lines(args):
            line = line.rstrip("\r\n")
            if line.strip():
                yield {"text": line}
    else:
        yield {"text": "".join(_lines(args))}


def _results(engine, records: Iterator[dict], explain: bool) -> Iterator[tuple[dict, list, list]]:
    """(record, entities, discarded) in input order. Without --explain the texts stream
    through `Engine.pipe` (one tokenization per text, batched sources); --explain asks for
    the full resolution record of each text."""
    if explain:
        for rec in records:
            res = engine.explain(rec["text"], rec.get("lang"))
            yield rec, res.entities, res.discarded
        return
    from entrec.engine.errors import EntrecError

    pending: deque[dict] = deque()
    failed: list[EntrecError] = []

    def texts() -> Iterator[tuple[str, str | None]]:
        try:
            for rec in records:
                pending.append(rec)
                yield rec["text"], rec.get("lang")
        except EntrecError as exc:  # a bad record ends the stream after the good ones
            failed.append(exc)

    for ents in engine.pipe(texts(), batch_size=_BATCH):
        yield pending.popleft(), ents, []
    if failed:
        raise failed[0]


def run(args) -> int:
    from entrec.engine import Engine
    from entrec.engine.loaded_objects import freeze_loaded
    from ._render import entity_table, highlight

    if args.file == "-":  # the Unix convention: "-" is stdin (a file named "-" is "./-")
        args.file = None
    # load (and validate) rules and model first: a broken rule file is reported before
    # anything is read from stdin
    engine = Engine.load(rules=args.rules, model=args.model, lang=args.lang, half_open=args.half_open,
                         allow_outside_paths=args.allow_outside_paths)
    # what was loaded stays loaded: the collector's full passes stop walking it
    freeze_loaded()
    pretty = args.display or (not args.json and sys.stdout.isatty())
    color = pretty and not args.no_color and sys.stdout.isatty()
    for rec, ents, discarded in _results(engine, _records(args), args.explain):
        if pretty:
            print(highlight(rec["text"].rstrip("\n"), ents, color=color))
            print()
            print(entity_table(ents) if ents else "(no entities)")
            if args.explain and discarded:
                print("\ndiscarded:")
                for d in discarded:
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
                out["discarded"] = [d.to_dict(rec["text"]) for d in discarded]
            print(json.dumps(out, ensure_ascii=False))
    return 0
