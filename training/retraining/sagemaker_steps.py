"""The SageMaker Pipeline's steps (pipeline/definition.py runs them in the entrec image).

    python -m entrec.training.retrain sm-train      Training job: run_training -> SM_MODEL_DIR
    python -m entrec.training.retrain sm-evaluate   Processing: evaluation.json + report.md
    python -m entrec.training.retrain sm-promote    Processing: upload, verify, deploy?, PRODUCTION

Same core as the Glue job: `train_candidate` trains, the content-hash held-out split picks
the same held-out documents in the evaluate step (it imports the data again), and the
gate is recomputed in sm-promote with that step's thresholds.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

from .gate import verdict_from_metrics
from .job import evaluate_candidate, finish, gate_record, train_candidate
from .options import ARGUMENTS, RetrainError, build_arg_parser, config_from_mapping
from .promotion import upload_version
from .report import render_report
from .snapshot import local_snapshot, make_version
from .store import read_pointer, sha256_path

__all__ = ["SM_COMMANDS", "sm_train", "sm_evaluate", "sm_promote"]


def sm_train(argv: Sequence[str], log=print) -> int:
    """SageMaker Training contract: data in SM_CHANNEL_LABELED, artifact files to SM_MODEL_DIR
    (SageMaker tars that folder into model.tar.gz: manifest.json at its root)."""
    hp_file = Path(os.environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config")) / \
        "hyperparameters.json"
    hp = json.loads(hp_file.read_text()) if hp_file.is_file() else {}
    ns = build_arg_parser().parse_args(list(argv) + [f"--{k}={v}" for k, v in hp.items()
                                                     if k in ARGUMENTS])
    cfg = config_from_mapping(vars(ns))
    snap = local_snapshot(Path(os.environ.get("SM_CHANNEL_LABELED", "/opt/ml/input/data/labeled")))
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    version = make_version(snap.data_sha256)
    with tempfile.TemporaryDirectory(prefix="entrec-sm-train-") as tmp:
        run = train_candidate(cfg, snap.root, Path(tmp) / "candidate", version=version, log=log)
        model_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(run.model_dir, model_dir, dirs_exist_ok=True)
    log(f"trained {version} into {model_dir}")
    return 0


def _candidate_run(cfg, snap, tarball: Path, work: Path):
    """What evaluate_candidate needs of a training run, rebuilt from the artifact and data."""
    from entrec.engine.artifact import open_model
    from entrec.training.holdout import split_holdout
    from entrec.training.importers import load_documents
    from entrec.training.label_set import parse_label_set

    _, manifest = open_model(tarball, workdir=work / "candidate-unpacked")
    docs, report = load_documents([str(snap.root)], lang=cfg.lang,
                                  declared_labels=parse_label_set(cfg.label_set, lang=cfg.lang))
    _, heldout = split_holdout(docs, cfg.heldout_fraction)
    return SimpleNamespace(metrics=manifest.get("metrics") or {}, heldout=heldout), report, \
        manifest


def sm_evaluate(argv: Sequence[str], *, s3=None, log=print,
                root: Path = Path("/opt/ml/processing")) -> int:
    """Processing step: evaluation.json (the metrics.json of the Glue job) + report.md."""
    cfg = config_from_mapping(vars(build_arg_parser().parse_args(list(argv))))
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    snap = local_snapshot(root / "labeled")
    out = root / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    pointer, _ = read_pointer(s3, cfg.bucket, cfg.models)
    tarball = root / "candidate" / "model.tar.gz"
    with tempfile.TemporaryDirectory(prefix="entrec-sm-eval-") as tmp:
        run, report, manifest = _candidate_run(cfg, snap, tarball, Path(tmp))
        metrics, g = evaluate_candidate(cfg, s3, tarball, run, set(report.labels), pointer,
                                        Path(tmp), log)
    metrics.update(version=manifest.get("version") or make_version(snap.data_sha256),
                   data_sha256=snap.data_sha256, labeled_objects=snap.keys,
                   **{"import": report.to_dict()})
    (out / "evaluation.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False))
    (out / "import_report.json").write_text(json.dumps(report.to_dict(), indent=2,
                                                       ensure_ascii=False))
    (out / "report.md").write_text(render_report(dict(metrics,
                                                      import_markdown=report.to_markdown())))
    log(f"gate {g.status}; wrote {out / 'evaluation.json'}")
    return 0  # the pipeline's Condition step decides, from evaluation.json


class _StoredReport:
    """An import report read back from JSON (what upload_version needs of it)."""

    def __init__(self, data: dict):
        self.data = data

    def to_dict(self) -> dict:
        return self.data

    def to_markdown(self) -> str:
        return "```\n" + json.dumps(self.data, indent=2, ensure_ascii=False)[:4000] + "\n```"


def sm_promote(argv: Sequence[str], *, s3=None, sagemaker=None, log=print,
               root: Path = Path("/opt/ml/processing")) -> int:
    """Processing step after the gate: recompute the verdict with this step's thresholds,
    upload models/<version>/, verify, deploy?, PRODUCTION."""
    cfg = config_from_mapping(vars(build_arg_parser().parse_args(list(argv))))
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    metrics = json.loads((root / "evaluation" / "evaluation.json").read_text())
    g = verdict_from_metrics(metrics, min_f1=cfg.min_f1, max_f1_drop=cfg.max_f1_drop,
                             min_label_support=cfg.min_label_support,
                             min_comparison_docs=cfg.min_comparison_docs)
    metrics["gate"] = g.to_dict()
    if not g.passed:
        log(f"the gate does not pass this candidate ({g.status}): nothing to promote")
        return 1 if g.decided else 3
    pointer, etag = read_pointer(s3, cfg.bucket, cfg.models)
    if (pointer or {}).get("version") != g.production_version:
        raise RetrainError("models/PRODUCTION changed since the evaluation",
                           code="production-changed", hint="re-run the pipeline")
    tarball = root / "candidate" / "model.tar.gz"
    metrics["artifact"] = {"sha256": sha256_path(tarball), "bytes": tarball.stat().st_size}
    imp = _StoredReport(json.loads((root / "evaluation" / "import_report.json").read_text()))
    upload_version(cfg, s3, metrics["version"], tarball, metrics, imp,
                   gate_record(g, metrics["version"], "evaluated"), log)
    with tempfile.TemporaryDirectory(prefix="entrec-sm-promote-") as tmp:
        res = finish(cfg, s3, sagemaker, log, Path(tmp), metrics["version"], metrics, pointer,
                     etag)
    log(res.message)
    return res.exit_code


SM_COMMANDS = {"sm-train": sm_train, "sm-evaluate": sm_evaluate, "sm-promote": sm_promote}
