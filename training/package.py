"""Build a model artifact (DESIGN §7): an unpacked folder and a reproducible `model.tar.gz`.

Layout written by `package_model(out_dir, ...)`, shaped like one `models/<version>/`
prefix of the retraining bucket (DESIGN §8) so it can be uploaded as is:

```
out_dir/
  model.tar.gz     the artifact SageMaker deploys (members at the root: manifest.json, rules/...)
  metrics.json     the metrics, also inside the manifest (only when metrics are given)
  model/           the same artifact unpacked: manifest.json rules/ grammars/ [ner/]
```

`package_model` returns the path of `model.tar.gz`; `Engine.load(model=...)` and
`entrec.engine.artifact.open_model` accept the tarball, `out_dir/model/` or `out_dir` itself.

Why deterministic: the tarball's sha256 is what `models/PRODUCTION` pins and what a
promotion compares, so the same inputs (same files, `version` and `created_at`) must give
the same bytes. Members are sorted, with mtime 0, uid/gid 0, no owner names, modes
0644/0755, and the gzip header carries no name or time. `created_at` defaults to now,
or to `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention).
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from entrec.engine.artifact import (COMPONENT_DIRS, FORMAT_VERSION, MANIFEST_NAME, TARBALL_NAME,
                             iter_artifact_files, sha256_file, verify_model_dir)
from entrec.engine.errors import ArtifactError

__all__ = ["package_model", "write_tarball", "UNPACKED_DIRNAME", "PackageLayout", "layout"]

#: Name of the unpacked artifact folder inside `out_dir`.
UNPACKED_DIRNAME = "model"
METRICS_NAME = "metrics.json"

_SKIP_NAMES = {"__pycache__", "__init__.py", ".DS_Store"}


@dataclass(frozen=True)
class PackageLayout:
    """Where `package_model(out_dir)` puts things."""

    out_dir: Path
    tarball: Path
    model_dir: Path
    metrics: Path


def layout(out_dir: Path | str) -> PackageLayout:
    out = Path(out_dir)
    return PackageLayout(out, out / TARBALL_NAME, out / UNPACKED_DIRNAME, out / METRICS_NAME)


def _utc_now() -> datetime:
    sde = os.environ.get("SOURCE_DATE_EPOCH")
    if sde and sde.strip().isdigit():
        return datetime.fromtimestamp(int(sde), tz=timezone.utc)
    return datetime.now(timezone.utc)


def _skip(p: Path) -> bool:
    return p.name in _SKIP_NAMES or p.name.startswith(".") or p.suffix == ".pyc"


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy regular files only (links are resolved to their content; junk is skipped)."""
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        if any(_skip(Path(part)) for part in rel.parts):
            continue
        if p.is_dir():
            continue
        if not p.is_file():
            raise ArtifactError(f"cannot package special file {p}", code="package-bad-input")
        target = dst / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, target)


def _copy_rules(paths: Sequence[Path], dst: Path) -> None:
    """Each folder lands as `rules/<folder name>/`, each file as `rules/<file name>`."""
    seen: dict[str, Path] = {}
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise ArtifactError(f"rule path not found: {p}", code="package-bad-input")
        name = p.name
        if name in seen:
            raise ArtifactError(
                f"two rule paths would land at rules/{name}: {seen[name]} and {p}",
                code="package-name-collision", hint="rename one, or pass their parent folder")
        seen[name] = p
        if p.is_dir():
            _copy_tree(p, dst / name)
        else:
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dst / name)


def _versions() -> tuple[str, str]:
    try:
        from importlib.metadata import version

        entrec_version = version("entrec")
    except Exception:  # not installed: the checkout's version
        from entrec.engine import __version__ as entrec_version
    try:
        from importlib.metadata import version

        spacy_version = version("spacy")
    except Exception:  # pragma: no cover - spaCy is a hard dependency
        spacy_version = None
    return entrec_version, spacy_version


def _ner_language(ner_dir: Path) -> str | None:
    meta = ner_dir / "meta.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("lang")
    except (OSError, ValueError, AttributeError):
        return None


def write_tarball(model_dir: Path | str, tar_path: Path | str) -> Path:
    """Write `model_dir`'s files as a deterministic gzip tarball (members at the root)."""
    model_dir = Path(model_dir)
    tar_path = Path(tar_path)
    entries = list(iter_artifact_files(model_dir))
    dirs = sorted({parent.as_posix() for rel, _ in entries
                   for parent in Path(rel).parents if parent.as_posix() != "."})
    tmp = tar_path.with_name(tar_path.name + ".partial")
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for d in dirs:
                    info = _info(d + "/", tarfile.DIRTYPE, 0o755)
                    tar.addfile(info)
                for rel, path in entries:
                    info = _info(rel, tarfile.REGTYPE, 0o644)
                    info.size = path.stat().st_size
                    with open(path, "rb") as fh:
                        tar.addfile(info, fh)
    os.replace(tmp, tar_path)
    return tar_path


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def package_model(out_dir: Path | str, *, rules: Iterable[Path | str] | None = None,
                  grammars_dir: Path | str | None = None, ner_dir: Path | str | None = None,
                  name: str = "entrec", version: str | None = None,
                  metrics: dict[str, Any] | None = None,
                  training_data_sha256: str | None = None,
                  created_at: str | None = None, language: str | None = None,
                  validate: bool = True) -> Path:
    """Build the artifact in `out_dir` (see module docstring) and return `model.tar.gz`.

    rules: rule files/folders (default: the embedded packs, one folder per language).
    grammars_dir: grammar + lexicons (default: the embedded grammars).
    ner_dir: a spaCy pipeline saved by `entrec train` (omit for a rules-only artifact).
    version: default the UTC time of packaging, `YYYYMMDDTHHMMSSZ`.
    language: the language the NER model was trained for (default: `lang` of
    `ner/meta.json`); the engine runs the model only on texts of that language.
    validate: load the copied rule files once so a broken pack is refused here, not at
    deploy time (raises `RuleFileError`), and verify the written artifact.
    `out_dir` must not hold a previous artifact (`package-out-exists`).
    """
    from entrec.engine.paths import grammars_dir as default_grammars_dir

    lay = layout(out_dir)
    if lay.model_dir.exists() or lay.tarball.exists():
        raise ArtifactError(f"{lay.out_dir} already holds an artifact",
                            code="package-out-exists", hint="choose an empty --out folder")
    now = _utc_now()
    version = version or now.strftime("%Y%m%dT%H%M%SZ")
    created_at = created_at or now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(name, str) or not name.strip():
        raise ArtifactError("model name must be a non-empty string", code="package-bad-input")
    if rules is None:
        from entrec.engine.engine import default_rule_paths

        rule_paths = default_rule_paths()
    else:
        rule_paths = [Path(r) for r in ([rules] if isinstance(rules, (str, Path)) else rules)]
    gdir = Path(grammars_dir) if grammars_dir is not None else default_grammars_dir()
    if not gdir.is_dir():
        raise ArtifactError(f"grammars folder not found: {gdir}", code="package-bad-input")
    ner = Path(ner_dir) if ner_dir is not None else None
    if ner is not None and not (ner / "config.cfg").is_file():
        raise ArtifactError(f"{ner} is not a saved spaCy pipeline (no config.cfg)",
                            code="package-bad-input")

    lay.out_dir.mkdir(parents=True, exist_ok=True)
    staging = lay.out_dir / (UNPACKED_DIRNAME + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        components: list[str] = []
        if rule_paths:
            _copy_rules(rule_paths, staging / COMPONENT_DIRS["rules"])
            components.append("rules")
        _copy_tree(gdir, staging / COMPONENT_DIRS["grammar"])
        components.append("grammar")
        if ner is not None:
            _copy_tree(ner, staging / COMPONENT_DIRS["model"])
            components.append("model")
            language = language or _ner_language(ner)
        if validate and "rules" in components:
            from entrec.engine.rules.loader import load_rule_files

            load_rule_files([staging / COMPONENT_DIRS["rules"]])
        entrec_version, spacy_version = _versions()
        files = {rel: sha256_file(p) for rel, p in iter_artifact_files(staging)}
        manifest: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "version": version,
            "created_at": created_at,
            "entrec_version": entrec_version,
            "spacy_version": spacy_version,
            "training_data_sha256": training_data_sha256,
            "language": language,
            "components": components,
            "metrics": metrics or {},
            "files": files,
        }
        (staging / MANIFEST_NAME).write_text(
            json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8")
        if validate:
            verify_model_dir(staging)
        os.replace(staging, lay.model_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    write_tarball(lay.model_dir, lay.tarball)
    if metrics:
        lay.metrics.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n",
                               encoding="utf-8")
    return lay.tarball

