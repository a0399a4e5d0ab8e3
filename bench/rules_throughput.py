"""Rules-only engine throughput and start-up, against bare spaCy tokenization.

    .venv/bin/python bench/rules_throughput.py [--phrases 20000] [--repeat 3]

Prints words/s of (a) `spacy.blank("pt")` tokenization and (b) the rules-only engine with
the default packs plus a generated N-phrase gazetteer, over the same sample text, with the
ratio (target >= 0.5); and the engine start-up time cold (empty phrase cache) and cached
(targets <= 5 s and <= 1 s). Both measured in this run, on this machine.
"""
from __future__ import annotations

import argparse
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
t = time.perf_counter()
from entrec.engine import Engine
Engine.load(rules=sys.argv[1:], components=("rules",))
print(time.perf_counter() - t)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phrases", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
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
        env = {**os.environ, "ENTREC_CACHE_DIR": str(folder / "cache")}
        cold = float(subprocess.check_output([sys.executable, "-c", STARTUP, *rules], env=env, cwd=ROOT))
        cached = min(float(subprocess.check_output([sys.executable, "-c", STARTUP, *rules], env=env, cwd=ROOT))
                     for _ in range(2))
        os.environ["ENTREC_CACHE_DIR"] = str(folder / "cache")
        eng = Engine.load(rules=rules, components=("rules",))
        nlp = spacy.blank("pt")
        words = sum(len(nlp.make_doc(t)) for t in texts)
        best_tok = best_eng = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            for doc in nlp.pipe(texts, batch_size=256):
                pass
            best_tok = min(best_tok, time.perf_counter() - t)
            t = time.perf_counter()
            n_ents = sum(len(ents) for ents in eng.pipe(texts, batch_size=256))
            best_eng = min(best_eng, time.perf_counter() - t)
    tok_wps, eng_wps = words / best_tok, words / best_eng
    print(f"texts: {len(texts)}  words: {words}  gazetteer phrases: {args.phrases}  entities: {n_ents}")
    print(f"spacy.blank('pt') tokenization : {tok_wps:12,.0f} words/s")
    print(f"entrec rules-only engine       : {eng_wps:12,.0f} words/s")
    print(f"ratio engine / tokenizer       : {eng_wps / tok_wps:12.2f}   (target >= 0.5)")
    print(f"start-up cold (no cache)       : {cold:12.2f} s (target <= 5 s)")
    print(f"start-up cached                : {cached:12.2f} s (target <= 1 s)")


if __name__ == "__main__":
    main()
