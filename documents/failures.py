"""How a document that cannot be read becomes a row instead of a crash."""
from __future__ import annotations

from entrec.documents.unit import Unit
from entrec.engine.errors import EntrecError

__all__ = ["DocumentError", "error_unit"]


class DocumentError(EntrecError):
    """A document (or one page of it) cannot be read. Readers raise it; `read_document` turns
    it into an error row (codes: docs/errors.md, "Document error rows"), so it never stops a run."""

    code = "extract-failed"

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


def error_unit(doc_id: str, uri: str, doc_type: str, code: str, message: str, *,
               extractor: str = "", version: str = "", unit_no: int = 0,
               unit_kind: str = "page") -> Unit:
    """The error row: empty text, `error` and `error_message` set (`unit_no` 0: whole document)."""
    return Unit(doc_id=doc_id, source_uri=uri, doc_type=doc_type, unit_kind=unit_kind,
                unit_no=unit_no, text="", extractor=extractor, extractor_version=version,
                error=code, error_message=message)
