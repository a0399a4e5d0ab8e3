"""What an importer is, the options every importer may read, and the per-file context.

An importer only *reads* its format: it turns a file into `RawRecord`s (and reports the
records it cannot even parse). Deciding whether a record is usable is the shared
validator's job, so every format gets the same checks and the same reason codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol, runtime_checkable

from .document import FileStats, ImportReport, RawRecord

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

__all__ = ["Importer", "ImportOptions", "ImportContext", "read_text"]


@dataclass
class ImportOptions:
    """Format-specific knobs (each importer reads the ones it understands).

    - `sentences_per_doc` (CoNLL): without `-DOCSTART-` lines, group this many consecutive
      sentences into one document (0 = the whole file, or each `-DOCSTART-` block, is one).
    - `dedupe`: report and skip exact/conflicting duplicate texts across all files.
    - `documents` (Comprehend): file or folder holding the documents the CSV refers to.
    - `comprehend_mode`: "line" (ONE_DOC_PER_LINE, default) or "file" (ONE_DOC_PER_FILE).
    - `text_key` (Label Studio): key of `data` holding the text (default: "text", else the
      only string value of `data`).
    """

    sentences_per_doc: int = 10
    dedupe: bool = True
    documents: Path | None = None
    comprehend_mode: str = "line"
    text_key: str | None = None


@dataclass
class ImportContext:
    """Per-file state handed to an importer: where to report, which options, a tokenizer."""

    path: Path
    display: str  # the file name used in the report
    report: ImportReport
    stats: FileStats
    options: ImportOptions
    nlp: "Language"
    extra: dict[str, Any] = field(default_factory=dict)

    def skip(self, where: int | str, reason: str, message: str, scope: str = "record",
             file: str | None = None) -> None:
        """Report a record this importer could not turn into a RawRecord."""
        self.report.skip(file or self.display, where, reason, message, scope)
        if scope in ("record", "file"):
            self.stats.skipped += 1


@runtime_checkable
class Importer(Protocol):
    name: str
    aliases: tuple[str, ...]
    extensions: tuple[str, ...]
    description: str

    def sniff(self, path: Path, head: str) -> bool:
        """True when `head` (the first ~64 KB of the file) looks like this format."""

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        """Yield the records of `ctx.path`; report unparseable ones with `ctx.skip`."""

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        """Files this file refers to (e.g. Comprehend documents): not imported on their own."""


def read_text(ctx: ImportContext) -> str | None:
    """The file as UTF-8 text (BOM stripped), or None after reporting `unreadable-file`."""
    try:
        data = ctx.path.read_bytes()
    except OSError as e:
        ctx.skip(0, "unreadable-file", f"cannot read: {e.strerror or e}", scope="file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        ctx.skip(line, "unreadable-file", f"not UTF-8 (byte {e.start}, line {line}): re-save "
                 "the file as UTF-8", scope="file")
        return None
