"""The retraining job: labeled data in S3 -> gated, atomic promotion of a new model version.

This is the tested core behind `glue/entrec_retrain.py` (a thin Glue shell) and the
SageMaker Pipeline steps (`python -m entrec.training.retrain sm-train|sm-evaluate`). S3 layout
(DESIGN §8), one bucket per environment:

```
labeled/            input (every format entrec.training.importers reads)
models/<version>/   model.tar.gz, import_report.json, report.md, metrics.json (written in
                    this order: metrics.json marks the version folder complete)
models/PRODUCTION   {"version", "sha256", "promoted_at", "previous"}: written LAST
```

Order of a run, and why:
1. list + download `labeled/`; the data hash is the sha256 over (key, sha256 of content) of
   every object, so renaming a file or changing one byte makes a new version.
2. no-op when production was trained on this data hash, or when this data was already
   evaluated and rejected against the current production (say so, exit 0; `--force` retrains).
   When a previous run of this data passed the gate but died before promotion (killed, lost
   its container), the run resumes: re-verify that artifact, then promote it.
3. import (the import report is uploaded), seeded held-out split, train on the rest.
4. evaluate the candidate AND the current production model on the same held-out documents,
   with the whole engine (rules + grammar + model) as it would be deployed.
5. gate: overall F1 >= min_f1, no label with support below... (see `gate`), and drop vs
   production <= max_f1_drop overall and per label.
6. upload the version folder whatever the gate says (a rejected candidate can be inspected).
7. re-download model.tar.gz, check its sha256 and every file checksum of its manifest.
8. optionally deploy (training/deploy.py; a failed deploy rolls the endpoint back).
9. write `models/PRODUCTION` with a conditional put (If-Match on the pointer read at the
   start): a concurrent promotion makes this run fail instead of silently overwriting it.

A failed, killed or gated run never touches `models/PRODUCTION`.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from entrec.engine.errors import EntrecError

__all__ = [
    "RetrainConfig", "RetrainResult", "RetrainError", "GateCheck", "GateResult",
    "ENVIRONMENTS", "SUPPORTED_SUFFIXES", "EXIT_HOOK_ENV",
    "build_arg_parser", "config_from_mapping", "data_sha256", "make_version", "gate",
    "read_pointer", "run_retrain", "main",
]

ENVIRONMENTS = ("dev", "hom", "prod")
#: Suffixes handed to the importers (JSONL spans, CoNLL, Label Studio JSON, Comprehend CSV).
#: Every other object under labeled/ is still downloaded and hashed (a Comprehend CSV names
#: its `.txt` documents) and listed in the report as "not imported directly".
SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".conll", ".conll03", ".iob",
                      ".iob2", ".bio", ".bilou")
POINTER_NAME = "PRODUCTION"
#: Test/ops hook: `ENTREC_RETRAIN_EXIT_AT=before-promote` makes the process `os._exit(75)`
#: right after the upload was verified and before PRODUCTION is written (simulates a kill).
EXIT_HOOK_ENV = "ENTREC_RETRAIN_EXIT_AT"
HOOK_POINTS = ("after-upload", "before-promote")

Log = Callable[[str], None]


class RetrainError(EntrecError):
    code = "retrain-failed"


# ---------------------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------------------
@dataclass
class RetrainConfig:
    """Everything a run needs; the same names as the job's arguments (`--min-f1` -> min_f1)."""

    env: str
    bucket: str
    labeled_prefix: str = "labeled/"
    models_prefix: str = "models/"
    base_model: str | None = None
    min_f1: float = 0.5
    max_f1_drop: float = 0.02
    #: per-label checks only for labels with at least this many gold spans in the held-out set
    min_label_support: int = 5
    deploy: bool = False
    endpoint_name: str | None = None
    image_uri: str | None = None
    role_arn: str | None = None
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    deploy_timeout: float = 1800.0
    lang: str = "pt"
    dev_fraction: float = 0.2
    seed: int = 0
    max_epochs: int | None = None
    max_seconds: float | None = None
    force: bool = False
    name: str = "entrec"
    work_dir: str | None = None

    def validate(self) -> None:
        if self.env not in ENVIRONMENTS:
            raise RetrainError(f"unknown environment {self.env!r}", code="bad-env",
                               hint=f"use one of {', '.join(ENVIRONMENTS)}")
        if not self.bucket:
            raise RetrainError("no bucket given", code="bad-bucket")
        m = re.search(r"-(dev|hom|prod)-", f"-{self.bucket}-")
        if m and m.group(1) != self.env:
            raise RetrainError(
                f"bucket {self.bucket!r} belongs to environment {m.group(1)!r}, not {self.env!r}",
                code="env-bucket-mismatch",
                hint="buckets are named <prefix>-<env>-entityrecognition; check --env/--bucket")
        for k in ("min_f1", "max_f1_drop"):
            v = getattr(self, k)
            if not 0.0 <= v <= 1.0:
                raise RetrainError(f"--{k.replace('_', '-')} must be in [0, 1], got {v}",
                                   code="bad-threshold")
        if self.deploy:
            missing = [k for k in ("endpoint_name", "image_uri", "role_arn") if not getattr(self, k)]
            if missing:
                raise RetrainError(
                    "--deploy needs " + ", ".join("--" + m.replace("_", "-") for m in missing),
                    code="deploy-args-missing")

    @property
    def labeled(self) -> str:
        return self.labeled_prefix.rstrip("/") + "/"

    @property
    def models(self) -> str:
        return self.models_prefix.rstrip("/") + "/"

    @property
    def pointer_key(self) -> str:
        return self.models + POINTER_NAME


_BOOL_TRUE = {"1", "true", "yes", "y", "on"}
_BOOL_FALSE = {"0", "false", "no", "n", "off", ""}


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in _BOOL_TRUE:
        return True
    if s in _BOOL_FALSE:
        return False
    raise RetrainError(f"not a boolean: {v!r}", code="bad-argument", hint="use true or false")


#: Job argument name -> (RetrainConfig field, type). Glue passes every value as a string.
ARGUMENTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "env": ("env", str), "bucket": ("bucket", str),
    "labeled-prefix": ("labeled_prefix", str), "models-prefix": ("models_prefix", str),
    "base-model": ("base_model", str), "min-f1": ("min_f1", float),
    "max-f1-drop": ("max_f1_drop", float), "min-label-support": ("min_label_support", int),
    "deploy": ("deploy", _to_bool), "endpoint-name": ("endpoint_name", str),
    "image-uri": ("image_uri", str), "role-arn": ("role_arn", str),
    "instance-type": ("instance_type", str), "instance-count": ("instance_count", int),
    "deploy-timeout": ("deploy_timeout", float), "lang": ("lang", str),
    "dev-fraction": ("dev_fraction", float), "seed": ("seed", int),
    "max-epochs": ("max_epochs", int), "max-seconds": ("max_seconds", float),
    "force": ("force", _to_bool), "name": ("name", str), "work-dir": ("work_dir", str),
}
REQUIRED_ARGUMENTS = ("env", "bucket")


def build_arg_parser() -> argparse.ArgumentParser:
    """The job's arguments for local runs (Glue resolves the same names itself)."""
    p = argparse.ArgumentParser(prog="entrec_retrain",
                                description="Retrain, gate and promote an entrec model from S3.")
    for name, (dest, typ) in ARGUMENTS.items():
        kw: dict[str, Any] = {"dest": dest, "required": name in REQUIRED_ARGUMENTS}
        if typ is _to_bool:  # `--deploy` alone, or Glue-style `--deploy true`
            kw.update(nargs="?", const="true", default=None)
        p.add_argument(f"--{name}", **kw)
    return p


def config_from_mapping(values: dict[str, Any]) -> RetrainConfig:
    """RetrainConfig from parsed arguments; keys may be dests (`min_f1`) or names (`min-f1`).

    None / "" values keep the default, so Glue's "argument absent" and argparse's default
    mean the same thing.
    """
    by_dest = {dest: typ for dest, typ in ARGUMENTS.values()}
    kw: dict[str, Any] = {}
    for key, raw in values.items():
        dest = ARGUMENTS[key][0] if key in ARGUMENTS else key.replace("-", "_")
        if dest not in by_dest or raw is None:
            continue
        if raw == "" and dest not in ("deploy", "force"):
            continue
        try:
            kw[dest] = by_dest[dest](raw)
        except (TypeError, ValueError):
            raise RetrainError(f"bad value for --{dest.replace('_', '-')}: {raw!r}",
                               code="bad-argument") from None
    missing = [a for a in REQUIRED_ARGUMENTS if a not in kw]
    if missing:
        raise RetrainError("missing " + ", ".join("--" + m for m in missing), code="bad-argument")
    cfg = RetrainConfig(**kw)
    cfg.validate()
    return cfg


# ---------------------------------------------------------------------------------------
# S3 helpers
# ---------------------------------------------------------------------------------------
def _client_error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _list(s3, bucket: str, prefix: str, delimiter: str | None = None):
    kw: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kw["Delimiter"] = delimiter
    for page in s3.get_paginator("list_objects_v2").paginate(**kw):
        if delimiter:
            yield from (p["Prefix"] for p in page.get("CommonPrefixes", []))
        else:
            yield from page.get("Contents", [])


def _get_bytes(s3, bucket: str, key: str) -> tuple[bytes, str] | None:
    """(body, etag) or None when the key does not exist."""
    try:
        r = s3.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if _client_error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise
    return r["Body"].read(), r["ETag"]


def _get_json(s3, bucket: str, key: str) -> dict | None:
    got = _get_bytes(s3, bucket, key)
    if got is None:
        return None
    try:
        return json.loads(got[0])
    except ValueError:
        raise RetrainError(f"s3://{bucket}/{key} is not valid JSON", code="bad-s3-json") from None


def read_pointer(s3, bucket: str, models_prefix: str = "models/") -> tuple[dict | None, str | None]:
    """(PRODUCTION pointer, its ETag) — (None, None) before the first promotion."""
    key = models_prefix.rstrip("/") + "/" + POINTER_NAME
    got = _get_bytes(s3, bucket, key)
    if got is None:
        return None, None
    try:
        return json.loads(got[0]), got[1]
    except ValueError:
        raise RetrainError(f"s3://{bucket}/{key} is not valid JSON", code="bad-pointer",
                           hint="restore it from the bucket's object versions") from None


def _sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _sha256_path(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_sha256(entries: Sequence[tuple[str, str]]) -> str:
    """Hash of a labeled data set from (relative key, sha256 of content) pairs, order-free."""
    h = hashlib.sha256()
    for rel, digest in sorted(entries):
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def make_version(data_hash: str, now: datetime | None = None) -> str:
    """`<UTC time>-<12 hex of the data hash>`: sortable, and tells which data made it."""
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + data_hash[:12]


@dataclass
class LabeledData:
    files: list[Path]
    data_sha256: str
    ignored: list[str]  # keys not handed to an importer (support files; listed in the report)
    keys: list[str]


def download_labeled(s3, cfg: RetrainConfig, dest: Path, log: Log) -> LabeledData:
    """Download every object under labeled/; return the importable files and the data hash."""
    objects = [o for o in _list(s3, cfg.bucket, cfg.labeled) if not o["Key"].endswith("/")]
    files, ignored, entries, keys = [], [], [], []
    for o in sorted(objects, key=lambda o: o["Key"]):
        key = o["Key"]
        rel = key[len(cfg.labeled):]
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            ignored.append(key)
            continue
        body = s3.get_object(Bucket=cfg.bucket, Key=key)["Body"].read()
        local = dest / rel
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(body)
        keys.append(key)
        entries.append((rel, _sha256_bytes(body)))
        if rel.lower().endswith(SUPPORTED_SUFFIXES):
            files.append(local)
        else:
            ignored.append(key)
    if not files:
        raise RetrainError(f"no labeled files under s3://{cfg.bucket}/{cfg.labeled}",
                           code="no-labeled-data",
                           hint=f"upload {', '.join(SUPPORTED_SUFFIXES)} files there"
                           + (f" ({len(ignored)} other object(s) found)" if ignored else ""))
    digest = data_sha256(entries)
    log(f"labeled data: {len(files)} file(s) to import, {len(ignored)} other object(s), "
        f"sha256 {digest[:12]}")
    return LabeledData(files, digest, ignored, keys)


# ---------------------------------------------------------------------------------------
# gate
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GateCheck:
    name: str            # "min-f1" | "max-f1-drop"
    label: str           # "*" for overall
    candidate: float
    threshold: float
    passed: bool
    production: float | None = None
    support: int | None = None

    def describe(self) -> str:
        who = "overall" if self.label == "*" else self.label
        if self.name == "min-f1":
            return (f"{who}: F1 {self.candidate:.4f} {'>=' if self.passed else '<'} "
                    f"floor {self.threshold:.4f}")
        return (f"{who}: F1 {self.candidate:.4f} vs production {self.production:.4f} "
                f"(drop {self.production - self.candidate:+.4f}, max {self.threshold:.4f})")


@dataclass
class GateResult:
    passed: bool
    checks: list[GateCheck]
    production_version: str | None

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "production_version": self.production_version,
                "checks": [asdict(c) for c in self.checks],
                "failures": [c.describe() for c in self.failures]}


def _f1_table(scores: dict, support: dict[str, int] | None = None
              ) -> tuple[float, dict[str, tuple[float, int]]]:
    """(overall F1, {label: (F1, support)}) from a ScoreReport.to_dict() (exact-span scores).

    `support` (gold spans per label in the held-out set) wins over whatever the score dict
    carries, so the gate does not depend on the metric module's field names.
    """
    node = scores if isinstance(scores, dict) else {}
    if "overall" not in node and isinstance(node.get("exact"), dict):
        node = node["exact"]
    overall = node.get("overall") or {}
    per = node.get("labels") or node.get("per_label") or {}
    table: dict[str, tuple[float, int]] = {}
    for label, s in per.items():
        sup = (support or {}).get(label)
        if sup is None:
            sup = s.get("support", s.get("gold", s.get("n_gold", 0))) or 0
        f1 = s.get("f1")
        table[label] = (float(f1) if isinstance(f1, (int, float)) else 0.0, int(sup))
    for label, sup in (support or {}).items():
        table.setdefault(label, (0.0, int(sup)))
    f1 = overall.get("f1")
    return (float(f1) if isinstance(f1, (int, float)) else 0.0), table


def gate(candidate: dict, production: dict | None, *, min_f1: float, max_f1_drop: float,
         min_label_support: int = 5, production_version: str | None = None,
         support: dict[str, int] | None = None) -> GateResult:
    """Absolute floor and maximum drop vs production, overall and per label.

    Per-label checks skip labels with fewer than `min_label_support` gold spans in the
    held-out set (their F1 is noise). A label production knew and the candidate scores 0 on
    is a drop like any other.
    """
    checks: list[GateCheck] = []
    c_all, c_lab = _f1_table(candidate, support)
    checks.append(GateCheck("min-f1", "*", c_all, min_f1, c_all >= min_f1))
    for label, (f1, sup) in sorted(c_lab.items()):
        if sup >= min_label_support:
            checks.append(GateCheck("min-f1", label, f1, min_f1, f1 >= min_f1, support=sup))
    if production is not None:
        p_all, p_lab = _f1_table(production, support)
        checks.append(GateCheck("max-f1-drop", "*", c_all, max_f1_drop,
                                p_all - c_all <= max_f1_drop + 1e-9, production=p_all))
        for label, (pf1, sup) in sorted(p_lab.items()):
            if sup < min_label_support:
                continue
            cf1 = c_lab.get(label, (0.0, sup))[0]
            checks.append(GateCheck("max-f1-drop", label, cf1, max_f1_drop,
                                    pf1 - cf1 <= max_f1_drop + 1e-9, production=pf1,
                                    support=sup))
    return GateResult(all(c.passed for c in checks), checks, production_version)


# ---------------------------------------------------------------------------------------
# import / train / evaluate (the training pipeline does the work)
# ---------------------------------------------------------------------------------------
def import_documents(files: Sequence[Path], lang: str):
    from entrec.training.importers import load_documents

    return load_documents([str(f) for f in files], format=None, labels=None, lang=lang)


def split_heldout(docs, cfg: RetrainConfig):
    from entrec.training.split import split_documents

    return split_documents(docs, dev_fraction=cfg.dev_fraction, seed=cfg.seed)


def _training_config(cfg: RetrainConfig, work: Path, s3=None):
    """The spaCy training config: built-in defaults, or `--base-model` (a .cfg, local/S3)."""
    from entrec.training.config import load_config

    path = None
    base = (cfg.base_model or "").strip()
    if base and base not in ("blank", "default"):
        if base.startswith("s3://"):
            if s3 is None:
                import boto3
                s3 = boto3.client("s3")
            bucket, _, key = base[5:].partition("/")
            path = _download(s3, bucket, key, work / "base" / Path(key).name)
        else:
            path = Path(base)
    overrides: dict[str, Any] = {"training.seed": cfg.seed, "system.seed": cfg.seed}
    if cfg.max_epochs is not None:
        overrides["training.max_epochs"] = cfg.max_epochs
    if cfg.max_seconds is not None:
        overrides["training.max_seconds"] = cfg.max_seconds
    return load_config(path, lang=cfg.lang, overrides=overrides)


def train_candidate(train_docs, dev_docs, out_dir: Path, cfg: RetrainConfig, *,
                    version: str, data_hash: str, log: Log, s3=None) -> tuple[Path, dict]:
    """Train the NER on `train_docs` (early stopping on `dev_docs`) and package the artifact.

    Returns (model.tar.gz, training summary). The artifact carries the embedded rule packs
    and grammar, so evaluating it evaluates the engine as it will be deployed.
    """
    from entrec.training.package import package_model
    from entrec.training.train import save_ner, train_ner

    config = _training_config(cfg, out_dir.parent, s3)
    labels = sorted({s.label for d in list(train_docs) + list(dev_docs) for s in d.spans})
    result = train_ner(train_docs, dev_docs, config=config, labels=labels,
                       progress=lambda e: log(f"  epoch {e.epoch}: loss {e.loss:.1f} "
                                              f"dev F1 {e.dev_f:.3f}"))
    ner_dir = save_ner(result, out_dir / "ner")
    summary = result.summary()
    tarball = package_model(out_dir / "artifact", ner_dir=ner_dir, name=cfg.name,
                            version=version, metrics={"training": summary},
                            training_data_sha256=data_hash, language=cfg.lang)
    return Path(tarball), summary


def evaluate_model(model_path: Path, docs, *, lang: str, labels: set[str] | None = None) -> dict:
    """Score the whole engine built from an artifact on gold documents.

    Predictions are restricted to the labels present in the gold data: the engine also finds
    labels the annotators were not asked for (e.g. INEQUALITY), which are not errors.
    """
    from entrec.engine import Engine
    from entrec.training.metrics import score_documents

    engine = Engine.load(model=model_path, lang=lang)
    gold_labels = labels if labels is not None else {s.label for d in docs for s in d.spans}
    preds = []
    for ents in engine.pipe([d.text for d in docs], lang=lang):
        preds.append([e for e in ents if e.label in gold_labels])
    return score_documents(list(docs), preds).to_dict()


# ---------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------
@dataclass
class RetrainResult:
    status: str  # "promoted" | "gated" | "noop" | "deploy-failed"
    message: str
    version: str | None = None
    data_sha256: str | None = None
    production_before: str | None = None
    production_after: str | None = None
    metrics: dict | None = None
    deploy: dict | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("promoted", "noop") else 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hook(point: str) -> None:
    if os.environ.get(EXIT_HOOK_ENV) == point:
        sys.stderr.write(f"{EXIT_HOOK_ENV}={point}: exiting now (simulated kill)\n")
        sys.stderr.flush()
        os._exit(75)


def _versions_for(s3, cfg: RetrainConfig, data_hash: str) -> list[str]:
    suffix = "-" + data_hash[:12]
    out = []
    for prefix in _list(s3, cfg.bucket, cfg.models, delimiter="/"):
        v = prefix[len(cfg.models):].rstrip("/")
        if v.endswith(suffix):
            out.append(v)
    return sorted(out)


def _download(s3, bucket: str, key: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    s3.download_file(bucket, key, str(dest))
    return dest


def verify_uploaded(s3, cfg: RetrainConfig, version: str, expected_sha256: str,
                    work: Path) -> Path:
    """Download models/<version>/model.tar.gz again and check it end to end."""
    from entrec.engine.artifact import open_model

    key = f"{cfg.models}{version}/model.tar.gz"
    local = _download(s3, cfg.bucket, key, work / f"verify-{version}" / "model.tar.gz")
    got = _sha256_path(local)
    if got != expected_sha256:
        raise RetrainError(f"s3://{cfg.bucket}/{key} has sha256 {got[:12]}, expected "
                           f"{expected_sha256[:12]}", code="upload-verify-failed")
    open_model(local, workdir=work / f"verify-{version}" / "unpacked")  # every file checksum
    return local


def _put(s3, bucket: str, key: str, body: bytes, content_type: str, **extra) -> dict:
    return s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)


def promote(s3, cfg: RetrainConfig, version: str, sha256: str, previous: dict | None,
            previous_etag: str | None, *, now: datetime | None = None) -> dict:
    """Write models/PRODUCTION, conditionally on it being unchanged since we read it."""
    pointer = {"version": version, "sha256": sha256,
               "promoted_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
               "previous": previous.get("version") if previous else None}
    cond = {"IfMatch": previous_etag} if previous_etag else {"IfNoneMatch": "*"}
    try:
        _put(s3, cfg.bucket, cfg.pointer_key, json.dumps(pointer, indent=2).encode(),
             "application/json", **cond)
    except Exception as exc:
        if _client_error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            raise RetrainError("models/PRODUCTION changed while this run was working",
                               code="production-changed",
                               hint="another run promoted a model; re-run to evaluate against it"
                               ) from None
        raise
    return pointer


def render_report(m: dict) -> str:
    """report.md: what a reviewer needs to accept or question the promotion."""
    g = m["gate"]
    lines = [f"# entrec model {m['version']} ({m['env']})", "",
             f"- data sha256: `{m['data_sha256']}`",
             f"- created: {m['created_at']}",
             f"- artifact sha256: `{m['artifact']['sha256']}` ({m['artifact']['bytes']} bytes)",
             f"- held-out split: {m['split'].get('n_dev')} documents "
             f"(train {m['split'].get('n_train')}, seed {m['split'].get('seed')})",
             f"- production at evaluation: {g['production_version'] or 'none'}",
             f"- gate: **{'PASSED' if g['passed'] else 'REJECTED'}** "
             f"(min F1 {m['thresholds']['min_f1']}, max drop {m['thresholds']['max_f1_drop']}, "
             f"per label from {m['thresholds']['min_label_support']} spans)", ""]
    if g["failures"]:
        lines += ["## Gate failures", ""] + [f"- {f}" for f in g["failures"]] + [""]
    sup = m.get("heldout_support")
    c_all, c_lab = _f1_table(m["candidate"], sup)
    p_all, p_lab = (_f1_table(m["production"]["scores"], sup) if m.get("production")
                    else (None, {}))
    lines += ["## F1 on the held-out split", "", "| label | support | candidate | production |",
              "|---|---:|---:|---:|"]
    fmt = lambda x: "-" if x is None else f"{x:.4f}"  # noqa: E731
    lines.append(f"| **overall** | | {fmt(c_all)} | {fmt(p_all)} |")
    for label in sorted(set(c_lab) | set(p_lab)):
        sup = (c_lab.get(label) or p_lab.get(label))[1]
        lines.append(f"| {label} | {sup} | {fmt(c_lab.get(label, (None,))[0])} | "
                     f"{fmt(p_lab.get(label, (None,))[0])} |")
    lines += ["", "## Import", ""]
    imp = m.get("import_markdown")
    lines.append(imp if imp else "```\n" + json.dumps(m.get("import"), indent=2)[:4000] + "\n```")
    if m.get("ignored_objects"):
        lines += ["", "## Objects under labeled/ not imported directly (hashed; e.g. Comprehend "
                  "documents)", ""]
        lines += [f"- `{k}`" for k in m["ignored_objects"]]
    return "\n".join(lines) + "\n"


def run_retrain(cfg: RetrainConfig, *, s3=None, sagemaker=None,
                log: Log = lambda s: print(s, flush=True)) -> RetrainResult:
    cfg.validate()
    if s3 is None:
        import boto3
        s3 = boto3.client("s3")
    work_root = Path(cfg.work_dir) if cfg.work_dir else Path(tempfile.mkdtemp(prefix="entrec-retrain-"))
    work_root.mkdir(parents=True, exist_ok=True)
    try:
        return _run(cfg, s3, sagemaker, log, work_root)
    finally:
        if not cfg.work_dir:
            shutil.rmtree(work_root, ignore_errors=True)


def _run(cfg: RetrainConfig, s3, sagemaker, log: Log, work: Path) -> RetrainResult:
    pointer, pointer_etag = read_pointer(s3, cfg.bucket, cfg.models)
    prod_version = pointer.get("version") if pointer else None
    log(f"env {cfg.env}, bucket {cfg.bucket}, production {prod_version or '(none)'}")

    data = download_labeled(s3, cfg, work / "labeled", log)
    h = data.data_sha256

    # -- no-op / resume ------------------------------------------------------------------
    if not cfg.force:
        if prod_version and prod_version.endswith("-" + h[:12]):
            prod_metrics = _get_json(s3, cfg.bucket, f"{cfg.models}{prod_version}/metrics.json")
            if prod_metrics is None or prod_metrics.get("data_sha256") == h:
                msg = (f"no-op: production {prod_version} was trained on this data "
                       f"(sha256 {h[:12]}); nothing to do")
                log(msg)
                return RetrainResult("noop", msg, prod_version, h, prod_version, prod_version)
        for v in reversed(_versions_for(s3, cfg, h)):
            m = _get_json(s3, cfg.bucket, f"{cfg.models}{v}/metrics.json")
            if not m or m.get("data_sha256") != h:
                continue  # incomplete folder (killed mid-upload) or hash-prefix clash
            g = m.get("gate", {})
            if g.get("production_version") != prod_version:
                continue  # evaluated against another production: evaluate again
            if not g.get("passed"):
                msg = (f"no-op: this data (sha256 {h[:12]}) was already evaluated as {v} and "
                       f"rejected against production {prod_version}; pass --force to retrain")
                log(msg)
                return RetrainResult("noop", msg, v, h, prod_version, prod_version, m)
            log(f"resuming {v}: it passed the gate but was never promoted")
            return _finish(cfg, s3, sagemaker, log, work, v, m, pointer, pointer_etag)

    # -- import, split, train --------------------------------------------------------------
    version = make_version(h)
    docs, report, train_docs, heldout, split_rep = prepare_documents(data.files, cfg, log)
    fit_docs, dev_docs = early_stopping_split(train_docs, cfg)
    tarball, train_summary = train_candidate(fit_docs, dev_docs, work / "candidate", cfg,
                                             version=version, data_hash=h, log=log, s3=s3)
    metrics, g = evaluate_and_gate(cfg, s3, tarball, docs, heldout, pointer, work, log)
    metrics.update(version=version, data_sha256=h, labeled_objects=data.keys,
                   ignored_objects=data.ignored, split=_split_dict(split_rep),
                   training=train_summary, **{"import": report.to_dict()})
    upload_version(cfg, s3, version, tarball, metrics, report, log)
    _hook("after-upload")
    if not g.passed:
        msg = (f"gated: candidate {version} rejected ({len(g.failures)} check(s) failed); "
               f"PRODUCTION stays on {prod_version or '(none)'}")
        log(msg)
        return RetrainResult("gated", msg, version, h, prod_version, prod_version, metrics)
    return _finish(cfg, s3, sagemaker, log, work, version, metrics, pointer, pointer_etag)


def _split_dict(split_rep) -> dict:
    return asdict(split_rep) if hasattr(split_rep, "__dataclass_fields__") else dict(split_rep)


def prepare_documents(files: Sequence[Path], cfg: RetrainConfig, log: Log):
    """Import, then the seeded held-out split: (docs, report, train, heldout, split report).

    Deterministic (sorted files, seeded split), so the SageMaker Pipeline's train and
    evaluate steps, which import the same data separately, hold out the same documents.
    """
    docs, report = import_documents(sorted(files), cfg.lang)
    log(f"imported {len(docs)} document(s); skipped records: "
        f"{getattr(report, 'skipped_records', '?')}")
    if len(docs) < 2:
        raise RetrainError(f"only {len(docs)} usable document(s) in the labeled data",
                           code="too-few-documents")
    train_docs, heldout, split_rep = split_heldout(docs, cfg)
    log(f"split: {len(train_docs)} train / {len(heldout)} held-out (seed {cfg.seed})")
    return docs, report, train_docs, heldout, split_rep


def early_stopping_split(train_docs, cfg: RetrainConfig):
    """Early stopping gets its own dev slice of the training part: choosing the epoch on the
    held-out documents would bias the candidate's score against production's."""
    if len(train_docs) >= 4:
        from entrec.training.split import split_documents
        fit_docs, dev_docs, _ = split_documents(train_docs, dev_fraction=0.15, seed=cfg.seed)
        return fit_docs, dev_docs
    return train_docs, train_docs


def evaluate_and_gate(cfg: RetrainConfig, s3, tarball: Path, docs, heldout, pointer: dict | None,
                      work: Path, log: Log) -> tuple[dict, GateResult]:
    """Candidate AND production on the same held-out documents, then the gate."""
    prod_version = pointer.get("version") if pointer else None
    labels = {s.label for d in docs for s in d.spans}
    support = dict(sorted(Counter(s.label for d in heldout for s in d.spans).items()))
    cand_scores = evaluate_model(tarball, heldout, lang=cfg.lang, labels=labels)
    prod_block = None
    if pointer:
        prod_tar = _download(s3, cfg.bucket, f"{cfg.models}{prod_version}/model.tar.gz",
                             work / "production" / "model.tar.gz")
        if pointer.get("sha256") and _sha256_path(prod_tar) != pointer["sha256"]:
            raise RetrainError(f"production artifact {prod_version} does not match the sha256 "
                               f"in models/PRODUCTION", code="production-artifact-mismatch")
        prod_block = {"version": prod_version,
                      "scores": evaluate_model(prod_tar, heldout, lang=cfg.lang, labels=labels)}
    g = gate(cand_scores, prod_block["scores"] if prod_block else None, min_f1=cfg.min_f1,
             max_f1_drop=cfg.max_f1_drop, min_label_support=cfg.min_label_support,
             production_version=prod_version, support=support)
    for c in g.checks:
        log(("  ok    " if c.passed else "  FAIL  ") + c.describe())
    sha = _sha256_path(tarball)
    metrics = {
        "env": cfg.env,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "artifact": {"sha256": sha, "bytes": tarball.stat().st_size},
        "heldout_support": support,
        "summary": {"candidate_f1": _f1_table(cand_scores)[0],
                    "production_f1": _f1_table(prod_block["scores"])[0] if prod_block else None,
                    "gate_passed": g.passed},
        "thresholds": {"min_f1": cfg.min_f1, "max_f1_drop": cfg.max_f1_drop,
                       "min_label_support": cfg.min_label_support},
        "candidate": cand_scores, "production": prod_block, "gate": g.to_dict(),
    }
    return metrics, g


def upload_version(cfg: RetrainConfig, s3, version: str, tarball: Path, metrics: dict, report,
                   log: Log) -> None:
    """models/<version>/: model.tar.gz, import_report.json, report.md, then metrics.json
    (last: it marks the folder complete; a run killed before it leaves a folder that later
    runs ignore)."""
    base = f"{cfg.models}{version}/"
    metrics["artifact"]["key"] = base + "model.tar.gz"
    s3.upload_file(str(tarball), cfg.bucket, base + "model.tar.gz",
                   ExtraArgs={"ContentType": "application/gzip"})
    imp = report.to_dict() if hasattr(report, "to_dict") else report
    _put(s3, cfg.bucket, base + "import_report.json",
         json.dumps(imp, indent=2, ensure_ascii=False).encode(), "application/json")
    md = dict(metrics, import_markdown=report.to_markdown() if hasattr(report, "to_markdown")
              else None)
    _put(s3, cfg.bucket, base + "report.md", render_report(md).encode(), "text/markdown")
    _put(s3, cfg.bucket, base + "metrics.json",
         json.dumps(metrics, indent=2, ensure_ascii=False).encode(), "application/json")
    log(f"uploaded s3://{cfg.bucket}/{base} (model.tar.gz sha256 "
        f"{metrics['artifact']['sha256'][:12]})")


def _finish(cfg: RetrainConfig, s3, sagemaker, log: Log, work: Path, version: str,
            metrics: dict, pointer: dict | None, pointer_etag: str | None) -> RetrainResult:
    """Re-verify the uploaded artifact, deploy if asked, then write PRODUCTION (last)."""
    prod_version = pointer.get("version") if pointer else None
    sha = metrics["artifact"]["sha256"]
    verify_uploaded(s3, cfg, version, sha, work)
    log(f"verified s3://{cfg.bucket}/{cfg.models}{version}/model.tar.gz")
    _hook("before-promote")

    deploy_info = None
    if cfg.deploy:
        from entrec.training.deploy import DeployError, DeploySpec, deploy_version, model_data_url

        if sagemaker is None:
            import boto3
            sagemaker = boto3.client("sagemaker")
        spec = DeploySpec(endpoint_name=cfg.endpoint_name or "", version=version,
                          model_data_url=model_data_url(cfg.bucket, version, cfg.models),
                          image_uri=cfg.image_uri or "", role_arn=cfg.role_arn or "",
                          instance_type=cfg.instance_type, instance_count=cfg.instance_count,
                          tags={"entrec:env": cfg.env, "entrec:version": version})
        try:
            res = deploy_version(sagemaker, spec, timeout=cfg.deploy_timeout)
        except DeployError as err:
            for e in err.events:
                log("  deploy: " + e)
            msg = (f"deploy of {version} failed ({err.message}); endpoint "
                   f"{'rolled back' if err.rolled_back else 'NOT rolled back'}; PRODUCTION "
                   f"stays on {prod_version or '(none)'}")
            log(msg)
            return RetrainResult("deploy-failed", msg, version, metrics.get("data_sha256"),
                                 prod_version, prod_version, metrics,
                                 {"error": err.message, "rolled_back": err.rolled_back,
                                  "events": err.events})
        deploy_info = res.to_dict()
        for e in res.events:
            log("  deploy: " + e)

    new_pointer = promote(s3, cfg, version, sha, pointer, pointer_etag)
    msg = f"promoted {version} (previous: {new_pointer['previous'] or '(none)'})"
    log(msg)
    return RetrainResult("promoted", msg, version, metrics.get("data_sha256"), prod_version,
                         version, metrics, deploy_info)


# ---------------------------------------------------------------------------------------
# SageMaker Pipeline steps (pipeline/definition.py runs these in the entrec image)
# ---------------------------------------------------------------------------------------
def _local_data(root: Path) -> LabeledData:
    files, ignored, entries, keys = [], [], [], []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = f.relative_to(root).as_posix()
        entries.append((rel, _sha256_path(f)))
        keys.append(rel)
        (files if rel.lower().endswith(SUPPORTED_SUFFIXES) else ignored).append(
            f if rel.lower().endswith(SUPPORTED_SUFFIXES) else rel)
    if not files:
        raise RetrainError(f"no labeled files in {root}", code="no-labeled-data")
    return LabeledData(files, data_sha256(entries), ignored, keys)


def sm_train(argv: Sequence[str], log: Log = print) -> int:
    """SageMaker Training contract: data in SM_CHANNEL_LABELED, artifact files to SM_MODEL_DIR
    (SageMaker tars that folder into model.tar.gz: manifest.json at its root)."""
    hp_file = Path(os.environ.get("SM_INPUT_CONFIG_DIR", "/opt/ml/input/config")) / \
        "hyperparameters.json"
    hp = json.loads(hp_file.read_text()) if hp_file.is_file() else {}
    ns = build_arg_parser().parse_args(list(argv) + [f"--{k}={v}" for k, v in hp.items()
                                                     if k in ARGUMENTS])
    cfg = config_from_mapping(vars(ns))
    data = _local_data(Path(os.environ.get("SM_CHANNEL_LABELED", "/opt/ml/input/data/labeled")))
    model_dir = Path(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    version = make_version(data.data_sha256)
    with tempfile.TemporaryDirectory(prefix="entrec-sm-train-") as tmp:
        docs, report, train_docs, heldout, _ = prepare_documents(data.files, cfg, log)
        fit_docs, dev_docs = early_stopping_split(train_docs, cfg)
        tarball, _ = train_candidate(fit_docs, dev_docs, Path(tmp) / "candidate", cfg,
                                     version=version, data_hash=data.data_sha256, log=log)
        unpacked = tarball.parent / "model"
        model_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(unpacked, model_dir, dirs_exist_ok=True)
    log(f"trained {version} into {model_dir}")
    return 0


def sm_evaluate(argv: Sequence[str], *, s3=None, log: Log = print,
                root: Path = Path("/opt/ml/processing")) -> int:
    """Processing step: evaluation.json (the metrics.json of the Glue job) + report.md."""
    cfg = config_from_mapping(vars(build_arg_parser().parse_args(list(argv))))
    if s3 is None:
        import boto3
        s3 = boto3.client("s3")
    data = _local_data(root / "labeled")
    out = root / "evaluation"
    out.mkdir(parents=True, exist_ok=True)
    pointer, _ = read_pointer(s3, cfg.bucket, cfg.models)
    with tempfile.TemporaryDirectory(prefix="entrec-sm-eval-") as tmp:
        docs, report, _, heldout, split_rep = prepare_documents(data.files, cfg, log)
        tarball = root / "candidate" / "model.tar.gz"
        metrics, g = evaluate_and_gate(cfg, s3, tarball, docs, heldout, pointer, Path(tmp), log)
    from entrec.engine.artifact import open_model

    mdir, manifest = open_model(tarball)
    metrics.update(version=manifest.get("version") or make_version(data.data_sha256),
                   data_sha256=data.data_sha256, labeled_objects=data.keys,
                   ignored_objects=data.ignored, split=_split_dict(split_rep),
                   **{"import": report.to_dict()})
    (out / "evaluation.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False))
    (out / "import_report.json").write_text(json.dumps(report.to_dict(), indent=2,
                                                       ensure_ascii=False))
    (out / "report.md").write_text(render_report(dict(metrics,
                                                      import_markdown=report.to_markdown())))
    log(f"gate {'passed' if g.passed else 'REJECTED'}; wrote {out / 'evaluation.json'}")
    return 0  # the pipeline's Condition step decides, from evaluation.json


def sm_promote(argv: Sequence[str], *, s3=None, sagemaker=None, log: Log = print,
               root: Path = Path("/opt/ml/processing")) -> int:
    """Processing step after the gate: upload models/<version>/, verify, deploy?, PRODUCTION."""
    cfg = config_from_mapping(vars(build_arg_parser().parse_args(list(argv))))
    if s3 is None:
        import boto3
        s3 = boto3.client("s3")
    metrics = json.loads((root / "evaluation" / "evaluation.json").read_text())
    if not metrics.get("gate", {}).get("passed"):
        log("the gate rejected this candidate: nothing to promote")
        return 1
    pointer, etag = read_pointer(s3, cfg.bucket, cfg.models)
    if (pointer or {}).get("version") != metrics["gate"].get("production_version"):
        raise RetrainError("models/PRODUCTION changed since the evaluation",
                           code="production-changed", hint="re-run the pipeline")
    tarball = root / "candidate" / "model.tar.gz"
    metrics["artifact"] = {"sha256": _sha256_path(tarball), "bytes": tarball.stat().st_size}
    imp = json.loads((root / "evaluation" / "import_report.json").read_text())
    upload_version(cfg, s3, metrics["version"], tarball, metrics, imp, log)
    with tempfile.TemporaryDirectory(prefix="entrec-sm-promote-") as tmp:
        res = _finish(cfg, s3, sagemaker, log, Path(tmp), metrics["version"], metrics, pointer,
                      etag)
    log(res.message)
    return res.exit_code


SM_COMMANDS = {"sm-train": sm_train, "sm-evaluate": sm_evaluate, "sm-promote": sm_promote}


# ---------------------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, *, values: dict[str, Any] | None = None) -> int:
    """Run the job from argv (argparse) or from already-resolved `values` (Glue)."""
    argv = list(sys.argv[1:] if argv is None and values is None else argv or [])
    try:
        if values is None and argv and argv[0] in SM_COMMANDS:
            return SM_COMMANDS[argv[0]](argv[1:])
        if values is None:
            ns = build_arg_parser().parse_args(argv)
            values = vars(ns)
        cfg = config_from_mapping(values)
        result = run_retrain(cfg)
    except EntrecError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"status": result.status, "version": result.version,
                      "production": result.production_after, "message": result.message}))
    return result.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
