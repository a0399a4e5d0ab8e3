"""What each playground endpoint does, as plain functions over a `Workspace` (JSON in, JSON
out); the HTTP server only routes, checks and serializes."""
from __future__ import annotations

import hashlib
import time
from dataclasses import replace

from entrec.engine.dryrun import run_tests
from entrec.engine.errors import InputError

from .values import value_text
from .workspace import Build, PlaygroundError, Workspace

__all__ = ["state", "read_file", "extract", "validate", "tests", "save", "MAX_TEXT_CHARS"]

#: the page is for trying paragraphs, not documents
MAX_TEXT_CHARS = 20_000


def _overlays(body: dict) -> dict[str, str]:
    files = body.get("files", [])
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("content"), str)
            for f in files):
        raise PlaygroundError('"files" must be a list of {"path": str, "content": str}', code="bad-request")
    return {f["path"]: f["content"] for f in files}


def _path(body: dict) -> str:
    path = body.get("path")
    if not isinstance(path, str):
        raise PlaygroundError('"path" (a rule file of the pack) is required', code="bad-request")
    return path


def state(ws: Workspace) -> dict:
    eng = ws.base
    labels: dict[str, str] = {}
    for pack in ws.build({}).packs.values():
        labels.update(pack.labels)
    labels.setdefault("INEQUALITY", "")
    model = None
    if eng.model_dir is not None:
        model = {"name": eng.name, "version": eng.version, "language": (eng.manifest or {}).get("language")}
    return {"files": [{"path": p, "language": lang} for p, lang in ws.file_languages().items()],
            "labels": labels, "languages": list(eng.languages), "default_language": eng.default_lang,
            "allow_save": ws.allow_save, "model": model, "components": list(eng.components),
            "root": str(ws.root)}


def read_file(ws: Workspace, rel: str) -> dict:
    content = ws.read(rel)
    return {"path": rel, "content": content,
            "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest()}


def _cand(c, text: str, lang: str) -> dict:
    return {"start": c.start, "end": c.end, "label": c.label, "source": c.source, "rule_id": c.rule_id,
            "priority": c.priority, "score": round(c.score, 4), "id": c.id, "value": c.value,
            "value_text": value_text(c.value, lang), "text": text[c.start:c.end]}


def extract(ws: Workspace, body: dict) -> dict:
    text = body.get("text")
    if not isinstance(text, str):
        raise PlaygroundError('"text" must be a string', code="bad-request")
    if len(text) > MAX_TEXT_CHARS:
        raise PlaygroundError(f"text has {len(text):,} characters; the playground takes up to "
                              f"{MAX_TEXT_CHARS:,}", code="text-too-long", status=413,
                              hint="paste a paragraph; use `entrec extract` for documents")
    lang = body.get("lang") or ws.base.default_lang
    overlays = _overlays(body)
    build = ws.build(overlays)
    rules = "edited" if overlays and build.snapshot is not None else "saved"
    engine = build.engine
    if engine is None:  # the edited rules have errors: keep answering with the saved ones
        rules = "fallback"
        engine = ws.build({}).engine or ws.base
    t0 = time.perf_counter()
    try:
        res = engine.explain(text, lang)
    except InputError as exc:
        raise PlaygroundError(exc.message, code=exc.code, hint=exc.hint) from None
    ms = (time.perf_counter() - t0) * 1000
    kept = [_cand(c, text, lang) for c in res.kept]
    index = {(c.start, c.end, c.label, c.source, c.rule_id): i for i, c in enumerate(res.kept)}
    discarded = []
    for d in res.discarded:
        item = _cand(d.candidate, text, lang)
        w = d.winner  # None: dropped by the policy itself (no winner), e.g. a calibrated arbiter
        item.update(reason=d.reason, reason_code=d.reason_code,
                    winner=index.get((w.start, w.end, w.label, w.source, w.rule_id)) if w is not None else None)
        discarded.append(item)
    return {"lang": lang, "entities": kept, "discarded": discarded, "rules": rules,
            "errors": len(build.errors), "extract_ms": round(ms, 2), "compile_ms": round(build.compile_ms, 2)}


def validate(ws: Workspace, body: dict) -> dict:
    path = _path(body)
    ws.resolve(path)
    t0 = time.perf_counter()
    build = ws.build(_overlays(body))
    return _validation(build, path, (time.perf_counter() - t0) * 1000, ws)


def _validation(build: Build, path: str, ms: float, ws: Workspace) -> dict:
    rules = [r.id for p in build.packs.values() for r in p.rules if ws.relative(r.file, build.snapshot) == path]
    tests = [t for p in build.packs.values() for t in p.tests if ws.relative(t.file, build.snapshot) == path]
    return {"ok": not build.errors, "path": path, "errors": len(build.errors),
            "warnings": len(build.diagnostics) - len(build.errors), "diagnostics": build.diagnostics,
            "rules": len(rules), "tests": len(tests), "validate_ms": round(ms, 2)}


def tests(ws: Workspace, body: dict) -> dict:
    """Run the embedded tests of one file (rules + grammar, like `entrec dry-run`) with the
    edited buffers in place; TP/FP/FN per rule and every failing case."""
    path = _path(body)
    ws.resolve(path)
    t0 = time.perf_counter()
    build = ws.build(_overlays(body))
    if build.engine is None:
        raise PlaygroundError(f"{len(build.errors)} error(s) in the rules: fix them to run the tests",
                              code="rules-invalid", status=422, diagnostics=build.diagnostics)

    def rel(file: str) -> str:
        return ws.relative(file, build.snapshot)

    engine = build.engine.subset([c for c in ("rules", "grammar") if c in build.engine.components])
    packs = {lang: replace(pack, tests=[t for t in pack.tests if rel(t.file) == path])
             for lang, pack in build.packs.items()}
    report = run_tests(replace(engine, packs=packs))
    out = report.to_dict()
    for case in out["cases"]:
        case["file"] = rel(case["file"])
    file_rules = sorted(r.id for p in build.packs.values() for r in p.rules if rel(r.file) == path)
    for rid in file_rules:
        out["rules"].setdefault(rid, {"tp": 0, "fp": 0, "fn": 0})
    out["rules"] = dict(sorted(out["rules"].items()))
    out["file_rules"] = file_rules
    out["warnings"] = [w for w in out["warnings"] if rel(w["file"]) == path]
    for w in out["warnings"]:
        w["file"] = path
    out.update(path=path, total=len(out["cases"]), tests_ms=round((time.perf_counter() - t0) * 1000, 2))
    return out


def save(ws: Workspace, body: dict) -> dict:
    path = _path(body)
    content = body.get("content")
    base = body.get("base_sha256")
    if base is not None and not isinstance(base, str):
        raise PlaygroundError('"base_sha256" must be a string', code="bad-request")
    return ws.save(path, content, base)
