"""Which reader handles a document, and the one entry point that never raises for bad files.

Readers are registered by document type ("pdf", "docx", "txt", "md", "jsonl"); a reader is any
object with `name`, `version` and `read(data, uri, doc_id) -> list[Unit]`. Swapping PDF engines
is `register_reader("pdf", OtherReader())`, not an if-chain.
"""
from __future__ import annotations

import posixpath
from typing import Protocol

from entrec.documents.failures import DocumentError, error_unit
from entrec.documents.unit import Unit, content_hash

__all__ = ["Reader", "DocumentError", "DOC_TYPES", "doc_type_for", "reader_for",
           "register_reader", "read_document", "error_unit"]

#: file extension -> document type
DOC_TYPES: dict[str, str] = {".pdf": "pdf", ".docx": "docx", ".txt": "txt", ".md": "md",
                             ".markdown": "md", ".jsonl": "jsonl", ".ndjson": "jsonl"}


class Reader(Protocol):
    name: str
    version: str

    def read(self, data: bytes, uri: str, doc_id: str) -> list[Unit]: ...


def _builtin_readers() -> dict[str, Reader]:
    from entrec.documents.docx_reader import DocxReader
    from entrec.documents.jsonl_reader import JsonlReader
    from entrec.documents.pdf_reader import PdfReader
    from entrec.documents.text_reader import TextReader

    text = TextReader()
    return {"pdf": PdfReader(), "docx": DocxReader(), "txt": text, "md": text, "jsonl": JsonlReader()}


class _Registry:
    """Readers by document type, built on first use (imports pypdfium2/python-docx lazily)."""

    def __init__(self) -> None:
        self._readers: dict[str, Reader] | None = None

    def get(self, doc_type: str) -> Reader | None:
        if self._readers is None:
            self._readers = _builtin_readers()
        return self._readers.get(doc_type)

    def set(self, doc_type: str, reader: Reader) -> None:
        if self._readers is None:
            self._readers = _builtin_readers()
        self._readers[doc_type] = reader


_REGISTRY = _Registry()


def register_reader(doc_type: str, reader: Reader) -> None:
    """Use `reader` for `doc_type` from now on (e.g. another PDF engine)."""
    _REGISTRY.set(doc_type, reader)


def reader_for(doc_type: str) -> Reader | None:
    return _REGISTRY.get(doc_type)


def doc_type_for(uri: str) -> str | None:
    """The document type from the name's extension (case-insensitive), or None."""
    return DOC_TYPES.get(posixpath.splitext(uri.lower())[1])


def read_document(data: bytes, uri: str, doc_type: str | None = None) -> list[Unit]:
    """Units of one document, in document order. Never raises for a bad file: an unreadable,
    encrypted or unsupported document is one unit with `error` and `error_message` set."""
    doc_id = content_hash(data)
    doc_type = doc_type or doc_type_for(uri) or "unknown"
    reader = reader_for(doc_type)
    if reader is None:
        return [error_unit(doc_id, uri, doc_type, "unsupported-type",
                           f"{uri}: no reader for this file type (supported: "
                           f"{', '.join(sorted(DOC_TYPES))})")]
    try:
        units = reader.read(data, uri, doc_id)
    except DocumentError as exc:
        return [error_unit(doc_id, uri, doc_type, exc.code, f"{uri}: {exc.message}",
                           extractor=reader.name, version=reader.version)]
    except Exception as exc:  # noqa: BLE001 - a reader bug on one file must not stop a run
        return [error_unit(doc_id, uri, doc_type, "extract-failed",
                           f"{uri}: {type(exc).__name__}: {exc}",
                           extractor=reader.name, version=reader.version)]
    if not units:
        return [error_unit(doc_id, uri, doc_type, "empty-document", f"{uri}: no pages or text",
                           extractor=reader.name, version=reader.version)]
    return units
