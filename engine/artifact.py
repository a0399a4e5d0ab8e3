"""Open, unpack and verify model artifacts (DESIGN §7) without trusting them.

A model artifact is a directory (or the `model.tar.gz` that holds it) with a
`manifest.json` that names every other file with its sha256:

```
manifest.json   {"format_version": 1, "name", "version", "created_at", "entrec_version",
                 "spacy_version", "training_data_sha256", "metrics", "components",
                 "files": {"rules/pt/x.yaml": "<sha256>", ...}}
rules/          rule packs the model was built with           (component "rules")
grammars/       inequality grammar and lexicons               (component "grammar")
ner/            spaCy pipeline, absent for a rules-only model (component "model")
```

Why so strict: the artifact travels through S3, SageMaker and hand copies; a partial
upload or a tampered file must stop the load with a clear error, never produce quietly
different entities. And a tarball is attacker-shaped input: extraction refuses absolute
paths, `..`, links and devices *before* writing anything, so a bad member cannot touch the
file system outside the destination.

Error codes (`ArtifactError.code`, asserted by tests): `artifact-not-found`,
`artifact-unreadable`, `artifact-unsafe-member`, `artifact-too-large`,
`artifact-manifest-invalid`, `artifact-missing-file`, `artifact-checksum-mismatch`,
`artifact-unlisted-file`, `artifact-dest-not-empty`.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from .errors import ArtifactError

__all__ = [
    "FORMAT_VERSION", "MANIFEST_NAME", "TARBALL_NAME", "COMPONENT_DIRS", "REQUIRED_FIELDS",
    "safe_extract", "verify_model_dir", "open_model", "read_manifest", "sha256_file",
    "iter_artifact_files",
]

#: Version of the manifest layout; bump when a field changes meaning.
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
TARBALL_NAME = "model.tar.gz"
#: Engine component name -> folder inside the artifact.
COMPONENT_DIRS: dict[str, str] = {"rules": "rules", "grammar": "grammars", "model": "ner"}
REQUIRED_FIELDS: tuple[str, ...] = ("name", "version", "files")
#: Default cap on the unpacked size of a tarball (a gzip bomb guard, far above real models).
DEFAULT_MAX_BYTES = 4 * 1024**3

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, streamed (spaCy weights can be hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _unsafe(member: str, why: str) -> ArtifactError:
    return ArtifactError(
        f"refusing to extract member {member!r}: {why}", code="artifact-unsafe-member",
        hint="rebuild the artifact with `entrec package`; it never writes such members",
    )


def _member_path(name: str) -> PurePosixPath | None:
    """The normalized relative path of a tar member, or raise for an unsafe name.

    Returns None for the archive root ("." / "./").
    """
    if not name or "\x00" in name:
        raise _unsafe(name, "empty or NUL in name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _unsafe(name, "absolute path")
    if "\\" in name:
        raise _unsafe(name, "backslash in path")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise _unsafe(name, "'..' in path")
    if not parts:
        return None
    return PurePosixPath(*parts)


def safe_extract(tar_path: Path | str, dest: Path | str, *,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Path:
    """Extract `tar_path` (any compression tarfile reads) into `dest` and return `dest`.

    Every member is checked before the first byte is written: absolute paths, `..`,
    symlinks, hard links, devices, FIFOs and duplicate names raise
    `ArtifactError(code="artifact-unsafe-member")` naming the member. Only regular files
    and directories are written, with modes 0644/0755 (never the archive's owners or
    setuid bits). `dest` may exist but must be empty (`artifact-dest-not-empty`), so a
    stale file can never pass for part of the artifact.
    """
    tar_path = Path(tar_path)
    dest = Path(dest)
    if not tar_path.is_file():
        raise ArtifactError(f"artifact not found: {tar_path}", code="artifact-not-found")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArtifactError(f"extraction target is not an empty directory: {dest}",
                            code="artifact-dest-not-empty")
    try:
        with tarfile.open(tar_path, mode="r:*") as tar:
            members = tar.getmembers()
            plan: list[tuple[PurePosixPath, tarfile.TarInfo]] = []
            seen: set[PurePosixPath] = set()
            total = 0
            for m in members:
                rel = _member_path(m.name)
                if m.issym() or m.islnk():
                    raise _unsafe(m.name, f"link to {m.linkname!r}")
                if m.ischr() or m.isblk() or m.isfifo() or m.isdev():
                    raise _unsafe(m.name, "device or FIFO")
                if not (m.isfile() or m.isdir()):
                    raise _unsafe(m.name, "not a regular file or directory")
                if rel is None:
                    if m.isfile():
                        raise _unsafe(m.name, "file named like the archive root")
                    continue
                if rel in seen and not m.isdir():
                    raise _unsafe(m.name, "duplicate member")
                seen.add(rel)
                if m.isfile():
                    total += m.size
                    if total > max_bytes:
                        raise ArtifactError(
                            f"{tar_path} unpacks to more than {max_bytes} bytes",
                            code="artifact-too-large")
                plan.append((rel, m))
            # A file and a directory (or a file under a file) at the same path would let
            # a later member write through an earlier one; refuse that too.
            files = {rel for rel, m in plan if m.isfile()}
            for rel, m in plan:
                for parent in rel.parents:
                    if parent in files:
                        raise _unsafe(m.name, f"nested under file {str(parent)!r}")
            dest.mkdir(parents=True, exist_ok=True)
            root = dest.resolve()
            for rel, m in plan:
                target = root.joinpath(*rel.parts)
                if m.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    target.chmod(0o755)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(m)
                if src is None:  # pragma: no cover - isfile() members always have data
                    raise _unsafe(m.name, "no data")
                with src, open(target, "xb") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
                target.chmod(0o644)
    except ArtifactError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, FileExistsError):
            raise _unsafe(str(exc.filename), "written twice") from exc
        raise ArtifactError(f"cannot read artifact {tar_path}: {exc}",
                            code="artifact-unreadable",
                            hint="the file is not a (complete) gzip tarball") from exc
    return dest


def read_manifest(model_dir: Path | str) -> dict[str, Any]:
    """Parse and shape-check `manifest.json` (no checksums; see `verify_model_dir`)."""
    path = Path(model_dir) / MANIFEST_NAME
    if not path.is_file() or path.is_symlink():
        raise ArtifactError(f"{path} is missing", code="artifact-manifest-invalid",
                            hint="a model directory needs the manifest.json `entrec package` writes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}",
                            code="artifact-manifest-invalid") from exc
    if not isinstance(data, dict):
        raise ArtifactError(f"{path} must hold a JSON object", code="artifact-manifest-invalid")
    missing = [f for f in REQUIRED_FIELDS if f not in data]
    if missing:
        raise ArtifactError(f"{path} lacks field(s) {', '.join(missing)}",
                            code="artifact-manifest-invalid")
    for f in ("name", "version"):
        if not isinstance(data[f], str) or not data[f]:
            raise ArtifactError(f"{path}: {f!r} must be a non-empty string",
                                code="artifact-manifest-invalid")
    files = data["files"]
    if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in files.items()):
        raise ArtifactError(f"{path}: 'files' must map relative paths to sha256 hex digests",
                            code="artifact-manifest-invalid")
    fv = data.get("format_version", FORMAT_VERSION)
    if not isinstance(fv, int) or fv > FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: format_version {fv!r} is not supported (this entrec reads <= {FORMAT_VERSION})",
            code="artifact-manifest-invalid", hint="upgrade entrec to load this model")
    for rel in files:
        if rel == MANIFEST_NAME:
            raise ArtifactError(f"{path}: the manifest cannot list itself",
                                code="artifact-manifest-invalid")
        try:
            ok = _member_path(rel) is not None
        except ArtifactError:
            ok = False
        if not ok:
            raise ArtifactError(f"{path}: unsafe file path {rel!r} in 'files'",
                                code="artifact-manifest-invalid")
    comps = data.get("components")
    if comps is not None and (not isinstance(comps, list)
                              or any(c not in COMPONENT_DIRS for c in comps)):
        raise ArtifactError(
            f"{path}: 'components' must be a list drawn from {sorted(COMPONENT_DIRS)}",
            code="artifact-manifest-invalid")
    return data


def iter_artifact_files(model_dir: Path) -> Iterable[tuple[str, Path]]:
    """(posix relpath, path) of every non-directory entry under `model_dir`, sorted."""
    for p in sorted(model_dir.rglob("*")):
        if p.is_dir() and not p.is_symlink():
            continue
        yield p.relative_to(model_dir).as_posix(), p


def _listing(kind: str, names: list[str]) -> str:
    shown = ", ".join(names[:10])
    return f"{len(names)} {kind}: {shown}" + (" ..." if len(names) > 10 else "")


def verify_model_dir(path: Path | str) -> dict[str, Any]:
    """Check an unpacked artifact against its manifest and return the manifest.

    Raises `ArtifactError` with the first failing check, listing every offender of that
    kind: `artifact-manifest-invalid`, `artifact-unsafe-member` (a link in the folder),
    `artifact-missing-file`, `artifact-checksum-mismatch`, `artifact-unlisted-file`.
    """
    model_dir = Path(path)
    if not model_dir.is_dir():
        raise ArtifactError(f"model directory not found: {model_dir}", code="artifact-not-found")
    manifest = read_manifest(model_dir)
    listed: dict[str, str] = manifest["files"]
    present = dict(iter_artifact_files(model_dir))
    links = [rel for rel, p in present.items() if p.is_symlink() or not p.is_file()]
    if links:
        raise ArtifactError(f"{model_dir}: links or special files are not allowed: "
                            + _listing("entries", links), code="artifact-unsafe-member")
    missing = sorted(rel for rel in listed if rel not in present)
    if missing:
        raise ArtifactError(f"{model_dir} is partial; " + _listing("missing file(s)", missing),
                            code="artifact-missing-file",
                            hint="re-copy or re-extract the whole model.tar.gz")
    bad = sorted(rel for rel, digest in listed.items()
                 if sha256_file(present[rel]) != digest.lower())
    if bad:
        raise ArtifactError(f"{model_dir} was modified; " + _listing("checksum mismatch(es)", bad),
                            code="artifact-checksum-mismatch",
                            hint="the artifact is corrupt or tampered with; use a fresh copy")
    unlisted = sorted(rel for rel in present if rel != MANIFEST_NAME and rel not in listed)
    if unlisted:
        raise ArtifactError(f"{model_dir} holds files the manifest does not list; "
                            + _listing("unlisted file(s)", unlisted),
                            code="artifact-unlisted-file",
                            hint="remove them or rebuild the artifact with `entrec package`")
    return manifest


def _is_tarball(p: Path) -> bool:
    return p.is_file() and (p.name.endswith((".tar.gz", ".tgz", ".tar")) or tarfile.is_tarfile(p))


def _cleanup(path: str, owner_pid: int) -> None:
    """Remove an extraction directory at exit, only in the process that made it. A forked
    child inherits the parent's atexit handlers: a gunicorn worker (the app is preloaded in
    the master) runs them when it exits or is recycled, and without the pid check the first
    worker to go would delete the model its siblings and the master still read."""
    if os.getpid() == owner_pid:
        shutil.rmtree(path, ignore_errors=True)


def open_model(path: Path | str, workdir: Path | str | None = None) -> tuple[Path, dict[str, Any]]:
    """Resolve any artifact form to a verified model directory and its manifest.

    Accepts an unpacked directory (has `manifest.json`), a `model.tar.gz` file, or a
    directory holding `model.tar.gz` and no manifest (how SageMaker delivers
    `/opt/ml/model` for some setups, and what `entrec package --out DIR` writes). A tarball
    is extracted with `safe_extract` into `workdir` (must be empty or absent) or a private
    temporary directory that the process which opened it removes at exit (forked children
    leave it alone), then verified.
    """
    p = Path(path)
    if not p.exists():
        raise ArtifactError(f"model not found: {p}", code="artifact-not-found",
                            hint="pass a model directory or a model.tar.gz built by `entrec package`")
    tarball: Path | None = None
    if p.is_dir():
        if (p / MANIFEST_NAME).exists():
            return p, verify_model_dir(p)
        if (p / TARBALL_NAME).is_file():
            tarball = p / TARBALL_NAME
        else:
            raise ArtifactError(f"{p} holds neither {MANIFEST_NAME} nor {TARBALL_NAME}",
                                code="artifact-not-found",
                                hint="point at the folder `entrec package` wrote")
    elif _is_tarball(p):
        tarball = p
    else:
        raise ArtifactError(f"{p} is neither a model directory nor a tarball",
                            code="artifact-unreadable")
    if workdir is None:
        tmp = tempfile.mkdtemp(prefix="entrec-model-")
        atexit.register(_cleanup, tmp, os.getpid())
        dest = Path(tmp)
    else:
        dest = Path(workdir)
    safe_extract(tarball, dest)
    return dest, verify_model_dir(dest)
