"""`entrec conformance FILE.jsonl...`: score the inequality grammar on conformance suites."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "conformance"
HELP = "score the inequality grammar on JSONL conformance suites (precision, recall, F1, misses)"
DESCRIPTION = (HELP + ". Strict = same span and same interval; relaxed = overlapping span and "
               "same interval. See docs/inequalities.md for the matching rules.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE.jsonl", help="conformance suites")
    p.add_argument("--half-open", action="store_true",
                   help='read "entre/between X e Y" as [X, Y) (the Recognizers-Text default)')
    p.add_argument("--json", action="store_true", help="print one JSON object per file")
    p.add_argument("--grammars", metavar="DIR", help="grammar folder (default: the packaged one)")
    p.add_argument("--misses", type=int, default=50, metavar="N",
                   help="show at most N misses per file (default 50; 0 hides them)")
    p.add_argument("--min-f1", type=float, metavar="X",
                   help="exit 1 when any file's strict F1 is below X")


def run(args) -> int:
    from entrec.training.real_text import is_inequality_value_file

    real = [f for f in args.files if is_inequality_value_file(f)]
    if real:
        rc = _run_real_values(args, real)
        args.files = [f for f in args.files if f not in real]
        if not args.files:
            return rc
    from entrec.engine.errors import InputError
    from entrec.engine.inequality import InequalityExtractor
    from entrec.engine.inequality.conformance import score_file

    ext = InequalityExtractor.load(args.grammars, half_open=args.half_open)
    scores = []
    for f in args.files:
        try:
            scores.append(score_file(ext, f))
        except FileNotFoundError:
            raise InputError(f"no such file: {f}", code="file-not-found") from None
        except (UnicodeDecodeError, OSError) as exc:
            raise InputError(f"cannot read {f}: {exc}", code="bad-input") from None
    failed = False
    for s in scores:
        p, r, f1 = s.strict
        if args.min_f1 is not None and f1 < args.min_f1:
            failed = True
        if args.json:
            d = s.to_dict()
            d["misses"] = d["misses"][: args.misses] if args.misses else []
            print(json.dumps(d, ensure_ascii=False))
            continue
    if not args.json:
        head = (f"{'file':<42} {'rec':>4} {'exp':>4} {'pred':>4} {'P':>6} {'R':>6} {'F1':>6}"
                f"   {'relaxed P/R/F1':>20}")
        print(head)
        for s in scores:
            p, r, f1 = s.strict
            rp, rr, rf = s.relaxed
            extra = f"  (skipped {s.skipped})" if s.skipped else ""
            print(f"{s.file:<42} {s.records:>4} {s.expected:>4} {s.predicted:>4} {p:6.3f} {r:6.3f} "
                  f"{f1:6.3f}   {rp:6.3f}/{rr:6.3f}/{rf:6.3f}{extra}")
        for s in scores:
            if s.unit_checked:
                print(f"{s.file}: unit agrees on {s.unit_agree}/{s.unit_checked} strict matches")
        if args.misses:
            for s in scores:
                if not s.misses:
                    continue
                print(f"\n{s.file}: {len(s.misses)} miss(es)")
                for m in s.misses[: args.misses]:
                    print(f"  [{m.kind}] {m.id}: {m.text!r}\n      span {m.span!r}: {m.detail}")
    if failed:
        print(f"entrec conformance: strict F1 below {args.min_f1} on at least one file",
              file=sys.stderr)
        return 1
    return 0


def _run_real_values(args, files: list[str]) -> int:
    """Real-text inequality files (span + value, no offsets): the default engine's values."""
    from entrec.engine import Engine
    from entrec.training.real_text import evaluate_inequalities, load_real_text

    engine = Engine.load(components=("rules", "grammar"), half_open=args.half_open)
    failed = False
    for f in files:
        rep = evaluate_inequalities(engine, load_real_text(f))
        if args.json:
            d = rep.to_dict()
            d["file"] = f
            d["misses"] = d["misses"][: args.misses] if args.misses else []
            print(json.dumps(d, ensure_ascii=False, default=str))
        else:
            print(f"{f} (real text, inequality values; default engine)")
            print(rep.format(max_misses=args.misses))
        if args.min_f1 is not None and rep.value(True)[2] < args.min_f1:
            failed = True
    return 1 if failed else 0
