"""The unit: one page or section of one document, the row of the `pages` table."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Unit", "UNIT_KINDS", "content_hash"]

#: page: a PDF page or a form-feed page of a text file; section: a DOCX heading section;
#: record: one line of a JSON Lines file.
UNIT_KINDS = ("page", "section", "record")


def content_hash(data: bytes) -> str:
    """A document's id: sha256 of its bytes (hex), so the same file has the same id anywhere."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Unit:
    """One page or section of text, or an error row (`error` set, `text` empty).

    `unit_no` is 1-based (page number, section number or JSON Lines line number); an error that
    concerns the whole document has `unit_no` 0.
    """

    doc_id: str
    source_uri: str
    doc_type: str
    unit_kind: str
    unit_no: int
    text: str
    extractor: str
    extractor_version: str
    heading_path: tuple[str, ...] = field(default=())
    lang: str | None = None
    record_id: str | None = None
    error: str | None = None
    error_message: str | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.doc_id, self.unit_kind, self.unit_no)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["heading_path"] = list(self.heading_path)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Unit":
        names = cls.__dataclass_fields__  # type: ignore[attr-defined]
        kw = {k: d[k] for k in names if k in d}
        kw["heading_path"] = tuple(d.get("heading_path") or ())
        return cls(**kw)
