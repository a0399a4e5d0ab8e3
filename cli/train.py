"""`entrec train`: labeled data -> trained, evaluated and packaged model (training/pipeline.py)."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "train"
HELP = "train the NER model on labeled data, evaluate it on dev and package the artifact"
DESCRIPTION = (
    "Import labeled files (JSONL spans, CoNLL, Label Studio, Comprehend CSV), split off a "
    "reproducible dev set (unless --dev is given), train spaCy's NER on CPU with early "
    "stopping on dev F1, select the rule placement and arbitration policy by k-fold "
    "cross-validation on the training data (a hybrid that loses to model-only on the held-out "
    "folds is never shipped: model precedence ships instead), evaluate rules-only / "
    "model-only / hybrid on dev, and write the artifact (model.tar.gz, model/, metrics.json, "
    "report.md) into --out."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from entrec.training.pipeline import DEFAULT_TIME_BUDGET  # a light module (no spaCy)

    p.add_argument("--data", nargs="+", required=True, metavar="PATH", help="labeled files or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not hold a model)")
    p.add_argument("--rules", nargs="+", metavar="PATH",
                   help="rule packs to ship with the model (default: the embedded packs)")
    p.add_argument("--dev", nargs="+", metavar="PATH", help="dev set (default: split off --data)")
    p.add_argument("--config", metavar="FILE", help="spaCy config merged over the default (training/config.py)")
    p.add_argument("--format", dest="fmt", metavar="NAME", help="input format (default: detected per file)")
    p.add_argument("--labels", nargs="+", metavar="LABEL", help="train only these labels")
    p.add_argument("--label-set", metavar="SPEC",
                   help="declared labels: `rules` (the rule packs' labels) and/or names, e.g. "
                        "`rules,PESSOA`; a span with another label is an import error "
                        "(undeclared-label) instead of a new entity type")
    p.add_argument("--holdout", type=float, default=0.0, metavar="FRACTION",
                   help="set aside this share of documents, chosen by content hash (stable as "
                        "data grows), never trained on; the retraining job uses 0.2")
    p.add_argument("--lang", default="pt", choices=["pt", "en"])
    p.add_argument("--seed", type=int, help="random seed (default 0, or the config's)")
    p.add_argument("--epochs", type=int, help="maximum epochs")
    p.add_argument("--patience", type=int, help="stop after this many epochs without a dev-F1 gain")
    p.add_argument("--max-seconds", type=float, help="wall-clock cap on each model's training loop (seconds)")
    p.add_argument("--time-budget", type=float, default=DEFAULT_TIME_BUDGET, metavar="SECONDS",
                   help="the whole run aims to end within this (default 900 = 15 min): the models "
                        "start no epoch that would end after it, keeping the best dev epoch "
                        "reached; 0 = no budget (train until early stopping)")
    p.add_argument("--dev-fraction", type=float, default=0.1, help="dev share when splitting (default 0.1)")
    p.add_argument("--rule-placement", choices=["presets", "resolver"],
                   help="presets (default): rule matches fixed before the NER; resolver: rules and "
                        "model meet only in the resolver (see docs/training.md)")
    p.add_argument("--rule-features", action="store_true",
                   help="feed rule matches to the model as a token feature (placement 'features')")
    p.add_argument("--folds", type=int, metavar="K",
                   help="folds of the cross-validation that selects placement and arbitration "
                        "(default 3; 0: ship the packs' own policy unselected)")
    p.add_argument("--fold-epochs", type=int, metavar="N",
                   help="epochs per fold model (default 5, at most --epochs; they train in a second "
                        "process while the final model trains)")
    p.add_argument("--arbitration", action="store_true",
                   help="also try the learned (logistic regression) policy in the selection")
    p.add_argument("--no-evaluate", action="store_true", help="skip the dev evaluation")
    p.add_argument("--name", default="entrec-model", help="model name in the manifest")
    p.add_argument("--version", help="model version (default: UTC time)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress display")


class EpochPrinter:
    """One line per epoch on stderr: loss, dev P/R/F1, time; '*' marks a new best."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.header_done = False

    def __call__(self, st) -> None:
        if not self.header_done:
            print(f"{'epoch':>5} {'loss':>10} {'dev P':>6} {'dev R':>6} {'dev F1':>6} {'secs':>6} {'words/s':>8}",
                  file=self.stream)
            self.header_done = True
        mark = " *" if st.best else ""
        print(f"{st.epoch:>5} {st.loss:>10.2f} {100 * st.dev_p:>6.1f} {100 * st.dev_r:>6.1f} "
              f"{100 * st.dev_f:>6.1f} {st.seconds:>6.1f} {st.words_per_second:>8.0f}{mark}",
              file=self.stream, flush=True)


def run(args) -> int:
    from entrec.training.label_set import parse_label_set
    from entrec.training.pipeline import run_training

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    run_ = run_training(
        args.data, out_dir=args.out, rules=args.rules, dev=args.dev, config=args.config,
        fmt=args.fmt, labels=args.labels, lang=args.lang, seed=args.seed, epochs=args.epochs,
        patience=args.patience, max_seconds=args.max_seconds, dev_fraction=args.dev_fraction,
        time_budget=args.time_budget,
        rule_features=True if args.rule_features else None, rule_placement=args.rule_placement,
        name=args.name, version=args.version,
        evaluate=not args.no_evaluate, arbitration=args.arbitration,
        folds=args.folds, fold_epochs=args.fold_epochs,
        progress=None if args.quiet else EpochPrinter(), log=log,
        holdout_fraction=args.holdout,
        label_set=parse_label_set(args.label_set, lang=args.lang, rules=args.rules))
    if args.json:
        print(json.dumps(run_.metrics, indent=2, ensure_ascii=False, default=str))
    else:
        if run_.evaluation is not None:
            print(run_.evaluation.format())
        print(f"\nmodel: {run_.artifact}")
        if run_.report_path:
            print(f"report: {run_.report_path}")
    return 0
