"""What the cyclic collector costs a long `pipe` run, with and without `freeze_loaded`.

    .venv/bin/python bench/collector_load.py [--copies 5] [--batch 64 256] [--repeat 2]

Same texts, packs and generated 20,000-name gazetteer as `bench/rules_throughput.py`, the
sample repeated `--copies` times (19,950 texts by default: long enough for the full
collections a shorter bench run never reaches). For the rules-only and the default engine
and each batch size: CPU µs per text and the part of it spent in the collector (timed by
`gc.callbacks`), and collections per generation; first with everything the process loaded
in the collector's generations, then after `entrec.engine.loaded_objects.freeze_loaded()`
(what the CLI's extract, the batch runners and the predictor's master do). Prints the
frozen / unfrozen ratio of each row, measured in the same run (best of `--repeat`).
"""
from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.rules_throughput import corpus, make_gazetteer  # noqa: E402


class _CollectorClock:
    """Time spent in collections and their count per generation (`gc.callbacks`)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs: Counter = Counter()
        self._t = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t
            self.runs[info["generation"]] += 1

    def reset(self) -> None:
        self.seconds, self.runs = 0.0, Counter()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phrases", type=int, default=20000)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    from entrec.engine import Engine
    from entrec.engine.engine import default_rule_paths
    from entrec.engine.loaded_objects import freeze_loaded

    texts = corpus() * args.copies
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        make_gazetteer(folder, args.phrases)
        rules = [*(str(p) for p in default_rule_paths()), str(folder / "gazetteer.yaml")]
        engines = {"rules-only": Engine.load(rules=rules, components=("rules",)),
                   "default": Engine.load(rules=rules)}
    for e in engines.values():  # lazily built pipelines, warm caches
        list(e.pipe(texts[:2000], batch_size=256))
    clock = _CollectorClock()
    gc.callbacks.append(clock)
    best: dict = {}
    for _ in range(args.repeat):
        for frozen in (False, True):
            gc.unfreeze()
            if frozen:
                freeze_loaded()
            for bs in args.batch:
                for name, e in engines.items():
                    gc.collect()
                    clock.reset()
                    t = time.process_time()
                    for _ents in e.pipe(texts, batch_size=bs):
                        pass
                    cpu = time.process_time() - t
                    key = (frozen, bs, name)
                    if key not in best or cpu < best[key][0]:
                        best[key] = (cpu, clock.seconds, dict(clock.runs))
    gc.callbacks.remove(clock)
    gc.unfreeze()
    n = len(texts)
    print(f"texts: {n}  CPU µs per text (best of {args.repeat}); collector time inside it; collections per generation")
    for bs in args.batch:
        for name in engines:
            rows = []
            for frozen in (False, True):
                cpu, coll, runs = best[(frozen, bs, name)]
                rows.append(cpu)
                print(f"batch {bs:4d} {name:10s} {'frozen  ' if frozen else 'unfrozen'}: {cpu / n * 1e6:7.1f}"
                      f"   collector {coll / n * 1e6:5.1f}   {runs}")
            print(f"{'':27s}frozen / unfrozen: {rows[1] / rows[0]:.3f}")
        r = {f: best[(f, bs, 'rules-only')][0] / best[(f, bs, 'default')][0] for f in (False, True)}
        print(f"batch {bs:4d} default / rules-only: unfrozen {r[False]:.3f}, frozen {r[True]:.3f}")


if __name__ == "__main__":
    main()
