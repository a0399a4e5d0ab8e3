"""Amazon Comprehend custom entity recognizer CSVs: annotations, and entity lists.

Annotations (`File, Line, Begin Offset, End Offset, Type`): `File` names a document file
(looked up in the `documents` option — a folder or the file itself —, next to the CSV, then
in a `documents/` folder next to it). With a `Line` column the file is ONE_DOC_PER_LINE:
every line is a document (Comprehend counts lines from 0; our report shows editor line
numbers, 1-based) and offsets are relative to the line. Without it (or with
`comprehend_mode="file"`) the whole file is one document. Every document of a referenced
file is imported, annotated or not: unannotated lines are negative examples, as in
Comprehend. Blank unannotated lines are counted as a note, not imported.

Entity list (`Text, Type`): phrases, not documents. `read_entity_list` returns them (for
`entrec induce --entity-list`); `load_documents` auto-labels the `documents` files with
them, as Comprehend does: every case-sensitive, token-aligned occurrence, longest phrase
first, leftmost, no overlaps.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .base import ImportContext, ImportOptions, read_text
from .document import ImportReport, RawRecord, RawSpan

__all__ = ["ComprehendAnnotationsImporter", "ComprehendEntityListImporter", "EntityListEntry",
           "read_entity_list"]

_ANN_COLS = ("file", "begin offset", "end offset", "type")


def _norm(h: str | None) -> str:
    return " ".join((h or "").strip().lower().replace("_", " ").split())


def _header(head: str) -> list[str]:
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    try:
        return [_norm(h) for h in next(csv.reader([first]))]
    except (StopIteration, csv.Error):
        return []


@dataclass(frozen=True)
class EntityListEntry:
    text: str
    label: str
    line: int


def _doc_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _find_document(name: str, csv_path: Path, options: ImportOptions) -> Path | None:
    cands: list[Path] = []
    if options.documents is not None:
        d = Path(options.documents)
        cands += [d / name] if d.is_dir() else ([d] if d.name == Path(name).name else [])
    cands += [csv_path.parent / name, csv_path.parent / "documents" / name]
    return next((c for c in cands if c.is_file()), None)


class ComprehendAnnotationsImporter:
    name = "comprehend"
    aliases = ("comprehend-annotations", "comprehend-csv")
    extensions = ()  # `.csv` is shared: detected by header
    description = "Amazon Comprehend annotations CSV (File, Line, Begin Offset, End Offset, Type)"

    def sniff(self, path: Path, head: str) -> bool:
        cols = _header(head)
        return all(c in cols for c in _ANN_COLS)

    def _rows(self, ctx: ImportContext, content: str):
        reader = csv.DictReader(io.StringIO(content))
        fields = [_norm(f) for f in (reader.fieldnames or [])]
        missing = [c for c in _ANN_COLS if c not in fields]
        if missing:
            ctx.skip(1, "malformed-record", f"missing column(s): {', '.join(missing)}",
                     scope="file")
            return None, None
        reader.fieldnames = fields
        return reader, "line" in fields

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        try:
            content = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return set()
        out = set()
        for row in csv.DictReader(io.StringIO(content)):
            name = next((v for k, v in row.items() if _norm(k) == "file"), None)
            if name:
                p = _find_document(name.strip(), path, options)
                if p is not None:
                    out.add(p.resolve())
        return out

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        content = read_text(ctx)
        if content is None:
            return
        reader, has_line = self._rows(ctx, content)
        if reader is None:
            return
        mode = "file" if not has_line else (ctx.options.comprehend_mode or "line")
        # (file name) -> {doc index -> [RawSpan]}
        spans: dict[str, dict[int, list[RawSpan]]] = defaultdict(lambda: defaultdict(list))
        rows_of: dict[str, list[int]] = defaultdict(list)
        for row in reader:
            n = reader.line_num
            name = (row.get("file") or "").strip()
            typ = (row.get("type") or "").strip()
            if not name or not typ:
                ctx.skip(n, "malformed-record", "empty File or Type")
                continue
            line = 0
            if mode == "line":
                try:
                    line = int((row.get("line") or "").strip())
                except ValueError:
                    ctx.skip(n, "malformed-record", f"Line {row.get('line')!r} is not an integer")
                    continue
                if line < 0:
                    ctx.skip(n, "bad-offsets", f"Line {line} is negative")
                    continue
            spans[name][line].append(RawSpan(row.get("begin offset"), row.get("end offset"),
                                             typ, where=f"{ctx.display}:{n}"))
            rows_of[name].append(n)
        for name in sorted(spans):
            path = _find_document(name, ctx.path, ctx.options)
            if path is None:
                for n in rows_of[name]:
                    ctx.skip(n, "missing-document", f"document file {name!r} not found (looked "
                             "next to the CSV, in documents/ and in the --documents option)")
                continue
            try:
                doc_text = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError) as e:
                ctx.skip(0, "unreadable-file", f"{path}: {e}", scope="file", file=str(path))
                continue
            by_line = spans[name]
            if mode == "file":
                merged = [s for ss in by_line.values() for s in ss]
                yield RawRecord(text=doc_text, spans=merged, file=str(path), line=1, id=name,
                                meta={"format": "comprehend", "mode": "file"})
                continue
            lines = _doc_lines(doc_text)
            for ln in sorted(k for k in by_line if k >= len(lines)):
                for sp in by_line[ln]:
                    ctx.skip(sp.where.rsplit(":", 1)[-1], "bad-offsets",
                             f"Line {ln} but {name} has {len(lines)} line(s) (Line counts from 0)")
            for i, text in enumerate(lines):
                if not text.strip() and not by_line.get(i):
                    ctx.report.notes["comprehend:blank-lines-not-imported"] += 1
                    continue
                yield RawRecord(text=text, spans=list(by_line.get(i, [])), file=str(path),
                                line=i + 1, id=f"{name}:{i}",
                                meta={"format": "comprehend", "mode": "line",
                                      "comprehend_line": i})


def read_entity_list(path: str | Path, report: ImportReport | None = None) -> list[EntityListEntry]:
    """The (text, label) rows of a Comprehend entity list CSV; bad rows go to `report`."""
    path = Path(path)
    content = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(content))
    fields = [_norm(f) for f in (reader.fieldnames or [])]
    if "text" not in fields or "type" not in fields:
        from entrec.engine.errors import DataImportError
        raise DataImportError(f"{path}: an entity list needs `Text` and `Type` columns",
                              code="bad-entity-list")
    reader.fieldnames = fields
    out = []
    for row in reader:
        text, typ = (row.get("text") or "").strip(), (row.get("type") or "").strip()
        if not text or not typ:
            if report is not None:
                report.skip(str(path), reader.line_num, "malformed-record", "empty Text or Type")
            continue
        out.append(EntityListEntry(text, typ, reader.line_num))
    return out


class ComprehendEntityListImporter:
    name = "comprehend-entity-list"
    aliases = ("entity-list",)
    extensions = ()
    description = "Amazon Comprehend entity list CSV (Text, Type): auto-labels --documents"

    def sniff(self, path: Path, head: str) -> bool:
        cols = _header(head)
        return "text" in cols and "type" in cols and "file" not in cols

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        return {p.resolve() for p in self._doc_files(options)}

    def _doc_files(self, options: ImportOptions) -> list[Path]:
        d = options.documents
        if d is None:
            return []
        d = Path(d)
        if d.is_dir():
            return sorted(p for p in d.rglob("*.txt") if p.is_file())
        return [d] if d.is_file() else []

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        from entrec.engine.errors import DataImportError
        docs = self._doc_files(ctx.options)
        if not docs:
            ctx.skip(0, "missing-document", "an entity list labels documents: pass the "
                     "documents file or folder (documents= / --documents)", scope="file")
            return
        try:
            entries = read_entity_list(ctx.path, ctx.report)
        except (OSError, UnicodeDecodeError) as e:
            ctx.skip(0, "unreadable-file", str(e), scope="file")
            return
        except DataImportError as e:
            ctx.skip(1, "malformed-record", e.message, scope="file")
            return
        ctx.report.notes["comprehend:entity-list-phrases"] += len(entries)
        # token sequences of the phrases, longest first
        phrases: dict[tuple[str, ...], str] = {}
        for e in entries:
            toks = tuple(t.text for t in ctx.nlp.make_doc(e.text) if not t.is_space)
            if toks and toks not in phrases:
                phrases[toks] = e.label
        maxlen = max((len(k) for k in phrases), default=0)
        for path in docs:
            try:
                lines = _doc_lines(path.read_bytes().decode("utf-8-sig"))
            except (OSError, UnicodeDecodeError) as e:
                ctx.skip(0, "unreadable-file", f"{path}: {e}", scope="file", file=str(path))
                continue
            units = ([("\n".join(lines), 1)] if ctx.options.comprehend_mode == "file"
                     else [(t, i + 1) for i, t in enumerate(lines)])
            for text, ln in units:
                if not text.strip():
                    ctx.report.notes["comprehend:blank-lines-not-imported"] += 1
                    continue
                toks = [t for t in ctx.nlp.make_doc(text) if not t.is_space]
                spans, i = [], 0
                while i < len(toks):
                    for n in range(min(maxlen, len(toks) - i), 0, -1):
                        label = phrases.get(tuple(t.text for t in toks[i:i + n]))
                        if label is not None:
                            a, b = toks[i].idx, toks[i + n - 1].idx + len(toks[i + n - 1])
                            spans.append(RawSpan(a, b, label, where="entity list match"))
                            i += n
                            break
                    else:
                        i += 1
                yield RawRecord(text=text, spans=spans, file=str(path), line=ln,
                                meta={"format": "comprehend-entity-list"})
