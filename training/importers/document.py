"""The one internal shape every importer produces, and the report of what was not usable.

Importers differ in how they spell spans (token indices, inclusive ends, IOB tags, CSV rows),
so each turns its files into `RawRecord`s and one shared validator (`validate.py`) decides what
is usable: offsets, token alignment, overlaps, labels, duplicates. What is not usable is never
dropped silently: it becomes a `SkippedRecord` with a stable kebab-case reason code in the
`ImportReport`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .tables import md_table as _md_table, text_table as _text_table

__all__ = [
    "Span", "LabeledDocument", "RawSpan", "RawRecord", "SkippedRecord", "FileStats",
    "ImportReport", "REASON_CODES", "FIX_CODES",
]

#: Every reason a record (or one span of it) can be skipped. Stable: tests assert them.
REASON_CODES: dict[str, str] = {
    "malformed-record": "bad JSON/CSV/CoNLL line or missing/ill-typed keys",
    "empty-text": "the document text is empty or only whitespace",
    "bad-offsets": "a span's offsets are not integers, are reversed/empty or fall outside the text",
    "text-mismatch": "the span text given in the record differs from the text at its offsets",
    "span-not-aligned": "a span boundary falls inside a token (after trimming whitespace)",
    "overlapping-spans": "two gold spans of the record overlap (or one span has two labels)",
    "unknown-label": "the span's label is not in the requested label set (span dropped)",
    "undeclared-label": "a span's label is not in the declared label set (a typo or an "
                        "unknown entity type; the record is skipped)",
    "rejected-answer": "Prodigy answer was reject/ignore",
    "cancelled-annotation": "Label Studio annotation was cancelled (skipped as a whole task if "
                            "no other annotation is usable)",
    "unannotated": "Label Studio task without any annotation",
    "duplicate": "same text and same spans as an earlier record",
    "conflicting-duplicate": "same text as an earlier record but different spans (first kept)",
    "missing-document": "a Comprehend row or entity list refers to a document file not found",
    "unknown-format": "the file's format could not be detected",
    "unreadable-file": "the file could not be read or decoded as UTF-8",
}

#: Repairs applied to records that were kept (counted, listed per record in the report).
FIX_CODES: dict[str, str] = {
    "trimmed-whitespace": "leading/trailing whitespace trimmed off a span to align it to tokens",
    "duplicate-span": "the same span (offsets and label) given twice in one record, kept once",
    "utf16-offsets": "offsets were UTF-16 code units (Label Studio); converted to characters",
}


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A gold span: character offsets into the document text, end exclusive."""

    start: int
    end: int
    label: str

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def text(self, doc_text: str) -> str:
        return doc_text[self.start:self.end]

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label}


@dataclass(frozen=True)
class LabeledDocument:
    """A text with its gold spans (sorted, non-overlapping, token-aligned once imported).

    `source` is "file:line" (or "file:#index" for JSON arrays) so every figure in a report
    can be traced back to the record an annotator made.
    """

    text: str
    spans: tuple[Span, ...] = ()
    id: str | None = None
    source: str | None = None
    annotator: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def entities(self) -> list[tuple[str, str]]:
        """[(span text, label)] — handy in tests and reports."""
        return [(self.text[s.start:s.end], s.label) for s in self.spans]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "spans": [
            {**s.to_dict(), "text": self.text[s.start:s.end]} for s in self.spans]}
        for k in ("id", "source", "annotator"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        if self.meta:
            d["meta"] = self.meta
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LabeledDocument":
        """Inverse of `to_dict` (the `entrec import --out docs.jsonl` line format)."""
        spans = tuple(sorted(Span(int(s["start"]), int(s["end"]), str(s["label"]))
                             for s in d.get("spans") or ()))
        return cls(text=d["text"], spans=spans, id=d.get("id"), source=d.get("source"),
                   annotator=d.get("annotator"), meta=dict(d.get("meta") or {}))


@dataclass
class RawSpan:
    """A span as a format spells it, before validation (values may be of any type)."""

    start: Any
    end: Any
    label: Any
    text: str | None = None  # span text given by the format, checked against the offsets
    where: str | None = None  # e.g. "spans[2]" for messages


@dataclass
class RawRecord:
    """One record as read from a file, not yet validated."""

    text: Any
    spans: list[RawSpan]
    file: str
    line: int | str  # 1-based line number, or "#index" for records inside a JSON array
    id: str | None = None
    annotator: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    fixes: list[str] = field(default_factory=list)  # fixes already applied by the reader
    # True when the reader guarantees every span boundary is at whitespace (CoNLL rebuilds
    # its text from tokens): the tokenizer pass is skipped, it cannot find anything.
    aligned_by_construction: bool = False

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SkippedRecord:
    """A record (or one span of a record, `scope="span"`) that was not imported, and why."""

    file: str
    line_or_index: int | str
    reason_code: str
    message: str
    scope: str = "record"  # "record" | "span" | "file"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line_or_index, "reason": self.reason_code,
                "message": self.message, "scope": self.scope}


@dataclass
class FileStats:
    format: str
    records: int = 0
    imported: int = 0
    skipped: int = 0
    spans: int = 0


@dataclass
class ImportReport:
    """Everything `load_documents` saw: what it imported, what it skipped and why, what it fixed."""

    imported: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    files: dict[str, FileStats] = field(default_factory=dict)
    labels: Counter = field(default_factory=Counter)
    fixes: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)  # informational (ground_truth, ignored results)
    max_listed: int = 50  # `format()`/`to_markdown()` list at most this many skipped records

    # -- recording ---------------------------------------------------------------------------
    def file(self, path: str, fmt: str) -> FileStats:
        st = self.files.get(path)
        if st is None:
            st = self.files[path] = FileStats(format=fmt)
        return st

    def skip(self, file: str, where: int | str, reason: str, message: str,
             scope: str = "record") -> None:
        if reason not in REASON_CODES:  # programming error, not user error
            raise ValueError(f"unregistered reason code {reason!r}")
        self.skipped.append(SkippedRecord(file, where, reason, message, scope))

    def relocate(self, local_prefix: str, shown_prefix: str) -> "ImportReport":
        """The same report with file names under `local_prefix` shown as `shown_prefix...`.

        A job that imports a downloaded copy reports the files by where they really live
        (`s3://bucket/labeled/a.jsonl`), not by its temporary folder.
        """
        from dataclasses import replace as _replace

        def move(s: str) -> str:
            return s.replace(local_prefix, shown_prefix)

        out = _replace(self, skipped=[_replace(r, file=move(r.file), message=move(r.message))
                                      for r in self.skipped],
                       files={move(f): st for f, st in self.files.items()})
        return out

    # -- views -------------------------------------------------------------------------------
    @property
    def reasons(self) -> Counter:
        """Count of skipped records/spans per reason code."""
        return Counter(s.reason_code for s in self.skipped)

    @property
    def skipped_records(self) -> int:
        return sum(1 for s in self.skipped if s.scope in ("record", "file"))

    @property
    def skipped_spans(self) -> int:
        return sum(1 for s in self.skipped if s.scope == "span")

    @property
    def formats(self) -> Counter:
        c: Counter = Counter()
        for st in self.files.values():
            if st.imported:
                c[st.format] += st.imported
        return c

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "skipped_records": self.skipped_records,
            "skipped_spans": self.skipped_spans,
            "spans": sum(self.labels.values()),
            "reasons": dict(sorted(self.reasons.items())),
            "fixes": dict(sorted(self.fixes.items())),
            "notes": dict(sorted(self.notes.items())),
            "labels": dict(sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0]))),
            "formats": dict(sorted(self.formats.items())),
            "files": {f: vars(st).copy() for f, st in sorted(self.files.items())},
            "skipped": [s.to_dict() for s in self.skipped],
        }

    def _rows(self) -> list[tuple[str, list[list[str]], list[str]]]:
        """(title, rows, header) sections shared by the text and markdown renderings."""
        sections = []
        sections.append(("Files", [[f, st.format, str(st.records), str(st.imported),
                                     str(st.skipped), str(st.spans)]
                                    for f, st in sorted(self.files.items())],
                         ["file", "format", "records", "imported", "skipped", "spans"]))
        sections.append(("Labels", [[lab, str(n)] for lab, n in
                                    sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0]))],
                         ["label", "spans"]))
        if self.skipped:
            sections.append(("Skipped by reason",
                             [[r, str(n), REASON_CODES.get(r, "")]
                              for r, n in sorted(self.reasons.items(), key=lambda kv: -kv[1])],
                             ["reason", "count", "meaning"]))
        if self.fixes:
            sections.append(("Fixes applied", [[r, str(n), FIX_CODES.get(r, "")]
                                               for r, n in sorted(self.fixes.items())],
                             ["fix", "count", "meaning"]))
        if self.notes:
            sections.append(("Notes", [[k, str(n)] for k, n in sorted(self.notes.items())],
                             ["note", "count"]))
        if self.skipped:
            listed = self.skipped[: self.max_listed]
            sections.append((f"Skipped (first {len(listed)} of {len(self.skipped)})",
                             [[f"{s.file}:{s.line_or_index}", s.scope, s.reason_code, s.message]
                              for s in listed],
                             ["where", "scope", "reason", "message"]))
        return sections

    def summary(self) -> str:
        return (f"imported {self.imported} document(s) with {sum(self.labels.values())} span(s); "
                f"skipped {self.skipped_records} record(s) and {self.skipped_spans} span(s)"
                + (f"; {sum(self.fixes.values())} fix(es) applied" if self.fixes else ""))

    def format(self) -> str:
        """A plain-text table for the terminal."""
        out = [self.summary()]
        for title, rows, header in self._rows():
            out.append("")
            out.append(title)
            out.append(_text_table(header, rows))
        return "\n".join(out)

    def to_markdown(self) -> str:
        out = ["# Import report", "", self.summary()]
        for title, rows, header in self._rows():
            out += ["", f"## {title}", "", _md_table(header, rows)]
        return "\n".join(out) + "\n"

