"""Hybrid engine vs the same spaCy NER pipeline alone, for any trained artifact.

    .venv/bin/python bench/hybrid_speed.py MODEL [--data FILE...] [--rounds 5]

MODEL: a model directory or model.tar.gz from `entrec train`. Texts: the documents of
`--data` (any labeled format `entrec train` reads; default LeNER-Br dev). One process, the
same texts; the systems take turns within each round (one warm-up pass each first), and
the best pass per system counts, so a change of the machine's load hits all of them alike.
Printed: seconds and words/s per system and each one's speed relative to spaCy alone
(issue 12's target: hybrid >= 0.9x). Quality is not measured here (bench/lener_br.py).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "lener-br" / "dev.conll"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--data", nargs="+", default=[str(DEV)])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lener_br import _throughput, timed_systems

    from entrec.training.evaluate import load_engines
    from entrec.training.importers import load_documents

    docs, _ = load_documents(args.data)
    texts = [d.text for d in docs]
    engines = load_engines(args.model)
    hybrid = engines["hybrid"]
    best = _throughput(timed_systems(engines), texts, args.rounds)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} texts, {words} words, best of {args.rounds} rounds; "
          f"shipped policy {hybrid.policy().name}")
    for name, secs in best.items():
        print(f"  {name:<14} {secs:7.2f}s {words / secs:9.0f} words/s  "
              f"{best['spacy_alone'] / secs:6.3f}x spaCy alone")
    print(f"hybrid / spaCy NER alone speed ratio: {best['spacy_alone'] / best['hybrid_engine']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
