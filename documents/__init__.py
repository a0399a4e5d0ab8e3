"""Documents to units: PDF, DOCX, TXT/MD and JSON Lines become pages or sections of text.

    from entrec.documents import read_document
    for unit in read_document(data, "s3://bucket/mpo/sub-10.21.pdf"):
        print(unit.doc_id, unit.unit_kind, unit.unit_no, unit.text[:60])

A unit's text is what entity offsets point into: `\\r\\n` is normalised and lone line breaks
inside a paragraph become spaces without changing any length (see `normalize`). A broken or
encrypted file becomes one unit with `error` set; it never raises.
"""
from entrec.documents.normalize import join_lone_breaks, normalize_newlines
from entrec.documents.readers import (DOC_TYPES, doc_type_for, read_document, reader_for,
                                      register_reader)
from entrec.documents.unit import UNIT_KINDS, Unit, content_hash

__all__ = ["Unit", "UNIT_KINDS", "content_hash", "read_document", "reader_for", "register_reader",
           "doc_type_for", "DOC_TYPES", "join_lone_breaks", "normalize_newlines"]
