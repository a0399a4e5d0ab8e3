"""The playground's working state: one rule-pack folder, the analyst's unsaved edits, and
compiled builds cached by content hash.

Edits never touch the pack folder until an explicit save: an edited buffer is compiled from
a private snapshot of the folder (so `include:` and `phrases_file:` resolve as they will
after saving). Builds are keyed by the pack's on-disk fingerprint plus the hash of every
edited buffer, so typing back to a previous version costs nothing, and a loaded model is
reused by every build (only the rule source is rebuilt) so the page stays interactive.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from entrec.engine.diagnostics import Diagnostic
from entrec.engine.engine import Engine, default_rule_paths
from entrec.engine.errors import EntrecError
from entrec.engine.paths import rules_dir
from entrec.engine.rules.loader import RulePack, check_rule_files, discover_rule_files

__all__ = ["Workspace", "Build", "PlaygroundError", "sha256_text"]

#: files of the pack folder a snapshot leaves out (backups, editor droppings, caches)
_SNAPSHOT_IGNORE = shutil.ignore_patterns("*.bak", ".*", "__pycache__", "*.pyc")


class PlaygroundError(EntrecError):
    """A request the playground refuses; `status` is the HTTP status to answer with."""

    code = "playground-error"

    def __init__(self, message: str, *, code: str, status: int = 400, hint: str | None = None,
                 diagnostics: list[dict] | None = None):
        super().__init__(message, code=code, hint=hint)
        self.status = status
        self.diagnostics = diagnostics


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Build:
    """One compiled state of the pack: diagnostics always, an engine only when error-free."""

    key: str
    packs: dict[str, RulePack]
    diagnostics: list[dict]
    engine: Engine | None
    snapshot: Path | None
    compile_ms: float

    @property
    def errors(self) -> list[dict]:
        return [d for d in self.diagnostics if d["severity"] == "error"]


class Workspace:
    """A rule-pack folder opened in the playground (thread-safe; one per server)."""

    def __init__(self, root: Path, rule_paths: list[Path], base: Engine, *,
                 allow_save: bool = False, cache_size: int = 8):
        self.root = Path(root).resolve()
        self.rule_paths = [Path(p).resolve() for p in rule_paths]
        for p in self.rule_paths:
            if p != self.root and self.root not in p.parents:
                raise EntrecError(f"rule path {p} is outside the pack folder {self.root}",
                                  code="rules-outside-pack")
        self.base = base
        self.allow_save = allow_save
        self._cache_size = max(2, cache_size)
        self._builds: OrderedDict[str, Build] = OrderedDict()
        self._lock = threading.RLock()
        self._tmp = Path(tempfile.mkdtemp(prefix="entrec-playground-"))

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, rules: str | Path | None = None, model: str | Path | None = None, *,
             allow_save: bool = False) -> "Workspace":
        """Load the engine once (model included) and open the pack folder for editing.

        rules: a folder of rule files (default: the model's bundled rules when `model` is
        given, else the embedded default packs)."""
        if rules is not None:
            root = Path(rules)
            if not root.is_dir():
                raise EntrecError(f"--rules must be a folder of rule files: {root}", code="rules-not-a-folder",
                                  hint="the playground edits the files of one pack folder")
            rule_paths = [root]
        else:
            root, rule_paths = rules_dir(), default_rule_paths()
        base = Engine.load(rules=rule_paths if rules is not None or model is None else None, model=model)
        if rules is None and model is not None and base.model_dir is not None \
                and (base.model_dir / "rules").is_dir():
            root = base.model_dir / "rules"
            rule_paths = [root]
        return cls(root, rule_paths, base, allow_save=allow_save)

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    # ------------------------------------------------------------------- files
    def files(self) -> list[str]:
        """Rule files of the pack, as POSIX paths relative to the pack folder."""
        out = []
        for p in discover_rule_files(self.rule_paths):
            try:
                out.append(p.resolve().relative_to(self.root).as_posix())
            except ValueError:
                continue  # a symlink leading out of the pack is not editable here
        return out

    def file_languages(self) -> dict[str, str | None]:
        build = self.build({})
        langs: dict[str, str | None] = {f: None for f in self.files()}
        for lang, pack in build.packs.items():
            for f in pack.files:
                rel = self.relative(f, build.snapshot)
                if rel in langs:
                    langs[rel] = lang
        return langs

    def resolve(self, rel: object) -> Path:
        """The pack file named `rel`; only files the pack lists are reachable (no path can
        point outside the pack folder)."""
        if not isinstance(rel, str) or rel not in self.files():
            raise PlaygroundError(f"not a rule file of this pack: {str(rel)[:200]!r}", code="file-unknown",
                                  status=404, hint="pick one of the files listed by /api/state")
        path = (self.root / rel).resolve()
        if self.root not in path.parents:
            raise PlaygroundError(f"{rel} is outside the pack folder", code="path-outside-pack", status=403)
        return path

    def read(self, rel: str) -> str:
        path = self.resolve(rel)
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise PlaygroundError(f"{rel} is not UTF-8 (byte {exc.start})", code="file-encoding",
                                  status=422) from None

    # ------------------------------------------------------------------ builds
    def _fingerprint(self) -> str:
        h = hashlib.sha256()
        for p in sorted(self.root.rglob("*")):
            if p.is_file() and not p.name.endswith(".bak"):
                st = p.stat()
                h.update(f"{p.relative_to(self.root).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()

    def _normalize(self, overlays: Mapping[str, str]) -> dict[str, str]:
        out = {}
        for rel, content in sorted(overlays.items()):
            path = self.resolve(rel)
            if not isinstance(content, str):
                raise PlaygroundError(f"content of {rel} must be a string", code="bad-request")
            try:
                if path.read_text(encoding="utf-8") == content:
                    continue  # same as on disk: no overlay, share the on-disk build
            except (OSError, UnicodeDecodeError):
                pass
            out[rel] = content
        return out

    def build(self, overlays: Mapping[str, str]) -> Build:
        """Compile the pack with `overlays` ({relative path: edited text}) in place of the
        files on disk; cached by content hash."""
        overlays = self._normalize(overlays)
        h = hashlib.sha256(self._fingerprint().encode())
        for rel, content in overlays.items():
            h.update(f"\0{rel}\0{sha256_text(content)}".encode())
        key = h.hexdigest()
        with self._lock:
            hit = self._builds.get(key)
            if hit is not None:
                self._builds.move_to_end(key)
                return hit
            t0 = time.perf_counter()
            snapshot = self._snapshot(key, overlays) if overlays else None
            base = snapshot or self.root
            paths = [base / p.relative_to(self.root) for p in self.rule_paths]
            packs, diags = check_rule_files(paths)
            mapped = [self._diag_dict(d, snapshot) for d in diags]
            has_errors = any(d.severity == "error" for d in diags)
            engine = None if has_errors else self._compose(packs)
            build = Build(key, packs, mapped, engine, snapshot, (time.perf_counter() - t0) * 1000)
            self._builds[key] = build
            while len(self._builds) > self._cache_size:
                _, old = self._builds.popitem(last=False)
                if old.snapshot is not None:
                    shutil.rmtree(old.snapshot, ignore_errors=True)
            return build

    def _snapshot(self, key: str, overlays: dict[str, str]) -> Path:
        dest = self._tmp / f"snap-{key[:16]}"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(self.root, dest, ignore=_SNAPSHOT_IGNORE)
        for rel, content in overlays.items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        return dest

    def _compose(self, packs: dict[str, RulePack]) -> Engine:
        """The base engine with these rule packs: grammar and model sources (and each
        language's tokenizer) are shared with the base, only the rule source is new."""
        return self.base.with_rule_packs(packs)

    def relative(self, file: str, snapshot: Path | None = None) -> str:
        """`file` (on disk or in a build's snapshot) relative to the pack folder."""
        p = Path(file)
        for base in ([snapshot] if snapshot else []) + [self.root]:
            try:
                return p.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                continue
        return file

    def _diag_dict(self, d: Diagnostic, snapshot: Path | None) -> dict:
        out = d.to_dict()
        out["file"] = self.relative(d.file, snapshot) if d.file else d.file
        out["source_line"] = d.source_line
        return out

    # ------------------------------------------------------------------ saving
    def save(self, rel: str, content: str, base_sha256: str | None = None) -> dict:
        """Write `content` to the pack file `rel` atomically, keeping the previous version
        as `<name>.<UTC time>.bak` beside it. Refused unless saving was enabled, when the
        file changed on disk since the page loaded it, or when the result has errors."""
        if not self.allow_save:
            raise PlaygroundError("saving is disabled", code="save-disabled", status=403,
                                  hint="restart with `entrec playground --allow-save`, or use Download")
        if not isinstance(content, str):
            raise PlaygroundError("content must be a string", code="bad-request")
        target = self.resolve(rel)
        with self._lock:
            current = target.read_bytes()
            if base_sha256 is not None and hashlib.sha256(current).hexdigest() != base_sha256:
                raise PlaygroundError(f"{rel} changed on disk since it was opened", code="file-changed-on-disk",
                                      status=409, hint="download your version, reload the page and merge")
            build = self.build({rel: content})
            if build.errors:
                raise PlaygroundError(f"{len(build.errors)} error(s): fix them before saving", code="rules-invalid",
                                      status=422, diagnostics=build.diagnostics,
                                      hint="Download keeps your version meanwhile")
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            backup = target.with_name(f"{target.name}.{stamp}.bak")
            shutil.copy2(target, backup)
            data = content.encode("utf-8")
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, target.stat().st_mode & 0o777)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        return {"path": rel, "sha256": hashlib.sha256(data).hexdigest(),
                "backup": backup.relative_to(self.root).as_posix(), "bytes": len(data)}


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
