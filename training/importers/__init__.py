"""Importers of labeled data: every supported format into one `LabeledDocument` type.

    docs, report = load_documents(["data/"], labels={"USINA", "SUBESTACAO"})

Formats (registered by name, see `IMPORTERS`): `jsonl` (Prodigy and doccano; aliases
`prodigy`, `doccano`), `conll` (IOB1/IOB2/BIO/BILOU, LeNER-Br), `label-studio` (JSON
export), `comprehend` (annotations CSV) and `comprehend-entity-list` (entity list CSV,
auto-labels `documents`). A format is detected per file unless `format` is given. Every
record that cannot be used is listed in the `ImportReport` with a stable reason code.
"""
from __future__ import annotations

from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .base import Importer, ImportContext, ImportOptions
from .comprehend import EntityListEntry, read_entity_list
from .detect import detect_format
from .document import (FIX_CODES, REASON_CODES, FileStats, ImportReport, LabeledDocument, RawRecord,
                       RawSpan, SkippedRecord, Span)
from .registry import IMPORTERS, get_importer, register_importer
from .validate import Validator

__all__ = [
    "LabeledDocument", "Span", "ImportReport", "SkippedRecord", "FileStats", "RawRecord",
    "RawSpan", "ImportOptions", "ImportContext", "Importer", "IMPORTERS", "register_importer",
    "get_importer", "load_documents", "detect_format", "read_entity_list", "EntityListEntry",
    "REASON_CODES", "FIX_CODES", "write_documents", "read_documents_jsonl",
]

def _expand(paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """(file, display name) for every file under `paths`, sorted, hidden files excluded."""
    from entrec.engine.errors import DataImportError

    out: list[tuple[Path, str]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith((".", "_")) for part in rel.parts):
                    out.append((f, str(f)))
        elif p.is_file():
            out.append((p, str(p)))
        else:
            raise DataImportError(f"{p}: no such file or directory", code="path-not-found")
    return out


@lru_cache(maxsize=4)
def _nlp(lang: str):
    """One tokenizer per language per process (only `make_doc` is used: stateless)."""
    from entrec.engine.tokenizer import make_nlp

    return make_nlp(lang)


def load_documents(paths: Iterable[str | Path] | str | Path, format: str | None = None,
                   labels: set[str] | Iterable[str] | None = None, lang: str = "pt", *,
                   declared_labels: Iterable[str] | None = None,
                   options: ImportOptions | None = None, **option_overrides: Any,
                   ) -> tuple[list[LabeledDocument], ImportReport]:
    """Import every file under `paths`; return the usable documents and the report.

    `format` forces one format for every file (else detected per file). `labels` restricts
    the label set: spans with other labels are dropped and reported as `unknown-label`.
    `declared_labels` is the label set the data may use at all (entrec.training.label_set):
    a record with a span outside it is skipped as `undeclared-label` (file:line, with a
    did-you-mean), never imported with a new label.
    Extra keyword arguments set `ImportOptions` fields (`sentences_per_doc=1`,
    `documents="docs/"`, `dedupe=False`...). Raises `DataImportError` only when nothing can
    be attempted (missing path, unknown format name); per-record problems go to the report.
    """
    from entrec.engine.errors import DataImportError

    if isinstance(paths, (str, Path)):
        paths = [paths]
    opts = options or ImportOptions()
    valid = {f.name for f in fields(ImportOptions)}
    bad = set(option_overrides) - valid
    if bad:
        raise DataImportError(f"unknown import option(s): {', '.join(sorted(bad))}",
                              code="bad-option", hint="options: " + ", ".join(sorted(valid)))
    if option_overrides:
        opts = replace(opts, **option_overrides)
    if opts.documents is not None:
        opts = replace(opts, documents=Path(opts.documents))
    if opts.comprehend_mode not in ("line", "file"):
        raise DataImportError(f"comprehend_mode must be 'line' or 'file', got "
                              f"{opts.comprehend_mode!r}", code="bad-option")
    forced = get_importer(format) if format else None
    nlp = _nlp(lang)
    report = ImportReport()
    validator = Validator(report, nlp, set(labels) if labels else None, dedupe=opts.dedupe,
                          declared=set(declared_labels) if declared_labels is not None else None)

    files = _expand(paths)
    plan: list[tuple[Path, str, Importer | None]] = []
    for f, disp in files:
        imp = forced or (IMPORTERS.get(detect_format(f)) if detect_format(f) else None)
        plan.append((f, disp, imp))
    companions: set[Path] = set()
    for f, _, imp in plan:
        if imp is not None:
            companions |= imp.companions(f, opts)

    docs: list[LabeledDocument] = []
    for f, disp, imp in plan:
        if imp is None:
            if f.resolve() in companions:
                continue  # a document file a CSV refers to: imported through that CSV
            st = report.file(disp, "unknown")
            report.skip(disp, 0, "unknown-format", "format not recognized by file name or "
                        "content (formats: " + ", ".join(sorted(IMPORTERS)) + ")", scope="file")
            st.skipped += 1
            continue
        if forced is None and f.resolve() in companions:
            continue
        st = report.file(disp, imp.name)
        ctx = ImportContext(path=f, display=disp, report=report, stats=st, options=opts, nlp=nlp)
        for rec in imp.read(ctx):
            doc = validator.validate(rec)
            if doc is None:
                st.skipped += 1
                continue
            docs.append(doc)
            st.imported += 1
            st.spans += len(doc.spans)
        st.records = st.imported + st.skipped
    report.imported = len(docs)
    return docs, report


def write_documents(docs: Iterable[LabeledDocument], path: str | Path) -> int:
    """Write documents as JSONL (`LabeledDocument.to_dict` per line); returns the count."""
    import json

    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
            n += 1
    return n


def read_documents_jsonl(path: str | Path) -> list[LabeledDocument]:
    """Read back what `write_documents` wrote (trusted, already validated data)."""
    import json

    with open(path, encoding="utf-8") as f:
        return [LabeledDocument.from_dict(json.loads(line)) for line in f if line.strip()]
