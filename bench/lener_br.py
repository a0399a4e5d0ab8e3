"""LeNER-Br benchmark on a split no choice was tuned on: rules / model / hybrid, and speed.

    nice -n 10 python bench/lener_br.py                        # full run (train ~80% of train)
    python bench/lener_br.py --train-sentences 1500 --epochs 3  # quick look while developing
    python bench/lener_br.py --model /tmp/bench/model           # re-evaluate an artifact this script trained

Split: LeNER-Br's train split (../shared/data/lener-br/train.conll, 10 sentences per
document) is cut once, reproducibly (seed 12, stratified, `--holdout` of the documents),
into bench-train and **bench-test**. The model is trained exactly as `entrec train` does
(training.pipeline.run_training) on bench-train, with LeNER-Br dev only for early stopping;
the k-fold selection of rule placement and arbitration runs inside bench-train. Nothing
(training, early stopping, fold estimates, selection) ever reads bench-test, so its figures
are held-out. The LeNER-Br test split is not used (not available here, and not to be tuned on).
Rules: rules/examples/lener-br (written on train examples and a look at dev errors: that is
why dev figures flatter the rules and are not reported as held-out).

Printed: exact-span P/R/F1 (overall and per label) of rules-only, model-only and the hybrid
as shipped, the selection table from the folds, and throughput measured in the same run on
the same texts: the trained spaCy pipeline alone (`nlp.pipe`), the model-only engine and the
hybrid engine; the headline ratio is hybrid / spaCy alone.
Baseline: the LeNER-Br paper's LSTM-CRF, 86.6 F1 on its test split (another split: context only).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "lener-br"
RULES = ROOT / "rules" / "examples" / "lener-br"
PAPER_F1 = 86.6
LABELS = ["JURISPRUDENCIA", "LEGISLACAO", "LOCAL", "ORGANIZACAO", "PESSOA", "TEMPO"]
SPLIT_SEED = 12


def _first_sentences(docs, n):
    """Whole documents (10-sentence groups) until they hold at least `n` sentences."""
    out, count = [], 0
    for d in docs:
        if count >= n:
            break
        out.append(d)
        count += d.text.count("\n") + 1
    return out


def _sentences(docs) -> int:
    return sum(d.text.count("\n") + 1 for d in docs)


def _row(name, rep, system):
    sr = rep.systems[system]
    o = sr.scores.overall
    cells = [f"{100 * (sr.f1(lab) or 0):5.1f}" for lab in LABELS]
    return (f"{name:<34} {100 * o.precision:6.2f} {100 * o.recall:6.2f} {100 * o.f1:6.2f} "
            f"{100 * o.partial_f1:6.2f}  " + " ".join(cells))


def timed_systems(engines: dict) -> dict:
    """The passes timed against each other: the hybrid's own spaCy pipeline alone, and the
    model-only, hybrid and rules-only engines (`training.evaluate.load_engines`)."""
    nlp = engines["hybrid"].model_source().nlp
    return {
        "spacy_alone": lambda ts: list(nlp.pipe(ts, batch_size=64)),
        "model_engine": lambda ts: list(engines["model"].pipe(ts)),
        "hybrid_engine": lambda ts: list(engines["hybrid"].pipe(ts)),
        "rules_engine": lambda ts: list(engines["rules"].pipe(ts)),
    }


def _throughput(fns: dict, texts, repeats: int) -> dict[str, float]:
    """Best-of-`repeats` seconds for one pass over `texts`, per system. The systems take
    turns within each round, so a change in the machine's load hits all of them alike
    rather than whichever happened to run last (one warm-up pass each first)."""
    for fn in fns.values():
        fn(texts[:50])
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn(texts)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--holdout", type=float, default=0.2, help="share of train documents held out (default 0.2)")
    ap.add_argument("--train-sentences", type=int, default=0, help="use only the first N bench-train sentences")
    ap.add_argument("--dev-sentences", type=int, default=0, help="use only the first N dev sentences (early stopping)")
    ap.add_argument("--epochs", type=int, help="maximum epochs (default: the config's)")
    ap.add_argument("--folds", type=int, help="selection folds (default: entrec train's)")
    ap.add_argument("--fold-epochs", type=int)
    ap.add_argument("--config", help="spaCy config merged over the default")
    ap.add_argument("--model", help="skip training: evaluate this artifact (trained by this script)")
    ap.add_argument("--out", help="keep the trained artifact here (default: a temp folder)")
    ap.add_argument("--repeats", type=int, default=2, help="timing passes per system (best of)")
    ap.add_argument("--json", help="write all figures to this JSON file")
    args = ap.parse_args(argv)

    if not (DATA / "train.conll").is_file():
        print(f"LeNER-Br not found at {DATA}", file=sys.stderr)
        return 2
    from entrec.training.evaluate import evaluate_engines, load_engines
    from entrec.training.importers import load_documents
    from entrec.training.split import split_documents

    docs, _ = load_documents([str(DATA / "train.conll")])
    bench_train, bench_test, split = split_documents(docs, dev_fraction=args.holdout, seed=SPLIT_SEED)
    if args.train_sentences:
        bench_train = _first_sentences(bench_train, args.train_sentences)
    print(f"LeNER-Br train cut into bench-train {_sentences(bench_train)} sentences "
          f"({len(bench_train)} docs) and held-out bench-test {_sentences(bench_test)} sentences "
          f"({len(bench_test)} docs; seed {SPLIT_SEED}, stratified={split.stratified})", flush=True)
    import os

    figures: dict = {"load_average_start": os.getloadavg(), "bench_train_sentences": _sentences(bench_train),
                     "bench_test_sentences": _sentences(bench_test), "split_seed": SPLIT_SEED,
                     "holdout": args.holdout}

    t_train = None
    if args.model:
        model = Path(args.model)
    else:
        from entrec.cli.train import EpochPrinter
        from entrec.training.pipeline import run_training

        work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="lener-bench-"))
        work.mkdir(parents=True, exist_ok=True)
        data = work / "bench-train.jsonl"
        data.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in bench_train),
                        encoding="utf-8")
        dev = [str(DATA / "dev.conll")]
        if args.dev_sentences:
            dev_docs, _ = load_documents(dev)
            (work / "dev.jsonl").write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n"
                                                    for d in _first_sentences(dev_docs, args.dev_sentences)),
                                            encoding="utf-8")
            dev = [str(work / "dev.jsonl")]
        t0 = time.perf_counter()
        run = run_training([data], out_dir=work / "artifact", rules=[RULES], dev=dev, config=args.config,
                           epochs=args.epochs, folds=args.folds, fold_epochs=args.fold_epochs,
                           name="lener-br-bench", version="bench", evaluate=False,
                           progress=EpochPrinter(sys.stdout), log=lambda m: print(m, flush=True))
        t_train = time.perf_counter() - t0
        model = run.model_dir
        figures["train"] = run.metrics
        figures["train_seconds"] = round(t_train, 1)
        print(f"artifact: {model}", flush=True)

    engines = load_engines(model)
    hybrid = engines["hybrid"]
    shipped = hybrid.arbitration or {}
    print(f"\nshipped: placement {hybrid.model_source().placement}, policy {hybrid.policy().name}"
          + (f" -- {shipped.get('summary')}" if shipped.get("summary") else ""), flush=True)
    # the status quo this replaced: presets placement, the pack's own policy, no selection
    old = hybrid.with_placement("presets").with_policy(hybrid.resolution_config().policy)
    report = evaluate_engines(bench_test, {**engines, "old-default": old})
    figures["bench_test"] = report.summary()

    texts = [d.text for d in bench_test]
    timing = _throughput(timed_systems(engines), texts, args.repeats)
    figures["seconds"] = {k: round(v, 3) for k, v in timing.items()}
    ratio = timing["spacy_alone"] / timing["hybrid_engine"]
    figures["hybrid_vs_spacy_speed"] = round(ratio, 3)

    print()
    print(report.format(max_misses=12))
    header = (f"{'system (bench-test, held out)':<34} {'P':>6} {'R':>6} {'F1':>6} {'F1~':>6}  "
              + " ".join(f"{lab[:5]:>5}" for lab in LABELS))
    print("\nExact-span P/R/F1, partial-overlap F1 (F1~), per-label exact F1, in %")
    print("\n".join([header, _row("rules-only", report, "rules"), _row("model-only", report, "model"),
                     _row("hybrid (presets + pack policy)", report, "old-default"),
                     _row(f"hybrid (as shipped: {hybrid.policy().name})", report, "hybrid")]))
    h, m = report.systems["hybrid"].f1() or 0, report.systems["model"].f1() or 0
    print(f"hybrid - model: {100 * (h - m):+.2f} F1 points")
    n_words = sum(len(t.split()) for t in texts)
    print("\nThroughput on the same {} texts ({} words), best of {}:".format(len(texts), n_words, args.repeats))
    for k, v in timing.items():
        print(f"  {k:<14} {v:7.2f}s  {n_words / v:8.0f} words/s")
    print(f"hybrid / spaCy NER alone speed ratio: {ratio:.2f}x")
    if t_train is not None:
        print(f"training (entrec train path, incl. fold selection): {t_train / 60:.1f} min")
    print(f"context: LeNER-Br paper LSTM-CRF {PAPER_F1} F1 on its test split (a different split)")
    figures["load_average_end"] = os.getloadavg()
    print("machine load average (1/5/15 min) at start {} and end {} (2 cores)".format(
        "/".join(f"{x:.2f}" for x in figures["load_average_start"]),
        "/".join(f"{x:.2f}" for x in figures["load_average_end"])))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
