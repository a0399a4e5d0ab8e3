"""The whole inequality grammar at a git revision vs the working tree, alternating in one process.

    .venv/bin/python bench/grammar_ab.py [--rev HEAD] [--rounds 15]

The machine is shared, so the two extractors alternate and each keeps its best CPU time: the
ratio is steadier than two separate bench runs. The revision's `engine/` is unpacked with
`git archive` into a temporary folder and imported as a private package (`_ab_engine`, its
`__init__` not run), so the scanner, refine pass, parser and extractor all come from that
revision; both read the working tree's grammar and lexicons. The revision always runs as
pure Python (no compiled files in `git archive`); the working tree runs compiled when it has
a current compiled build (`make compile`), so `--rev HEAD` on a clean tree measures what
compiling buys. Texts: the rules bench's sample
lines and the inequality bench's 1,000 sentences. Also checks both give the same matches.
"""
from __future__ import annotations

import argparse
import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def _load_rev(rev: str, into: pathlib.Path):
    """`InequalityExtractor` of `engine/` at `rev` (a private package, nothing else shared)."""
    data = subprocess.check_output(["git", "archive", rev, "engine"], cwd=ROOT)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    pkg = types.ModuleType("_ab_engine")
    pkg.__path__ = [str(into / "engine")]  # a namespace stand-in: engine/__init__ not run
    sys.modules["_ab_engine"] = pkg
    from importlib import import_module

    return import_module("_ab_engine.inequality").InequalityExtractor


def _rows(ext, data) -> list:
    return [[(m.start, m.end, m.core_end, m.rule_id, m.value) for m in ext.matches(t, lg)]
            for t, lg in data]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", default="HEAD", help="the baseline revision (default: HEAD)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--half-open", action="store_true")
    args = ap.parse_args()
    import inequality_throughput

    from entrec.engine.inequality import InequalityExtractor
    from entrec.engine.paths import grammars_dir

    with tempfile.TemporaryDirectory() as tmp:
        base_cls = _load_rev(args.rev, pathlib.Path(tmp))
        systems = {"baseline": base_cls.load(grammars_dir(), half_open=args.half_open),
                   "working tree": InequalityExtractor.load(half_open=args.half_open)}
    from entrec.engine.inequality import compiled_status
    print(f"working tree grammar modules: {compiled_status().describe()}; baseline: pure Python")
    lines = [l for l in (ROOT / "engine/samples/procedimentos_pt.txt").read_text(encoding="utf-8").splitlines()
             if l.strip()]
    for name, data in (("rules bench lines", [(l, "pt") for l in lines] * 20),
                       ("inequality bench sentences", inequality_throughput.sentences(1000))):
        assert _rows(systems["baseline"], data) == _rows(systems["working tree"], data), name
        best = dict.fromkeys(systems, float("inf"))
        for _ in range(args.rounds):
            for key, ext in systems.items():
                matches = ext.matches
                t0 = time.process_time()
                for t, lg in data:
                    matches(t, lg)
                best[key] = min(best[key], time.process_time() - t0)
        per = {k: v / len(data) * 1e6 for k, v in best.items()}
        print(f"{name} ({len(data)} texts): baseline {args.rev} {per['baseline']:.1f} us/text, "
              f"working tree {per['working tree']:.1f} us/text, "
              f"speed-up {per['baseline'] / per['working tree']:.2f}x (CPU, best of {args.rounds})")


if __name__ == "__main__":
    main()
