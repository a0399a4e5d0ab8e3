"""TXT and Markdown: pages split on form feed (`\\f`), as printed procedures are exported."""
from __future__ import annotations

from entrec.documents.normalize import join_lone_breaks, normalize_newlines
from entrec.documents.unit import Unit

__all__ = ["TextReader", "decode_text"]


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM stripped), else Windows-1252, the other encoding Brazilian
    office exports use; the encoding is recorded with each unit."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


class TextReader:
    """Page n is the n-th form-feed-separated part (numbering kept even for blank parts; a
    trailing blank part after the last form feed is not a page)."""

    name = "text"
    version = "1"

    def read(self, data: bytes, uri: str, doc_id: str) -> list[Unit]:
        text, encoding = decode_text(data)
        doc_type = "md" if uri.lower().endswith((".md", ".markdown")) else "txt"
        parts = normalize_newlines(text).split("\f")
        while len(parts) > 1 and not parts[-1].strip():
            parts.pop()
        return [Unit(doc_id=doc_id, source_uri=uri, doc_type=doc_type, unit_kind="page",
                     unit_no=n, text=join_lone_breaks(part), extractor=self.name,
                     extractor_version=f"{self.version} {encoding}")
                for n, part in enumerate(parts, start=1)]
