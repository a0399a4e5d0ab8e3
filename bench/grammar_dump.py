"""Every match of the grammar (default and half-open) and its token streams over ~28,000
texts, one JSON line per text: the before/after check for any change meant to keep the
grammar's output identical.

    .venv/bin/python bench/grammar_dump.py /tmp/before.jsonl [--engine]
    ... change ...
    .venv/bin/python bench/grammar_dump.py /tmp/after.jsonl [--engine] && cmp /tmp/before.jsonl /tmp/after.jsonl

Texts: every conformance file and real-dev file under ../shared (when present), the
inequality bench's generated sentences (three seeds), the sample files in pt and en, the
scanner tests' word salads (four seeds), the parser tests' templates and shuffled words of
the sample lines in pt/en/es. Per text: the matches of both extractors, the scanner's tokens
and the tokens after refine. `--engine` also writes OUT.engine: the default engine's entities
(`pipe`) for every third of the first 30,000 texts.
"""
from __future__ import annotations

import json
import pathlib
import random
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "engine" / "inequality"))
SHARED = ROOT.parent / "shared"


def texts() -> list[tuple[str, str]]:
    import inequality_throughput
    import test_fast_paths
    import test_scanner_fast_path

    out = []
    for p in sorted((SHARED / "conformance").glob("*.jsonl")) + sorted((SHARED / "data/real-dev").glob("*.jsonl")):
        out += [(r["text"], r.get("lang", "pt")) for r in map(json.loads, p.open(encoding="utf-8"))]
    for seed, n in ((7, 3000), (8, 2000), (9, 2000)):
        out += inequality_throughput.sentences(n, seed=seed)
    samples = ROOT / "engine" / "samples"
    pt = [l for l in (samples / "procedimentos_pt.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    en = [l for l in (samples / "procedures_en.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    out += [(l, "pt") for l in pt] + [(l, "en") for l in pt] + [(l, "en") for l in en] + [(l, "pt") for l in en]
    out += [(json.loads(l)["text"], "pt") for l in (samples / "labeled_pt.jsonl").open(encoding="utf-8")]
    for seed in (1528, 5, 11, 12):
        out += test_scanner_fast_path._texts(3000, seed=seed)
    out += test_fast_paths._generated(4000, seed=15)
    rnd = random.Random(3)
    words = " ".join(pt + en).split()
    for _ in range(4000):  # shuffled words of real lines, in every language
        out.append((" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 40))),
                    rnd.choice(["pt", "en", "es"])))
    return out


def _stream(toks) -> str:
    return " ".join(f"{t.type}:{t.start}:{t.end}:{t.op}:{t.value}:{t.unit}:{t.digits:d}" for t in toks)


def main() -> None:
    from entrec.engine.inequality import InequalityExtractor
    from entrec.engine.textfold import fold

    out = pathlib.Path(sys.argv[1])
    data = texts()
    exts = [InequalityExtractor.load(), InequalityExtractor.load(half_open=True)]
    with out.open("w", encoding="utf-8") as f:
        for text, lang in data:
            row: list = [text, lang]
            for e in exts:
                row.append([(m.start, m.end, m.core_end, m.rule_id, m.value) for m in e.matches(text, lang)])
            e = exts[0]
            if lang in e.lexicons:
                folded = fold(text)
                toks = e._scanners[lang].scan(text, folded)
                row.append(_stream(toks))
                row.append(_stream(e._refiners[lang](text, toks, folded)))
            f.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    print(len(data), "texts")
    if "--engine" in sys.argv:
        from entrec.engine import Engine

        lines = [t for t, _ in data[:30000:3]]
        with open(str(out) + ".engine", "w", encoding="utf-8") as f:
            for ents in Engine.load().pipe(lines, batch_size=64):
                f.write(json.dumps([e.to_dict() for e in ents], ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
