"""The two served models, loaded and verified once, then shared read-only by every worker.

`entities` is `Engine.load(model=dir)` (rules + grammar + NER model, resolved) and
`inequalities` is `Engine.load(model=dir, components=("grammar",))`. Without a model
directory both come from the embedded defaults. The artifact is opened (extracted and
checksum-verified) once; both engines load from the verified folder.

Why a warm-up call: spaCy and the grammar build some tables lazily on first use; running
one text through each engine before the server reports ready moves that cost out of the
first real request and, under gunicorn `--preload`, into the shared pre-fork memory.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from entrec.engine.entity import Entity

from .protocol import MODEL_NAMES, ApiError, Record

__all__ = ["ModelSet", "WARMUP_TEXTS", "GROUP_CHARS", "grammar_only"]

log = logging.getLogger(__package__)  # "entrec.serving" (a name, not an import)

WARMUP_TEXTS = {
    "pt": "Manter a tensão na SE Xingu entre 525 kV e 550 kV.",
    "en": "Keep the voltage between 525 kV and 550 kV.",
}


def grammar_only(full: Any) -> Any:
    """The `inequalities` engine derived from the loaded full engine: same rule packs (for
    the resolution settings), only the grammar source, sharing the compiled parts, so it
    costs no second load and no extra memory per worker (`Engine.subset`)."""
    return full.subset(("grammar",))


class ModelSet:
    """Holds both engines and the readiness state `/ping` reports."""

    def __init__(self, model_dir: Path | str | None = None, *, workdir: Path | str | None = None,
                 engines: dict[str, Any] | None = None):
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.workdir = workdir
        self.engines: dict[str, Any] = dict(engines or {})
        self.state = "ready" if engines else "new"
        self.error: BaseException | None = None
        self.load_seconds: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_engines(cls, entities: Any, inequalities: Any) -> "ModelSet":
        """Serve engines built elsewhere (tests, embedding in another app)."""
        return cls(engines={"entities": entities, "inequalities": inequalities})

    # ---------------------------------------------------------------- loading
    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def load(self) -> "ModelSet":
        """Open + verify the artifact and build both engines; raise on any problem."""
        with self._lock:
            if self.state == "ready":
                return self
            self.state = "loading"
            t0 = time.perf_counter()
            try:
                from entrec.engine import Engine

                model = None
                if self.model_dir is not None:
                    from entrec.engine.artifact import open_model

                    model, manifest = open_model(self.model_dir, workdir=self.workdir)
                    log.info("model artifact verified", extra={"fields": {
                        "event": "model-verified", "dir": str(model),
                        "name": manifest.get("name"), "version": manifest.get("version"),
                        "files": len(manifest.get("files", {}))}})
                full = Engine.load(model=model)
                engines = {
                    "entities": full,
                    "inequalities": grammar_only(full),
                }
                full.warm()  # lazily compiled parts (token regexes) compiled before forking
                for eng in engines.values():
                    for lang, text in WARMUP_TEXTS.items():
                        if lang in getattr(eng, "languages", (lang,)):
                            eng.extract(text, lang=lang)
            except BaseException as exc:
                self.state = "failed"
                self.error = exc
                raise
            self.engines = engines
            self.load_seconds = time.perf_counter() - t0
            self.state = "ready"
            log.info("models ready", extra={"fields": {
                "event": "models-ready", "seconds": round(self.load_seconds, 3),
                **self.info}})
            return self

    def load_in_background(self) -> threading.Thread:
        """Load on a thread (for `create_app(eager=False)`); `/ping` answers 503 until done."""
        def target() -> None:
            from entrec.engine.errors import EntrecError

            try:
                self.load()
            except EntrecError as exc:  # a bad artifact: the message says it all
                log.error("model load failed", extra={"fields": {
                    "event": "model-load-failed", "code": exc.code, "error": str(exc)}})
            except BaseException:  # state/error already recorded
                log.exception("model load failed")

        t = threading.Thread(target=target, name="entrec-model-load", daemon=True)
        t.start()
        return t

    # ------------------------------------------------------------ properties
    @property
    def info(self) -> dict[str, str]:
        eng = self.engines.get("entities")
        if eng is None:
            return {"name": "entrec-default", "version": "unknown"}
        return {"name": str(eng.name), "version": str(eng.version)}

    @property
    def languages(self) -> tuple[str, ...]:
        eng = self.engines.get("entities")
        return tuple(getattr(eng, "languages", ("pt", "en")))

    # ------------------------------------------------------------ inference
    def run(self, records: Sequence[Record], batch_size: int = 64,
            deadline: float | None = None) -> list[dict[str, list[Entity]]]:
        """Per record, the entities of each model it asked for, in input order.

        deadline (time.monotonic()): checked between groups of at most `batch_size` texts
        and `GROUP_CHARS` characters; past it the request stops with 422
        `time-budget-exceeded` (the worker thread is freed, nothing half-done is returned).
        """
        out: list[dict[str, list[Entity]]] = [{} for _ in records]
        wanted: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(records):
            for m in rec.models:
                wanted[m].append(i)
        for m in MODEL_NAMES:
            idxs = wanted.get(m)
            if not idxs:
                continue
            eng = self.engines[m]
            for group in _groups(idxs, records, batch_size):
                _check_deadline(deadline)
                items = [(records[i].text, records[i].lang) for i in group]
                for i, ents in zip(group, eng.pipe(items, batch_size=batch_size)):
                    out[i][m] = ents
        _check_deadline(deadline)
        return out


#: Characters per engine call between two deadline checks (~0.5 s of engine time).
GROUP_CHARS = 50_000


def _groups(idxs: list[int], records: Sequence[Record], batch_size: int) -> list[list[int]]:
    groups: list[list[int]] = []
    cur: list[int] = []
    chars = 0
    for i in idxs:
        n = len(records[i].text)
        if cur and (len(cur) >= batch_size or chars + n > GROUP_CHARS):
            groups.append(cur)
            cur, chars = [], 0
        cur.append(i)
        chars += n
    if cur:
        groups.append(cur)
    return groups


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise ApiError(422, "time-budget-exceeded",
                       "the request needs more engine time than the per-request budget allows; "
                       "send fewer or shorter texts per request")
