"""The default engine's `pipe` over bench texts, for a cache simulation of the grammar's share.

Run under callgrind (slow: ~2 minutes), collecting events only inside the grammar source:

    valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --I1=32768,8,64 \\
        --LL=1048576,16,64 --toggle-collect='*InequalitySource*find_many*' \\
        --callgrind-out-file=/tmp/grammar.cg .venv/bin/python bench/grammar_cachesim.py [--twice]
    callgrind_annotate --show=Ir,ILmr,DLmr,DLmw --sort=DLmr /tmp/grammar.cg | head -40

`--LL` is this machine's L2 per core (1 MB), so "LL misses" are what the grammar fetches
from L3 or memory. `--twice` calls the grammar source a second time on the same Docs of each
batch: the misses that run adds over a plain run are the warm ones, the rest is the cold
start after the rules' pass (docs/performance.md, stop 35: 42 per text plain, ~3 more with
`--twice`). Divide by the texts collected: `--texts` plus the 256 warm-up texts.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rules_throughput import corpus, make_gazetteer  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=2048)
    ap.add_argument("--phrases", type=int, default=20000)
    ap.add_argument("--twice", action="store_true",
                    help="call the grammar source twice per batch (the second call warm)")
    args = ap.parse_args()

    from entrec.engine import Engine
    from entrec.engine.engine import default_rule_paths
    from entrec.engine.inequality import InequalitySource

    texts = corpus()[:args.texts]
    with tempfile.TemporaryDirectory() as d:
        make_gazetteer(Path(d), args.phrases)
        engine = Engine.load(rules=[*(str(p) for p in default_rule_paths()), str(Path(d) / "gazetteer.yaml")])
    if args.twice:
        source = next(s for s in engine.sources("pt") if isinstance(s, InequalitySource))
        find_many = source.find_many

        def twice(docs):
            find_many(docs)
            return find_many(docs)

        source.find_many = twice
    list(engine.pipe(texts[:256], batch_size=256))  # lazily built parts, first caches
    for _ in engine.pipe(texts, batch_size=256):
        pass
    print(f"{len(texts)} texts (+256 warm-up) through the default engine's pipe"
          f"{', grammar source twice per batch' if args.twice else ''}")


if __name__ == "__main__":
    main()
