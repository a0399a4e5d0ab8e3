"""The inequality scanner at a git revision vs the working tree, round-robin in one process.

    .venv/bin/python bench/scanner_ab.py [--rev 1addd5e] [--rounds 15]

The machine this runs on is shared, so the two scanners alternate and each keeps its best
CPU time: the ratio is steadier than two separate bench runs. The revision's `scanner.py` and
`numbers.py` are loaded from `git show` as private modules beside the installed package (the
rest of the grammar is the working tree's). Texts: the rules bench's sample lines and the
inequality bench's 1,000 sentences. Also checks both scanners give the same tokens.
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import time
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def _module(name: str, source: str) -> types.ModuleType:
    mod = types.ModuleType(f"entrec.engine.inequality.{name}")
    mod.__package__ = "entrec.engine.inequality"
    sys.modules[mod.__name__] = mod
    exec(compile(source, f"<{name}>", "exec"), mod.__dict__)
    return mod


def _at(rev: str, path: str) -> str:
    return subprocess.check_output(["git", "show", f"{rev}:{path}"], cwd=ROOT, text=True)


def _fields(toks) -> list[tuple]:
    return [(t.type, t.start, t.end, t.op, t.value, t.unit, t.digits) for t in toks]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default="1addd5e", help="the baseline revision (default: before the bulk tokenizer)")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    import inequality_throughput

    from entrec.engine.inequality import InequalityExtractor
    from entrec.engine.textfold import fold

    _module("_ab_numbers", _at(args.rev, "engine/inequality/numbers.py"))
    old_mod = _module("_ab_scanner", _at(args.rev, "engine/inequality/scanner.py").replace(
        "from .numbers import", "from ._ab_numbers import"))
    ext = InequalityExtractor.load()
    systems = {"baseline": {lg: old_mod.Scanner(lex) for lg, lex in ext.lexicons.items()},
               "working tree": ext._scanners}
    lines = [l for l in (ROOT / "engine/samples/procedimentos_pt.txt").read_text(encoding="utf-8").splitlines()
             if l.strip()]
    for name, items in (("rules bench lines", [(l, "pt") for l in lines] * 20),
                        ("inequality bench sentences", inequality_throughput.sentences(1000))):
        data = [(t, lg if lg in ext.lexicons else "pt", fold(t)) for t, lg in items]
        for t, lg, f in data:
            assert _fields(systems["baseline"][lg].scan(t, f)) == _fields(ext._scanners[lg].scan(t, f)), t
        best = dict.fromkeys(systems, float("inf"))
        for _ in range(args.rounds):
            for key, scanners in systems.items():
                t0 = time.process_time()
                for t, lg, f in data:
                    scanners[lg].scan(t, f)
                best[key] = min(best[key], time.process_time() - t0)
        per = {k: v / len(data) * 1e6 for k, v in best.items()}
        print(f"{name} ({len(data)} texts): baseline {args.rev} {per['baseline']:.1f} us/text, "
              f"working tree {per['working tree']:.1f} us/text, "
              f"speed-up {per['baseline'] / per['working tree']:.2f}x (CPU, best of {args.rounds})")


if __name__ == "__main__":
    main()
