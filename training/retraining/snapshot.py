"""Data snapshot: copy the bucket's `labeled/` prefix into a local folder and name the data.

The data id is `entrec.training.pipeline.data_sha256` of that folder: the same function
`entrec train` uses, over paths relative to `labeled/`, so both give the same id for the
same files. Every object is copied (a Comprehend CSV names its `.txt` documents; a stray
file is reported by the import as `unknown-format`, not silently dropped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .options import RetrainConfig, RetrainError
from .store import list_objects, s3_url

__all__ = ["LabeledSnapshot", "download_labeled", "local_snapshot", "make_version"]


@dataclass
class LabeledSnapshot:
    root: Path          # local folder holding the copy
    data_sha256: str
    keys: list[str]     # S3 keys (or relative paths for a local snapshot), sorted
    shown_as: str       # how reports name `root`: s3://bucket/labeled/
    skipped_keys: list[str] = field(default_factory=list)  # unsafe keys, not copied

    def show(self, text: str | Path) -> str:
        """`text` with local paths inside the snapshot named as the user knows them (S3 URLs)."""
        return str(text).replace(str(self.root) + "/", self.shown_as).replace(
            str(self.root), self.shown_as.rstrip("/"))


def make_version(data_hash: str, now=None) -> str:
    """`<UTC time>-<12 hex of the data id>`: sortable, and tells which data made it."""
    from datetime import datetime, timezone

    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + data_hash[:12]


def download_labeled(s3, cfg: RetrainConfig, dest: Path, log) -> LabeledSnapshot:
    """Copy every object under labeled/ into `dest`; the snapshot and its data id."""
    from entrec.training.pipeline import data_sha256

    keys, skipped = [], []
    dest.mkdir(parents=True, exist_ok=True)
    for o in sorted(list_objects(s3, cfg.bucket, cfg.labeled), key=lambda o: o["Key"]):
        key = o["Key"]
        rel = key[len(cfg.labeled):]
        if key.endswith("/") or not rel:
            continue
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            skipped.append(key)
            log(f"skipped unsafe key {s3_url(cfg.bucket, key)}")
            continue
        local = dest / rel
        local.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(cfg.bucket, key, str(local))
        keys.append(key)
    if not keys:
        raise RetrainError(f"no labeled data under {s3_url(cfg.bucket, cfg.labeled)}",
                           code="no-labeled-data",
                           hint="upload JSONL spans, CoNLL, Label Studio JSON or Comprehend "
                                "CSV files there")
    digest = data_sha256([dest])
    log(f"labeled data: {len(keys)} object(s) under {s3_url(cfg.bucket, cfg.labeled)}, "
        f"data id {digest[:12]}")
    return LabeledSnapshot(dest, digest, keys, s3_url(cfg.bucket, cfg.labeled), skipped)


def local_snapshot(root: Path, shown_as: str | None = None) -> LabeledSnapshot:
    """A snapshot of data already on disk (the SageMaker Pipeline's `labeled` channel)."""
    from entrec.training.pipeline import data_sha256

    keys = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    if not keys:
        raise RetrainError(f"no labeled files in {root}", code="no-labeled-data")
    return LabeledSnapshot(root, data_sha256([root]), keys, shown_as or (str(root) + "/"))
