"""One retraining run: snapshot -> train (run_training) -> gate -> upload -> verify -> promote.

Order, and why:
1. read models/PRODUCTION (and its ETag), copy labeled/ and name the data (snapshot).
2. nothing to do when production was trained on this data id. When this data was already
   evaluated against the current production, the verdict is RECOMPUTED from the stored
   scores with this run's thresholds: passed -> resume (verify, deploy?, promote);
   otherwise gated / no verdict. `--force` retrains instead.
3. mark version folders left incomplete by killed runs (orphan.json).
4. train with `entrec.training.pipeline.run_training` — the same call as `entrec train` —
   holding out documents by content hash; the manifest records what the model saw.
5. gate on held-out documents neither model saw (training/retraining/gate.py).
6. upload the version folder whatever the verdict (a rejected candidate can be inspected).
7. re-download model.tar.gz, check its sha256 and every file checksum of its manifest.
8. optionally deploy (a failed deploy rolls the endpoint back).
9. write models/PRODUCTION with a conditional put: a concurrent promotion fails this run
   instead of being overwritten.

A failed, killed, gated or undecided run never touches models/PRODUCTION.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from entrec.engine.errors import EntrecError

from entrec.training.holdout import keys_of

from .gate import (GateResult, comparison_set, f1_table, gate, score_on, support_of,
                   verdict_from_metrics)
from .options import RetrainConfig, RetrainError
from .promotion import (METRICS_FILE, mark_orphans, promote, upload_version, verify_uploaded,
                        version_states, write_failure, write_gate)
from .snapshot import LabeledSnapshot, download_labeled, make_version
from .store import download, get_json, read_pointer, s3_url, sha256_path

__all__ = ["RetrainResult", "EXIT_HOOK_ENV", "EXIT_CODES", "run_retrain", "train_candidate",
           "evaluate_candidate", "finish", "gate_record"]

#: Test/ops hook: `ENTREC_RETRAIN_EXIT_AT=before-promote` makes the process `os._exit(75)`
#: right after the upload was verified and before PRODUCTION is written (simulates a kill).
EXIT_HOOK_ENV = "ENTREC_RETRAIN_EXIT_AT"
HOOK_POINTS = ("after-upload", "before-promote")
#: run status -> exit status of the job
EXIT_CODES = {"promoted": 0, "noop": 0, "gated": 1, "deploy-failed": 1, "undecided": 3}

Log = Callable[[str], None]


@dataclass
class RetrainResult:
    status: str  # "promoted" | "gated" | "undecided" | "noop" | "deploy-failed"
    message: str
    version: str | None = None
    data_sha256: str | None = None
    production_before: str | None = None
    production_after: str | None = None
    metrics: dict | None = None
    deploy: dict | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 2)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hook(point: str) -> None:
    if os.environ.get(EXIT_HOOK_ENV) == point:
        sys.stderr.write(f"{EXIT_HOOK_ENV}={point}: exiting now (simulated kill)\n")
        sys.stderr.flush()
        os._exit(75)


def _stays(prod_version: str | None) -> str:
    return (f"PRODUCTION stays on {prod_version}" if prod_version
            else "no model was promoted (there is no production model yet)")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def gate_record(g: GateResult, version: str, how: str) -> dict:
    return {"version": version, **g.to_dict(), "decided_at": _now(), "how": how}


def _log_gate(g: GateResult, log: Log) -> None:
    for c in g.checks:
        log(("  ok    " if c.passed else "  FAIL  ") + c.describe())
    comp = g.comparison or {}
    log(f"  compared on {comp.get('docs', '?')} held-out document(s) neither model saw "
        f"({comp.get('spans', '?')} gold spans)")
    if not g.decided:
        log(f"  no verdict: {g.reason}")


def _training_config(cfg: RetrainConfig, work: Path, s3) -> str | None:
    """`--base-model`: a spaCy .cfg, local or s3:// (downloaded), else the built-in config."""
    base = (cfg.base_model or "").strip()
    if not base or base in ("blank", "default"):
        return None
    if base.startswith("s3://"):
        bucket, _, key = base[5:].partition("/")
        return str(download(s3, bucket, key, work / "base" / Path(key).name))
    return base


def train_candidate(cfg: RetrainConfig, data_dir: Path, out_dir: Path, *, version: str,
                    log: Log, s3=None, import_report_to: Callable[[Any], None] | None = None):
    """The job's training step: `run_training` with the job's settings (a TrainingRun).

    Exactly what `entrec train --data <labeled> --holdout H --label-set L --seed S
    --epochs E --patience P --dev-fraction D --name N --version V` runs, so both give the same manifest.
    """
    from entrec.training.label_set import parse_label_set
    from entrec.training.pipeline import run_training

    return run_training(
        [data_dir], out_dir=out_dir, config=_training_config(cfg, out_dir.parent, s3),
        lang=cfg.lang, seed=cfg.seed, epochs=cfg.max_epochs, patience=cfg.patience,
        max_seconds=cfg.max_seconds,
        **({} if cfg.time_budget is None else {"time_budget": cfg.time_budget}),
        dev_fraction=cfg.dev_fraction, name=cfg.name, version=version,
        holdout_fraction=cfg.heldout_fraction,
        label_set=parse_label_set(cfg.label_set, lang=cfg.lang),
        progress=lambda e: log(f"  epoch {e.epoch}: loss {e.loss:.1f} dev F1 {e.dev_f:.3f}"),
        log=log, import_report_to=import_report_to)


def _production_artifact(cfg: RetrainConfig, s3, pointer: dict, work: Path
                         ) -> tuple[Path, set[str] | None]:
    """(production model.tar.gz, keys of the documents it was trained on or None)."""
    from entrec.engine.artifact import open_model

    version = pointer["version"]
    tar = download(s3, cfg.bucket, f"{cfg.models}{version}/model.tar.gz",
                   work / "production" / "model.tar.gz")
    if pointer.get("sha256") and sha256_path(tar) != pointer["sha256"]:
        raise RetrainError(f"production artifact {version} does not match the sha256 in "
                           f"models/PRODUCTION", code="production-artifact-mismatch")
    _, manifest = open_model(tar, workdir=work / "production" / "unpacked")
    seen = ((manifest.get("metrics") or {}).get("data") or {}).get("trained_on")
    return tar, (set(seen) if isinstance(seen, list) else None)


def evaluate_candidate(cfg: RetrainConfig, s3, tarball: Path, run, labels: set[str],
                       pointer: dict | None, work: Path, log: Log) -> tuple[dict, GateResult]:
    """Candidate AND production on the held-out documents neither saw, then the gate."""
    prod_version = pointer.get("version") if pointer else None
    cand_seen = set(run.metrics["data"]["trained_on"])
    prod_tar, prod_seen = (_production_artifact(cfg, s3, pointer, work) if pointer
                           else (None, set()))
    docs, comp = comparison_set(run.heldout, cand_seen, prod_seen)
    comp.production_recorded = prod_seen is not None
    support = support_of(docs, labels)
    cand_scores = score_on(tarball, docs, labels) if docs else {}
    prod_block = ({"version": prod_version, "scores": score_on(prod_tar, docs, labels)
                   if docs else {}} if prod_tar is not None else None)
    g = gate(cand_scores, prod_block["scores"] if prod_block else None, min_f1=cfg.min_f1,
             max_f1_drop=cfg.max_f1_drop, min_label_support=cfg.min_label_support,
             production_version=prod_version, support=support, comparison=comp,
             min_comparison_docs=cfg.min_comparison_docs)
    _log_gate(g, log)
    metrics = {
        "env": cfg.env, "created_at": _now(),
        "artifact": {"sha256": sha256_path(tarball), "bytes": tarball.stat().st_size},
        "training": run.metrics,
        "split": {"heldout_fraction": cfg.heldout_fraction, "heldout": keys_of(run.heldout)},
        "comparison": comp.to_dict(),
        "heldout_support": support,
        "summary": {"candidate_f1": f1_table(cand_scores)[0],
                    "production_f1": f1_table(prod_block["scores"])[0] if prod_block else None,
                    "gate_passed": g.passed, "gate_status": g.status,
                    "comparison_docs": comp.docs},
        "thresholds": cfg.thresholds(),
        "candidate": cand_scores, "production": prod_block, "gate": g.to_dict(),
    }
    return metrics, g


def finish(cfg: RetrainConfig, s3, sagemaker, log: Log, work: Path, version: str,
           metrics: dict, pointer: dict | None, pointer_etag: str | None, *,
           poll: float = 15.0, sleep: Callable[[float], None] = time.sleep) -> RetrainResult:
    """Re-verify the uploaded artifact, deploy if asked, then write PRODUCTION (last)."""
    prod_version = pointer.get("version") if pointer else None
    sha = metrics["artifact"]["sha256"]
    verify_uploaded(s3, cfg, version, sha, work)
    log(f"verified {s3_url(cfg.bucket, f'{cfg.models}{version}/model.tar.gz')}")
    _hook("before-promote")
    deploy_info = None
    if cfg.deploy:
        from entrec.training.deploy import DeployError

        from .handoff import deploy_candidate

        try:
            deploy_info = deploy_candidate(cfg, sagemaker, version, log, poll=poll,
                                           sleep=sleep).to_dict()
        except DeployError as err:
            for e in err.events:
                log("  deploy: " + e)
            msg = (f"deploy of {version} failed ({err.message}); endpoint "
                   f"{'rolled back' if err.rolled_back else 'NOT rolled back'}; "
                   + _stays(prod_version))
            log(msg)
            return RetrainResult("deploy-failed", msg, version, metrics.get("data_sha256"),
                                 prod_version, prod_version, metrics,
                                 {"error": err.message, "rolled_back": err.rolled_back,
                                  "events": err.events})
    new_pointer = promote(s3, cfg, version, sha, pointer, pointer_etag)
    msg = (f"promoted {version}" + (f" (previous: {new_pointer['previous']})"
                                    if new_pointer["previous"] else " (first production model)"))
    log(msg)
    return RetrainResult("promoted", msg, version, metrics.get("data_sha256"), prod_version,
                         version, metrics, deploy_info)


def run_retrain(cfg: RetrainConfig, *, s3=None, sagemaker=None,
                log: Log = lambda s: print(s, flush=True), poll: float = 15.0,
                sleep: Callable[[float], None] = time.sleep) -> RetrainResult:
    cfg.validate()
    if s3 is None:
        import boto3

        s3 = boto3.client("s3")
    work = Path(cfg.work_dir) if cfg.work_dir else Path(tempfile.mkdtemp(prefix="entrec-retrain-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(cfg, s3, sagemaker, log, work, poll, sleep)
    finally:
        if not cfg.work_dir:
            shutil.rmtree(work, ignore_errors=True)


def _previous_verdict(cfg: RetrainConfig, s3, h: str, prod_version: str | None
                      ) -> tuple[str, dict] | None:
    """The newest complete version of this data evaluated against the current production."""
    for st in reversed(version_states(s3, cfg)):
        if not st.version.endswith("-" + h[:12]) or st.state != "complete":
            continue
        m = get_json(s3, cfg.bucket, f"{cfg.models}{st.version}/{METRICS_FILE}")
        if not m or m.get("data_sha256") != h:
            continue  # hash-prefix clash
        if (m.get("gate") or {}).get("production_version") != prod_version:
            continue  # evaluated against another production: evaluate again
        return st.version, m
    return None


def _run(cfg: RetrainConfig, s3, sagemaker, log: Log, work: Path, poll: float,
         sleep) -> RetrainResult:
    pointer, pointer_etag = read_pointer(s3, cfg.bucket, cfg.models)
    prod_version = pointer.get("version") if pointer else None
    log(f"env {cfg.env}, bucket {cfg.bucket}, "
        + (f"production {prod_version}" if prod_version else "no production model yet"))
    snap: LabeledSnapshot = download_labeled(s3, cfg, work / "labeled", log)
    h = snap.data_sha256

    if not cfg.force:
        if prod_version and prod_version.endswith("-" + h[:12]):
            pm = get_json(s3, cfg.bucket, f"{cfg.models}{prod_version}/{METRICS_FILE}")
            if pm is None or pm.get("data_sha256") == h:
                msg = (f"no-op: production {prod_version} was trained on this data "
                       f"(data id {h[:12]}); nothing to do")
                log(msg)
                return RetrainResult("noop", msg, prod_version, h, prod_version, prod_version)
        prev = _previous_verdict(cfg, s3, h, prod_version)
        if prev is not None:
            v, m = prev
            g = verdict_from_metrics(m, min_f1=cfg.min_f1, max_f1_drop=cfg.max_f1_drop,
                                     min_label_support=cfg.min_label_support,
                                     min_comparison_docs=cfg.min_comparison_docs)
            log(f"this data was already evaluated as {v}; gate recomputed with this run's "
                f"thresholds:")
            _log_gate(g, log)
            write_gate(s3, cfg, v, gate_record(g, v, "recomputed"))
            if g.passed:
                log(f"resuming {v}: it passes the gate and was never promoted")
                return finish(cfg, s3, sagemaker, log, work, v, m, pointer, pointer_etag,
                              poll=poll, sleep=sleep)
            status = "gated" if g.decided else "undecided"
            msg = (f"{status}: {v} (this data, already evaluated) "
                   + (f"fails {len(g.failures)} check(s) with this run's thresholds"
                      if g.decided else f"has no verdict: {g.reason}")
                   + f"; {_stays(prod_version)}; pass --force to retrain")
            log(msg)
            return RetrainResult(status, msg, v, h, prod_version, prod_version, m)

    mark_orphans(s3, cfg, log)
    version = make_version(h)
    captured: dict[str, Any] = {}

    def keep_report(rep) -> None:
        captured["report"] = rep.relocate(str(snap.root) + "/", snap.shown_as)

    try:
        run = train_candidate(cfg, snap.root, work / "candidate", version=version, log=log,
                              s3=s3, import_report_to=keep_report)
    except EntrecError as err:
        err.message = snap.show(err.message)  # the bucket's names, not this run's temp folder
        write_failure(s3, cfg, version, err, captured.get("report"), log)
        raise
    report = captured["report"]
    labels = set(report.labels)
    metrics, g = evaluate_candidate(cfg, s3, Path(run.artifact), run, labels, pointer, work, log)
    metrics.update(version=version, data_sha256=h, labeled_objects=snap.keys,
                   **{"import": report.to_dict()})
    upload_version(cfg, s3, version, Path(run.artifact), metrics, report,
                   gate_record(g, version, "evaluated"), log)
    _hook("after-upload")
    if not g.passed:
        status = "gated" if g.decided else "undecided"
        msg = (f"gated: candidate {version} rejected ({len(g.failures)} check(s) failed); "
               if g.decided else f"undecided: no verdict on {version} ({g.reason}); ") \
            + _stays(prod_version)
        log(msg)
        return RetrainResult(status, msg, version, h, prod_version, prod_version, metrics)
    return finish(cfg, s3, sagemaker, log, work, version, metrics, pointer, pointer_etag,
                  poll=poll, sleep=sleep)
