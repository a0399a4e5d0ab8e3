"""Screen a training config on LeNER-Br **dev** before a full run (how the default was chosen).

    nice -n 10 python bench/lener_br_screen.py base
    nice -n 10 python bench/lener_br_screen.py vectors --set training.static_vectors.enabled=true
    nice -n 10 python bench/lener_br_screen.py rows --set 'components.ner.model.tok2vec.embed.rows=[20000,5000,10000,10000]'

Trains `train_ner` (no folds, no rules) on the first `--n` sentences of bench-train (the
same seed-12 cut as bench/lener_br.py, so bench-test is never read) and early-stops on
LeNER-Br dev; prints one JSON line with the best dev exact F1 and appends it to `--log`.
Dev figures choose hyperparameters; they are not held-out figures. `--set KEY=JSON`
overrides a dotted config key (JSON value).

The same config moves by ~3.7 dev points with the seed alone (docs/training.md), so compare
configs over several seeds (`--set system.seed=N`, one process per seed) and summarize:

    python bench/lener_br_screen.py --summarize lener_screen.jsonl

groups the log's lines by config (every `--set` but the seed, plus `--config`) and prints
each group's mean, standard deviation and range of best dev F1.

`--pretrain-epochs N` first pretrains the NER's tok2vec for N epochs on the bench-train text
with spaCy's character objective (`spacy.PretrainCharacters.v1`: predict each word's first
and last 4 characters), after the static vectors and before the NER trains, the way
`spacy pretrain` + `init_tok2vec` would (a screen only: `entrec train` has no such step).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lener_br import DATA, SPLIT_SEED, _first_sentences, _sentences  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("name", nargs="?", help="a label for this run (in the log)")
    ap.add_argument("--summarize", metavar="LOG", help="summarize a log by config over seeds, then exit")
    ap.add_argument("--n", type=int, default=3000, help="bench-train sentences (default 3000)")
    ap.add_argument("--config", help="spaCy config merged over the default")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON")
    ap.add_argument("--log", default="lener_screen.jsonl")
    ap.add_argument("--pretrain-epochs", type=int, default=0, metavar="N",
                    help="pretrain the tok2vec N epochs on the training text first (character objective)")
    args = ap.parse_args(argv)
    if args.summarize:
        print(summarize([json.loads(line) for line in Path(args.summarize).read_text(encoding="utf-8").splitlines()
                         if line.strip()]))
        return 0
    if not args.name:
        ap.error("give a run name (or --summarize LOG)")
    from entrec.training.config import load_config
    from entrec.training.importers import load_documents
    from entrec.training.split import split_documents
    from entrec.training.train import train_ner

    docs, _ = load_documents([str(DATA / "train.conll")])
    bench_train, _bench_test, _ = split_documents(docs, dev_fraction=0.2, seed=SPLIT_SEED)
    del _bench_test  # never looked at here
    bench_train = _first_sentences(bench_train, args.n) if args.n else bench_train
    dev, _ = load_documents([str(DATA / "dev.conll")])
    over = {"training.max_epochs": args.epochs, "training.patience": args.patience}
    for kv in args.set:
        key, value = kv.split("=", 1)
        over[key] = json.loads(value)
    cfg = load_config(args.config, overrides=over)
    t0 = time.time()
    if args.pretrain_epochs:
        import entrec.training.train as train_module

        train_module.build_nlp = _pretraining(train_module.build_nlp, [d.text for d in bench_train],
                                              args.pretrain_epochs, int(cfg["training"]["seed"]))
    res = train_ner(bench_train, dev, config=cfg, progress=lambda s: print(
        f"  epoch {s.epoch} loss {s.loss:.0f} dev F1 {100 * s.dev_f:.2f} {s.seconds:.0f}s", flush=True))
    line = {"name": args.name, "sentences": _sentences(bench_train), "best_dev_f": round(100 * res.best_dev_f, 2),
            "best_epoch": res.best_epoch, "epochs": len(res.epochs), "seconds": round(time.time() - t0),
            "seconds_per_epoch": round(sum(e.seconds for e in res.epochs) / len(res.epochs), 1),
            "set": args.set + ([f"pretrain_epochs={args.pretrain_epochs}"] if args.pretrain_epochs else []),
            "config": args.config}
    print(json.dumps(line))
    with open(args.log, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
    return 0


def _pretraining(build_nlp, texts: list[str], epochs: int, seed: int):
    """`build_nlp` whose pipeline's `initialize` is followed by tok2vec pretraining on `texts`
    (`initialize` runs after the static vectors are in place and would reset any weights
    set before it)."""
    import random

    from spacy import registry
    from spacy.ml.models.multi_task import create_pretrain_characters
    from spacy.training.pretrain import make_update
    from thinc.api import set_dropout_rate

    def build(config):
        nlp = build_nlp(config)
        initialize = nlp.initialize

        def initialize_then_pretrain(get_examples=None, sgd=None):
            optimizer = initialize(get_examples, sgd=sgd)
            # the ner's "tok2vec" ref ends in a projection to the parser's width; the
            # Tok2Vec proper (list of arrays per doc) is its first layer
            tok2vec = nlp.get_pipe("ner").model.get_ref("tok2vec").layers[0]
            model = create_pretrain_characters(maxout_pieces=3, hidden_size=300, n_characters=4)(nlp.vocab, tok2vec)
            model.initialize(X=[nlp.make_doc("Give it a doc to infer shapes")])  # as spacy pretrain
            set_dropout_rate(model, 0.2)
            found = registry.resolve({
                "opt": {"@optimizers": "Adam.v1", "learn_rate": 0.001, "L2": 0.01, "grad_clip": 1.0,
                        "use_averages": False},
                "batch": {"@batchers": "spacy.batch_by_words.v1", "size": 3000, "discard_oversize": False,
                          "tolerance": 0.2}})
            docs = [nlp.make_doc(t) for t in texts if t.strip()]
            for epoch in range(1, epochs + 1):
                t = time.time()
                order = list(docs)
                random.Random(seed + 999 + epoch).shuffle(order)
                loss = sum(make_update(model, batch, found["opt"], model.attrs["loss"]) for batch in found["batch"](order))
                print(f"  pretrain epoch {epoch} loss {loss:.0f} {time.time() - t:.0f}s", flush=True)
            return optimizer

        nlp.initialize = initialize_then_pretrain
        return nlp

    return build


def summarize(lines: list[dict]) -> str:
    """One row per config (the `--set` overrides except the seed, and `--config`): how many
    seeds, mean and sample standard deviation of best dev F1, its range, mean best epoch."""
    import statistics

    groups: dict[tuple, list[dict]] = {}
    for line in lines:
        sets = tuple(sorted(kv for kv in line.get("set") or [] if not kv.startswith("system.seed=")))
        groups.setdefault((sets, line.get("config") or ""), []).append(line)
    stats = []
    for (sets, cfg), runs in groups.items():
        f1 = [r["best_dev_f"] for r in runs]
        stats.append((statistics.mean(f1), " ".join([*sets, cfg]).strip() or "(default config)", f1,
                      statistics.mean(r["best_epoch"] for r in runs)))
    rows = [f"{'config':<60} {'seeds':>5} {'mean':>6} {'sd':>5} {'min':>6} {'max':>6} {'epoch':>5}"]
    for mean, name, f1, epoch in sorted(stats, key=lambda s: -s[0]):
        sd = statistics.stdev(f1) if len(f1) > 1 else float("nan")
        rows.append(f"{name[:60]:<60} {len(f1):>5} {mean:6.2f} {sd:5.2f} {min(f1):6.2f} "
                    f"{max(f1):6.2f} {epoch:5.1f}")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
