"""LeNER-Br benchmark: train on train, evaluate on dev; rules-only / model-only / hybrid.

    nice -n 10 python bench/lener_br.py                       # full run (<= 15 min budget)
    python bench/lener_br.py --train-sentences 2000 --placement   # rule-placement experiment
    python bench/lener_br.py --ner-dir /tmp/ner               # re-evaluate a trained model

Data: ../shared/data/lener-br/{train,dev}.conll (CoNLL, BIO; imported with
entrec.training.importers, 10 sentences per document). Rules: rules/examples/lener-br (LEGISLACAO,
JURISPRUDENCIA, TEMPO). Baseline printed alongside: the LeNER-Br paper's LSTM-CRF, 86.6
entity-level F1 on its *test* split (the test split is not available here; these are dev
figures).

`--placement` also measures where the rule layer should sit (docs/training.md):
  resolver  rules and model meet only in the resolver (the default)
  presets   rule matches fixed as entities before `ner` (same model, inference-time)
  features  rule matches fed to the model as a token feature (a second model, trained so)
`--arbitration` compares the learned arbitration policy with the default on dev.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent / "shared" / "data" / "lener-br"
RULES = ROOT / "rules" / "examples" / "lener-br"
PAPER_F1 = 86.6
LABELS = ["JURISPRUDENCIA", "LEGISLACAO", "LOCAL", "ORGANIZACAO", "PESSOA", "TEMPO"]


def _first_sentences(docs, n):
    """Whole documents (10-sentence groups) until they hold at least `n` sentences."""
    out, count = [], 0
    for d in docs:
        if count >= n:
            break
        out.append(d)
        count += d.text.count("\n") + 1
    return out


def _model_only(engine):
    """`engine` with only its model source (features placement keeps its rule features)."""
    from dataclasses import replace

    runtimes = {c: replace(rt, sources=[s for s in rt.sources if s.source == "model"])
                for c, rt in engine.runtimes.items()}
    return replace(engine, runtimes=runtimes)


def _row(name, rep, system="hybrid"):
    sr = rep.systems[system]
    cells = [f"{100 * (sr.f1(lab) or 0):5.1f}" for lab in LABELS]
    return f"{name:<28} {100 * (sr.f1() or 0):6.2f}  " + " ".join(cells)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-sentences", type=int, default=0, help="use only the first N train sentences")
    ap.add_argument("--dev-sentences", type=int, default=0, help="use only the first N dev sentences")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=13 * 60, help="training time cap (default 13 min)")
    ap.add_argument("--config", help="spaCy config merged over the default")
    ap.add_argument("--ner-dir", help="skip training: evaluate this saved NER pipeline")
    ap.add_argument("--save-ner", help="keep the trained NER pipeline here")
    ap.add_argument("--placement", action="store_true", help="also measure presets and rule features")
    ap.add_argument("--arbitration", action="store_true", help="also compare learned arbitration")
    ap.add_argument("--json", help="write all figures to this JSON file")
    args = ap.parse_args(argv)

    if not (DATA / "train.conll").is_file():
        print(f"LeNER-Br not found at {DATA}", file=sys.stderr)
        return 2
    from entrec.training.config import load_config
    from entrec.training.evaluate import evaluate_engines, load_engines, with_placement
    from entrec.training.importers import load_documents
    from entrec.training.package import package_model
    from entrec.training.pipeline import rule_spans_from
    from entrec.training.train import save_ner, train_ner

    train_docs, _ = load_documents([str(DATA / "train.conll")])
    dev_docs, _ = load_documents([str(DATA / "dev.conll")])
    if args.train_sentences:
        train_docs = _first_sentences(train_docs, args.train_sentences)
    if args.dev_sentences:
        dev_docs = _first_sentences(dev_docs, args.dev_sentences)
    n_tr = sum(d.text.count("\n") + 1 for d in train_docs)
    n_dv = sum(d.text.count("\n") + 1 for d in dev_docs)
    print(f"LeNER-Br: {n_tr} train sentences ({len(train_docs)} docs), {n_dv} dev sentences "
          f"({len(dev_docs)} docs)", flush=True)
    figures: dict = {"train_sentences": n_tr, "dev_sentences": n_dv}
    overrides = {"training.max_epochs": args.epochs, "training.patience": args.patience,
                 "training.max_seconds": args.max_seconds}
    work = Path(tempfile.mkdtemp(prefix="lener-bench-"))

    def progress(st):
        print(f"  epoch {st.epoch:>2}  loss {st.loss:>9.1f}  dev F1 {100 * st.dev_f:5.1f}  "
              f"{st.seconds:5.0f}s{'  *' if st.best else ''}", flush=True)

    def train(rule_features: bool, tag: str):
        cfg = load_config(args.config, overrides={**overrides, "training.rule_features": rule_features})
        spans = rule_spans_from([RULES]) if rule_features else None
        print(f"training ({tag})", flush=True)
        res = train_ner(train_docs, dev_docs, config=cfg, progress=progress, rule_spans=spans)
        print(f"  best dev F1 {100 * res.best_dev_f:.2f} at epoch {res.best_epoch}, "
              f"{res.seconds:.0f}s ({res.stopped})", flush=True)
        return res, save_ner(res, work / f"ner-{tag}")

    t_train = None
    if args.ner_dir:
        ner_dir = Path(args.ner_dir)
    else:
        res, ner_dir = train(False, "plain")
        t_train = res.seconds
        figures["train"] = res.summary()
        if args.save_ner:
            save_ner(res, args.save_ner)
    package_model(work / "art", rules=[RULES], ner_dir=ner_dir, name="lener-br", version="bench")
    engines = load_engines(work / "art" / "model")  # hybrid: the placement the model was saved with
    placement = next(s.placement for s in engines["hybrid"].sources() if s.source == "model")
    t0 = time.perf_counter()
    report = evaluate_engines(dev_docs, engines)
    figures["eval_seconds"] = round(time.perf_counter() - t0, 1)
    print()
    print(report.format(max_misses=12))
    header = f"{'system':<28} {'F1':>6}  " + " ".join(f"{lab[:5]:>5}" for lab in LABELS)
    lines = [header,
             _row("rules-only", report, "rules"),
             _row("model-only", report, "model"),
             _row(f"hybrid ({placement})", report, "hybrid")]
    figures[placement] = report.summary()
    other = "resolver" if placement == "presets" else "presets"
    spans = rule_spans_from([RULES])
    alt_engine = with_placement(engines["hybrid"], other, spans)
    alt = evaluate_engines(dev_docs, {"hybrid": alt_engine})
    lines.append(_row(f"hybrid ({other})", alt))
    figures[other] = alt.summary()
    resolver_engine = engines["hybrid"] if placement == "resolver" else alt_engine

    if args.placement:
        res_f, ner_f = train(True, "features")
        package_model(work / "art-f", rules=[RULES], ner_dir=ner_f, name="lener-br-f", version="bench")
        eng_f = load_engines(work / "art-f" / "model", systems=("hybrid",))
        eng_f = {"model": with_placement(eng_f["hybrid"], "features", spans), "hybrid": eng_f["hybrid"]}
        eng_f["model"] = _model_only(eng_f["model"])
        feat = evaluate_engines(dev_docs, eng_f)
        lines.append(_row("model (rule features)", feat, "model"))
        lines.append(_row("hybrid (rule features)", feat, "hybrid"))
        figures["features"] = feat.summary()
        figures["features_train"] = res_f.summary()

    if args.arbitration:
        from entrec.training.arbitration import compare_on_dev

        arb = compare_on_dev(engines["hybrid"], dev_docs, labels=report.labels)
        figures["arbitration_resolver"] = {
            k: v for k, v in compare_on_dev(resolver_engine, dev_docs, labels=report.labels).items()
            if k not in ("markdown", "model_json")}
        print("on the resolver placement: " + figures["arbitration_resolver"]["summary"])
        arb.pop("model_json")
        figures["arbitration"] = {k: v for k, v in arb.items() if k != "markdown"}
        print("\n" + arb["summary"])

    print("\nExact-span F1 on LeNER-Br dev (overall, then per label), %")
    print("\n".join(lines))
    if t_train is not None:
        print(f"training time: {t_train / 60:.1f} min (CPU, {n_tr} sentences)")
    print(f"baseline: LeNER-Br paper LSTM-CRF {PAPER_F1} F1 on its test split (not available here)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
