"""Throughput and accuracy of the inequality grammar against Duckling.

    .venv/bin/python bench/inequality_throughput.py [--n 1000] [--repeat 3] [--no-duckling]

Duckling (`pyduckling-native-phihos`, the `bench` extra) goes in the same venv:
    .venv/bin/pip install pyduckling-native-phihos

Prints sentences/s and words/s of each system on the same N mixed pt/en sentences (the
conformance texts plus templated grid-operation sentences, seeded), the speed ratio, and both
systems' F1 on the conformance files. F1 here is span + bounds, ignoring inclusivity (Duckling
cannot express it), with the same span conventions as `entrec conformance`; it is therefore
not the same number as the conformance runner's strict F1.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONF = ROOT.parent / "shared" / "conformance"

PT_TEMPLATES = [
    "A tensão na SE {name} deve ser mantida entre {a} kV e {b} kV durante a manobra.",
    "Caso o fluxo na LT {a} kV {name} seja superior a {c} MW, reduzir a geração da UHE {name}.",
    "O intercâmbio não deve ultrapassar {c} MW por mais de {d} minutos.",
    "Manter a frequência acima de {f} Hz e a reserva girante de no mínimo {p}%.",
    "A UTE {name} opera com geração de {c} MW desde 12/03/2024 às 10h15.",
    "Conforme a IO-ON.NE.2NE, abrir o disjuntor 52-{d} da SE {name}.",
    "Limitar o carregamento do transformador a {p}% da capacidade nominal.",
    "Entre {a} e {b} kV, a rampa deve ser de até {d} MW/min.",
    "Foram registradas {d} ocorrências na região {name} no último mês.",
    "Se a geração eólica for maior que {c} MW e menor ou igual a {e} MW, acionar o CNOS.",
]
EN_TEMPLATES = [
    "Keep the voltage at {name} substation between {a} kV and {b} kV during the switching.",
    "If the flow on the {a} kV line exceeds {c} MW, reduce generation at {name}.",
    "The interchange must not exceed {c} MW for more than {d} minutes.",
    "Frequency must stay above {f} Hz with at least {p}% spinning reserve.",
    "Unit 3 at {name} was synchronized on 2024-03-12 at 10:15.",
    "Open breaker {d} at {name} according to the operating instruction.",
    "Loading is limited to {p}% of the nameplate rating.",
    "From {a} to {b} kV the ramp rate is up to {d} MW/min.",
    "There were {d} events in the {name} area last month.",
    "When wind output is greater than {c} MW and less than or equal to {e} MW, call the control centre.",
]
NAMES = ["Xingu", "Tucuruí", "Campina Grande II", "Sobradinho", "Paulo Afonso IV", "Itaipu"]


def sentences(n: int, seed: int = 7) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    base: list[tuple[str, str]] = []
    for name in ("recognizers-text-pt.jsonl", "recognizers-text-en.jsonl", "duckling-en.jsonl"):
        p = CONF / name
        if p.exists():
            base += [(json.loads(l)["text"], json.loads(l)["lang"]) for l in p.open(encoding="utf-8")
                     if l.strip()]
    out = list(base[: n // 3])
    while len(out) < n:
        lang = rnd.choice(["pt", "en"])
        tpl = rnd.choice(PT_TEMPLATES if lang == "pt" else EN_TEMPLATES)
        a = rnd.choice([138, 230, 345, 440, 500, 525])
        c = rnd.randint(1, 90) * 100
        vals = dict(name=rnd.choice(NAMES), a=a, b=a + rnd.choice([10, 25, 50]),
                    c=f"{c:,}".replace(",", ".") if lang == "pt" else f"{c:,}",
                    d=rnd.randint(2, 60), e=c + 500, p=rnd.randint(5, 100),
                    f="59,5" if lang == "pt" else "59.5")
        out.append((tpl.format(**vals), lang))
    return out[:n]


class Duckling:
    DIMS = ["amount-of-money", "distance", "quantity", "temperature", "volume"]

    def __init__(self):
        import duckling as d

        self.d = d
        tz = d.load_time_zones("/usr/share/zoneinfo")
        ref = d.parse_ref_time(tz, "America/Sao_Paulo", int(time.time()))
        self.ctx = {}
        for lang in ("pt", "en"):
            locale = d.default_locale_lang(d.parse_lang(lang.upper()))
            self.ctx[lang] = d.Context(ref, locale)
        self.dims = d.parse_dimensions(self.DIMS)

    def intervals(self, text: str, lang: str) -> list[tuple[int, int, float | None, float | None]]:
        out = []
        for r in self.d.parse(text, self.ctx.get(lang, self.ctx["en"]), self.dims, False):
            v = r.get("value", {})
            if v.get("type") != "interval":
                continue
            low = (v.get("from") or {}).get("value")
            high = (v.get("to") or {}).get("value")
            out.append((r["start"], r["end"], low, high))
        return out


def ours(ext):
    def run(text: str, lang: str):
        return [(m.start, m.end, m.core_end, m.value["low"], m.value["high"], m.value["unit"])
                for m in ext.matches(text, lang)]
    return run


def timeit(fn, data, repeat: int) -> tuple[float, float]:
    """(best CPU seconds of this process, best wall seconds) over `repeat` runs. The machine
    is shared, so CPU time is the steadier figure; both are printed."""
    cpu = wall = float("inf")
    for _ in range(repeat):
        t, w = time.process_time(), time.perf_counter()
        for text, lang in data:
            fn(text, lang)
        cpu = min(cpu, time.process_time() - t)
        wall = min(wall, time.perf_counter() - w)
    return cpu, wall


def stages(ext, data, repeat: int) -> dict[str, float]:
    """Microseconds per sentence in each pass of the grammar (best of `repeat`): where the
    time goes, for whoever optimizes it next."""
    from entrec.engine.textfold import fold

    clock = time.perf_counter_ns
    best: dict[str, float] = {}
    for _ in range(repeat):
        acc = dict.fromkeys(("fold", "scan", "refine", "parse", "matches"), 0)
        for text, lang in data:
            if lang not in ext.lexicons:
                continue
            t0 = clock()
            folded = fold(text)
            t1 = clock()
            toks = ext._scanners[lang].scan(text, folded)
            t2 = clock()
            toks = ext._refiners[lang](text, toks, folded)
            t3 = clock()
            bounds = ext._parser.parse_all(toks)
            t4 = clock()
            [ext._to_match(b) for b in bounds]
            t5 = clock()
            for k, v in zip(acc, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
                acc[k] += v
        best = {k: min(best.get(k, float("inf")), v / len(data) / 1000) for k, v in acc.items()}
    return best


def f1_bounds(pairs_fn, path: pathlib.Path) -> tuple[float, float]:
    """(strict, relaxed) F1 on span + bounds, inclusivity ignored."""
    from entrec.engine.inequality.conformance import DUCKLING_UNITS, _close, _expected_span

    recs = [json.loads(l) for l in path.open(encoding="utf-8") if l.strip()]
    unitless = all(e.get("unit") is None for r in recs for e in r["expected"])
    tp = tpr = npred = nexp = 0
    for r in recs:
        found = pairs_fn(r["text"], r["lang"])
        npred += len(found)
        nexp += len(r["expected"])
        used, used_r = set(), set()
        for e in r["expected"]:
            es, ee = _expected_span(e)
            for k, (s, end, core, low, high, unit) in enumerate(found):
                if e.get("unit") and unit in DUCKLING_UNITS:
                    fac = DUCKLING_UNITS[unit][1]
                    low = None if low is None else low * fac
                    high = None if high is None else high * fac
                ok = _close(low, e["low"]) and _close(high, e["high"])
                e2 = core if unitless else end
                if ok and k not in used and (s, e2) == (es, ee):
                    used.add(k)
                    tp += 1
                    break
            for k, (s, end, core, low, high, unit) in enumerate(found):
                if e.get("unit") and unit in DUCKLING_UNITS:
                    fac = DUCKLING_UNITS[unit][1]
                    low = None if low is None else low * fac
                    high = None if high is None else high * fac
                if k not in used_r and s < ee and es < end and _close(low, e["low"]) and _close(high, e["high"]):
                    used_r.add(k)
                    tpr += 1
                    break

    def f(t):
        p = t / npred if npred else 0.0
        rr = t / nexp if nexp else 0.0
        return 2 * p * rr / (p + rr) if p + rr else 0.0
    return f(tp), f(tpr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-duckling", action="store_true")
    ap.add_argument("--stages", action="store_true",
                    help="also print the time per sentence of each grammar pass")
    args = ap.parse_args()

    from entrec.engine.inequality import InequalityExtractor

    ext = InequalityExtractor.load(half_open=True)
    data = sentences(args.n)
    words = sum(len(t.split()) for t, _ in data)
    run_ours = ours(ext)
    systems = {"entrec": run_ours}
    duck = None
    if not args.no_duckling:
        try:
            duck = Duckling()
        except Exception as exc:  # ImportError or runtime init failure
            print(f"(Duckling unavailable: {exc!r}; install pyduckling-native-phihos in the bench env)")
    if duck is not None:
        def run_duck(text, lang):
            return [(s, e, e, lo, hi, None) for s, e, lo, hi in duck.intervals(text, lang)]
        systems["duckling"] = run_duck
        for t, l in data[:20]:  # warm up the Haskell runtime
            run_duck(t, l)
    run_ours(*data[0])
    print(f"{len(data)} sentences ({sum(1 for _, l in data if l == 'pt')} pt), {words} words, "
          f"best of {args.repeat}")
    from entrec.engine.inequality import compiled_status
    print(f"grammar modules: {compiled_status().describe()}")
    speeds, walls = {}, {}
    for name, fn in systems.items():
        secs, wall = timeit(fn, data, args.repeat)
        speeds[name], walls[name] = len(data) / secs, len(data) / wall
        print(f"  {name:<9} {len(data) / secs:10.0f} sentences/s {words / secs:12.0f} words/s (CPU time)")
    if "duckling" in speeds:
        print(f"  speed ratio entrec/duckling: {speeds['entrec'] / speeds['duckling']:.1f}x CPU time, "
              f"{walls['entrec'] / walls['duckling']:.1f}x wall time   (target >= 5x)")
    if args.stages:
        per = stages(ext, data, args.repeat)
        print("  entrec per sentence (wall, best of runs): "
              + ", ".join(f"{k} {v:.1f} us" for k, v in per.items()))
    print("F1 (span + bounds, inclusivity ignored; strict / relaxed-overlap):")
    for fname in ("recognizers-text-pt.jsonl", "recognizers-text-en.jsonl", "duckling-en.jsonl"):
        p = CONF / fname
        if not p.exists():
            continue
        row = [f"  {fname:<28}"]
        for name, fn in systems.items():
            s, r = f1_bounds(fn, p)
            row.append(f"{name} {s:.3f} / {r:.3f}")
        print("   ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
