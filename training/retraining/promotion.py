"""Version folders and promotion: upload, verify, record the gate, move models/PRODUCTION.

```
models/<version>/   model.tar.gz, import_report.json, report.md, gate.json, metrics.json
                    (metrics.json last: it marks the folder complete)
                    failed.json instead, when the run failed after creating the folder
                    orphan.json, written by a later run, when neither appeared in time
models/PRODUCTION   {"version", "sha256", "promoted_at", "previous"}: written LAST
```

gate.json is the latest verdict on the version with the thresholds that gave it; a
resumed run rewrites it with its own thresholds, and `entrec deploy` refuses a version
whose gate.json is missing or not passed unless forced.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .options import RetrainConfig, RetrainError
from .report import render_report
from .store import (download, get_json, list_objects, list_prefixes, put_bytes, put_json,
                    s3_url, sha256_path, write_pointer)

__all__ = ["VersionState", "GATE_FILE", "METRICS_FILE", "FAILED_FILE", "ORPHAN_FILE",
           "version_states", "upload_version", "write_gate", "read_gate", "write_failure",
           "mark_orphans", "verify_uploaded", "promote"]

METRICS_FILE = "metrics.json"
GATE_FILE = "gate.json"
FAILED_FILE = "failed.json"
ORPHAN_FILE = "orphan.json"
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class VersionState:
    version: str
    files: frozenset[str]
    last_modified: datetime | None

    @property
    def state(self) -> str:
        """complete | failed | orphan | incomplete (maybe a run still uploading)."""
        if METRICS_FILE in self.files:
            return "complete"
        if FAILED_FILE in self.files:
            return "failed"
        if ORPHAN_FILE in self.files:
            return "orphan"
        return "incomplete"


def version_states(s3, cfg: RetrainConfig) -> list[VersionState]:
    """Every version folder under models/, oldest first."""
    out = []
    for prefix in list_prefixes(s3, cfg.bucket, cfg.models):
        v = prefix[len(cfg.models):].rstrip("/")
        objs = list(list_objects(s3, cfg.bucket, prefix))
        files = frozenset(o["Key"][len(prefix):] for o in objs)
        last = max((o["LastModified"] for o in objs), default=None)
        out.append(VersionState(v, files, last))
    return sorted(out, key=lambda s: s.version)


def upload_version(cfg: RetrainConfig, s3, version: str, tarball: Path, metrics: dict,
                   import_report: Any, gate_doc: dict, log) -> None:
    """models/<version>/: model.tar.gz, import_report.json, report.md, gate.json, then
    metrics.json (last: a run killed before it leaves a folder later runs mark orphan)."""
    base = f"{cfg.models}{version}/"
    metrics["artifact"]["key"] = base + "model.tar.gz"
    s3.upload_file(str(tarball), cfg.bucket, base + "model.tar.gz",
                   ExtraArgs={"ContentType": "application/gzip"})
    put_json(s3, cfg.bucket, base + "import_report.json", import_report.to_dict())
    md = dict(metrics, import_markdown=import_report.to_markdown())
    put_bytes(s3, cfg.bucket, base + "report.md", render_report(md).encode(), "text/markdown")
    put_json(s3, cfg.bucket, base + GATE_FILE, gate_doc)
    put_json(s3, cfg.bucket, base + METRICS_FILE, metrics)
    log(f"uploaded {s3_url(cfg.bucket, base)} (model.tar.gz sha256 "
        f"{metrics['artifact']['sha256'][:12]})")


def write_gate(s3, cfg: RetrainConfig, version: str, gate_doc: dict) -> None:
    put_json(s3, cfg.bucket, f"{cfg.models}{version}/{GATE_FILE}", gate_doc)


def read_gate(s3, bucket: str, models_prefix: str, version: str) -> dict | None:
    """The latest gate verdict stored with a version (None: never gated)."""
    return get_json(s3, bucket, f"{models_prefix.rstrip('/')}/{version}/{GATE_FILE}")


def write_failure(s3, cfg: RetrainConfig, version: str, error: Exception,
                  import_report: Any | None, log) -> None:
    """A run that failed after choosing its version: failed.json and, when the import got
    that far, the import report (the usual reason: no usable documents)."""
    base = f"{cfg.models}{version}/"
    if import_report is not None:
        put_json(s3, cfg.bucket, base + "import_report.json", import_report.to_dict())
        put_bytes(s3, cfg.bucket, base + "report.md",
                  (f"# entrec run {version} ({cfg.env}) FAILED\n\n{error}\n\n"
                   + import_report.to_markdown()).encode(), "text/markdown")
    put_json(s3, cfg.bucket, base + FAILED_FILE,
             {"version": version, "code": getattr(error, "code", type(error).__name__),
              "error": getattr(error, "message", str(error)),
              "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    log(f"wrote {s3_url(cfg.bucket, base + FAILED_FILE)}"
        + (" and the import report" if import_report is not None else ""))


def mark_orphans(s3, cfg: RetrainConfig, log, *, now: datetime | None = None) -> list[str]:
    """Mark version folders left incomplete (a run killed mid-upload) with orphan.json.

    Only folders untouched for `orphan_grace_minutes`: a concurrent run may still be
    uploading a young one. Marked, not deleted: the partial artifact can be inspected, and
    nothing else ever reads an incomplete folder.
    """
    now = now or datetime.now(timezone.utc)
    grace = timedelta(minutes=cfg.orphan_grace_minutes)
    marked = []
    for st in version_states(s3, cfg):
        if st.state != "incomplete" or (st.last_modified and now - st.last_modified < grace):
            continue
        put_json(s3, cfg.bucket, f"{cfg.models}{st.version}/{ORPHAN_FILE}",
                 {"version": st.version, "files": sorted(st.files),
                  "reason": "no metrics.json: the run that wrote this folder did not finish",
                  "marked_at": now.isoformat(timespec="seconds")})
        marked.append(st.version)
        log(f"marked orphan version {st.version} (files: {', '.join(sorted(st.files))})")
    return marked


def verify_uploaded(s3, cfg: RetrainConfig, version: str, expected_sha256: str,
                    work: Path) -> Path:
    """Download models/<version>/model.tar.gz again and check it end to end."""
    from entrec.engine.artifact import open_model

    key = f"{cfg.models}{version}/model.tar.gz"
    local = download(s3, cfg.bucket, key, work / f"verify-{version}" / "model.tar.gz")
    got = sha256_path(local)
    if got != expected_sha256:
        raise RetrainError(f"{s3_url(cfg.bucket, key)} has sha256 {got[:12]}, expected "
                           f"{expected_sha256[:12]}", code="upload-verify-failed")
    open_model(local, workdir=work / f"verify-{version}" / "unpacked")  # every file checksum
    return local


def promote(s3, cfg: RetrainConfig, version: str, sha256: str, previous: dict | None,
            previous_etag: str | None, *, now: datetime | None = None) -> dict:
    """Write models/PRODUCTION (conditional on it being unchanged since it was read)."""
    return write_pointer(s3, cfg.bucket, cfg.models, version, sha256, previous, previous_etag,
                         now=now)
