"""Retraining on growing data: is the gate's comparison fair? (run by hand, minutes)

    .venv/bin/python bench/retrain_growth.py [--conll ../shared/data/lener-br/train.conll]
        [--weeks 3] [--sentences 800] [--epochs 5]

Uploads a growing slice of LeNER-Br (one more file per "week") to a bucket on the moto
stand-in (tests/glue/sagemaker_standin.py, loopback), runs the retraining job each week and
prints, per week: the verdict, the held-out documents, how many the two models were compared
on, how many of them production had been trained on, and both F1s. For contrast it prints
how many of that week's held-out documents production had trained on under the seeded
re-drawn split the job used before (entrec.training.split.split_documents, 20%, seed 0):
those are the documents that made the old gate unfair.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sentences(conll: Path) -> list[str]:
    blocks, cur = [], []
    for line in conll.read_text(encoding="utf-8").splitlines():
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append("\n".join(cur))
            cur = []
    if cur:
        blocks.append("\n".join(cur))
    return blocks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conll", type=Path, default=ROOT.parent / "shared/data/lener-br/train.conll")
    ap.add_argument("--weeks", type=int, default=3)
    ap.add_argument("--sentences", type=int, default=800, help="new sentences per week")
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    if not args.conll.is_file():
        print(f"no {args.conll}: pass --conll", file=sys.stderr)
        return 2
    sents = sentences(args.conll)
    ctl = tempfile.mkdtemp(prefix="entrec-standin-")
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests/glue/sagemaker_standin.py"),
                             "--control", ctl], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    url = proc.stdout.readline().split()[1]
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=url)
    try:
        import boto3

        from entrec.training.holdout import document_key
        from entrec.training.importers import load_documents
        from entrec.training.retraining import config_from_mapping, run_retrain
        from entrec.training.split import split_documents

        s3 = boto3.client("s3")
        bucket = "bench-dev-entityrecognition"
        s3.create_bucket(Bucket=bucket)
        cfg = {"env": "dev", "bucket": bucket, "max_epochs": args.epochs,
               "label_set": "PESSOA,ORGANIZACAO,LOCAL,TEMPO,LEGISLACAO,JURISPRUDENCIA",
               "min_f1": 0.0, "max_f1_drop": 0.02}  # the comparison with production is the point
        prev_seen: set[str] = set()
        print("week  verdict    held-out  compared  prod-seen(new)  prod-seen(old split)  "
              "cand F1  prod F1")
        with tempfile.TemporaryDirectory() as tmp:
            for w in range(1, args.weeks + 1):
                chunk = sents[(w - 1) * args.sentences: w * args.sentences]
                body = ("\n\n".join(chunk) + "\n").encode()
                s3.put_object(Bucket=bucket, Key=f"labeled/week{w}.conll", Body=body)
                Path(tmp, f"week{w}.conll").write_bytes(body)
                res = run_retrain(config_from_mapping(cfg), s3=s3, log=lambda _m: None)
                m = res.metrics or {}
                c = m.get("comparison", {})
                docs, _ = load_documents([tmp])
                _, old_heldout, _ = split_documents(docs, dev_fraction=0.2, seed=0)
                old_overlap = sum(document_key(d.text) in prev_seen for d in old_heldout)
                s = m.get("summary", {})
                pf1 = s.get("production_f1")
                print(f"{w:>4}  {res.status:<9}  {c.get('heldout_docs', '-'):>8}  "
                      f"{c.get('docs', '-'):>8}  {c.get('seen_by_production', '-'):>14}  "
                      f"{old_overlap:>9} of {len(old_heldout):<9}  "
                      f"{s.get('candidate_f1', 0):.3f}    {'-' if pf1 is None else f'{pf1:.3f}'}")
                if res.status == "promoted":
                    prev_seen = set(m["training"]["data"]["trained_on"])
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
