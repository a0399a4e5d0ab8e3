"""JSON Lines of texts: each line is a unit.

A line is `{"text": ..., "id"?: ..., "lang"?: ...}` (the `entrec extract --format jsonl`
input), or a unit as `entrec pages --out units.jsonl` writes it (with `doc_id`, `unit_no`...):
those keep their own document id, page and source, so pages can be split once and extracted
later (or by SageMaker Batch Transform). Texts are kept exactly as given. A bad line becomes an
error row with its line number; the other lines still count.
"""
from __future__ import annotations

import json

from entrec.documents.failures import DocumentError, error_unit
from entrec.documents.unit import Unit

__all__ = ["JsonlReader"]

_LANGS = ("pt", "en")


class JsonlReader:
    name = "jsonl"
    version = "1"

    def read(self, data: bytes, uri: str, doc_id: str) -> list[Unit]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError("bad-encoding", f"JSON Lines must be UTF-8 (byte {exc.start})") from None
        units: list[Unit] = []
        for n, line in enumerate(text.split("\n"), start=1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            units.append(self.unit_from_line(line, n, uri, doc_id))
        return units

    def unit_from_line(self, line: str, n: int, uri: str, doc_id: str) -> Unit:
        """One line as a unit (or a bad-jsonl error row with its line number)."""
        def bad(message: str) -> Unit:
            return error_unit(doc_id, uri, "jsonl", "bad-jsonl", f"{uri}:{n}: {message}",
                              extractor=self.name, version=self.version, unit_no=n,
                              unit_kind="record")

        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            return bad(f"invalid JSON: {exc.msg} (column {exc.colno})")
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            return bad('each line must be an object with a string "text"')
        lang = rec.get("lang")
        if lang is not None and lang not in _LANGS:
            return bad(f"unsupported lang {lang!r} (use pt or en)")
        if isinstance(rec.get("doc_id"), str) and isinstance(rec.get("unit_no"), int):
            try:
                return Unit.from_dict(rec)
            except TypeError as exc:
                return bad(f"not a unit record ({exc})")
        rid = rec.get("id")
        return Unit(doc_id=doc_id, source_uri=uri, doc_type="jsonl", unit_kind="record", unit_no=n,
                    text=rec["text"], extractor=self.name, extractor_version=self.version,
                    lang=lang, record_id=None if rid is None else str(rid))
