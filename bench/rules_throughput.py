"""Rule-layer throughput and start-up, against spaCy baselines measured in the same run.

    .venv/bin/python bench/rules_throughput.py [--phrases 20000] [--repeat 20]

Over the same sample texts, words/s of:
  (a) `spacy.blank("pt")` tokenization (the floor any token-based layer pays),
  (b) spaCy's `span_ruler` holding the same phrase lists (pack phrases + the gazetteer, LOWER),
  (c) the entrec rules-only engine (default packs + a generated N-phrase gazetteer),
  (d) the entrec default engine (rules + grammar) with the same rules;
and the ratios: (c)/(b) target >= 1.0, (c)/(a) stretch >= 0.1, (d)/(c) target >= 0.85.
Start-up (`Engine.load()` + the first extract, fresh process) cold (empty compile cache, no
bytecode) and cached (target <= 1 s; compiled packs and bytecode present, as in an installed
package), wall and CPU time. Report ratios: the CPU is shared, absolute numbers drift.

Each system's time is its best over `--repeat` rounds (systems round-robin). The best of a
few rounds is itself noisy on a shared machine: at 5 rounds default / rules-only read
0.82-0.89 between runs of the same build, at 20 rounds 0.847-0.877 (docs/performance.md,
stop 35), so 20 is the default; ~35 s.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GAZ_RULE = """\
version: 1
language: pt
labels:
  SUBESTACAO: substation
rules:
  - id: bench.gazetteer
    label: SUBESTACAO
    priority: 9
    phrases_file: gazetteer.txt
"""

STARTUP = """\
import sys, time
t, c = time.perf_counter(), time.process_time()
from entrec.engine import Engine
Engine.load(rules=sys.argv[1:]).extract("Manter a tensão na SE Xingu entre 525 kV e 550 kV.")
print(time.perf_counter() - t, time.process_time() - c)
"""


SPACY_IMPORT = """\
import time
t, c = time.perf_counter(), time.process_time()
import spacy
print(time.perf_counter() - t, time.process_time() - c)
"""


def make_gazetteer(folder: Path, n: int) -> None:
    rnd = random.Random(7)
    syll = ["ba", "ra", "ti", "ma", "go", "lu", "ce", "pi", "xu", "na", "ri", "so", "ta", "qui", "ja"]
    names = set()
    while len(names) < n:
        w = "".join(rnd.choice(syll) for _ in range(rnd.randint(2, 4))).title()
        extra = rnd.choice(["", " II", " 3", " do Norte", " " + "".join(rnd.choice(syll) for _ in range(3)).title()])
        names.add(f"SE {w}{extra}")
    (folder / "gazetteer.txt").write_text("\n".join(sorted(names)) + "\n", encoding="utf-8")
    (folder / "gazetteer.yaml").write_text(GAZ_RULE, encoding="utf-8")


def corpus() -> list[str]:
    lines = [l for l in (ROOT / "engine/samples/procedimentos_pt.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    return lines * max(1, 4000 // len(lines))


def pack_phrases(packs) -> list[str]:
    """Every phrase (and alias) the packs' phrase rules hold, as written."""
    from entrec.engine.rules.phrases import read_phrases_file

    out: list[str] = []
    for pack in packs.values():
        for r in pack.rules:
            m = r.model
            if r.kind != "phrases":
                continue
            if m.phrases_file:
                out.extend(row.text for row in read_phrases_file(Path(r.file).parent / m.phrases_file))
            else:
                for p in m.phrases or []:
                    out.extend([p] if isinstance(p, str) else [p.text, *p.aliases])
    return out


def best_of(repeat: int, fn) -> float:
    """Best CPU time of this process over `repeat` runs (the machine is shared: CPU time
    is steadier than wall time, and every system here runs on one thread)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()  # each run starts without the garbage (GC debt) of the one before
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phrases", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=20,
                    help="rounds; each system's best is kept (default 20: fewer read noisier)")
    ap.add_argument("--packs", nargs="+", metavar="DIR",
                    help="rule pack folders instead of the default packs (e.g. an older checkout's, for before/after)")
    args = ap.parse_args()
    import spacy

    from entrec.engine import Engine
    from entrec.engine.engine import default_rule_paths

    texts = corpus()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        make_gazetteer(folder, args.phrases)
        packs = args.packs or [str(p) for p in default_rule_paths()]
        rules = [*packs, str(folder / "gazetteer.yaml")]
        # bytecode as an installed package has it (pip compiles .pyc at install; this
        # checkout may run with PYTHONDONTWRITEBYTECODE): the cold run writes it under a
        # private prefix, the cached runs read it
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(ENTREC_CACHE_DIR=str(folder / "cache"), PYTHONPYCACHEPREFIX=str(folder / "pycache"))
        def timed(script: str, *argv: str) -> tuple[float, float]:
            """(wall, CPU) seconds of a fresh process running `script` (the CPU time is
            the figure a busy shared machine distorts least)."""
            wall, cpu = subprocess.check_output([sys.executable, "-c", script, *argv], env=env, cwd=ROOT).split()
            return float(wall), float(cpu)

        cold = timed(STARTUP, *rules)[0]
        spacy_runs = [timed(SPACY_IMPORT) for _ in range(3)]
        spacy_import, spacy_cpu = min(w for w, _ in spacy_runs), min(c for _, c in spacy_runs)
        cached_runs = [timed(STARTUP, *rules) for _ in range(3)]
        cached, cached_cpu = min(w for w, _ in cached_runs), min(c for _, c in cached_runs)
        os.environ["ENTREC_CACHE_DIR"] = str(folder / "cache")
        eng = Engine.load(rules=rules, components=("rules",))
        full = Engine.load(rules=rules)
        nlp = spacy.blank("pt")
        phrases = pack_phrases(eng.packs)
        ruler_nlp = spacy.blank("pt")
        ruler = ruler_nlp.add_pipe("span_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns([{"label": "ENT", "pattern": p} for p in phrases])
        words = sum(len(nlp.make_doc(t)) for t in texts)
        n_ents = sum(len(ents) for ents in eng.pipe(texts, batch_size=256))  # warm caches
        list(full.pipe(texts, batch_size=256))
        # round-robin, so a burst of load on the shared machine hits every system alike
        runs = {"tok": lambda: [None for _ in nlp.pipe(texts, batch_size=256)],
                "span": lambda: [None for _ in ruler_nlp.pipe(texts, batch_size=256)],
                "rules": lambda: [None for _ in eng.pipe(texts, batch_size=256)],
                "default": lambda: [None for _ in full.pipe(texts, batch_size=256)]}
        best = {k: float("inf") for k in runs}
        for _ in range(args.repeat):
            for k, fn in runs.items():
                best[k] = min(best[k], best_of(1, fn))
        tok, span, rules_only, default = best["tok"], best["span"], best["rules"], best["default"]
    wps = {k: words / v for k, v in (("tok", tok), ("span", span), ("rules", rules_only), ("default", default))}
    print(f"texts: {len(texts)}  words: {words}  phrases: {len(phrases)} (gazetteer {args.phrases})  entities: {n_ents}"
          f"  best of {args.repeat} rounds")
    from entrec.engine.inequality import compiled_status
    print(f"grammar modules: {compiled_status().describe()}")
    print(f"spacy.blank('pt') tokenization      : {wps['tok']:12,.0f} words/s")
    print(f"spaCy span_ruler, same phrase lists : {wps['span']:12,.0f} words/s")
    print(f"entrec rules-only engine            : {wps['rules']:12,.0f} words/s")
    print(f"entrec default engine (rules+grammar): {wps['default']:11,.0f} words/s")
    print(f"ratio rules-only / span_ruler       : {wps['rules'] / wps['span']:12.2f}   (target >= 1.0)")
    print(f"ratio rules-only / tokenizer        : {wps['rules'] / wps['tok']:12.3f}   (stretch >= 0.1)")
    ratio = wps['default'] / wps['rules']  # three decimals: 0.846 must not read "0.85"
    print(f"ratio default / rules-only          : {ratio:12.3f}   (target >= 0.85; {'met' if ratio >= 0.85 else 'NOT met'})")
    print(f"start-up cold (no cache) + 1st text : {cold:12.2f} s")
    print(f"start-up cached + 1st text          : {cached:12.2f} s wall, {cached_cpu:.2f} s CPU (target <= 1 s)")
    print(f"  of which `import spacy` alone     : {spacy_import:12.2f} s wall, {spacy_cpu:.2f} s CPU (floor)")
    print(f"  entrec's own part (cached - spacy): {cached - spacy_import:12.2f} s wall, "
          f"{cached_cpu - spacy_cpu:.2f} s CPU")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
