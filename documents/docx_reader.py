"""DOCX sections with python-docx, tables included.

`Document.paragraphs` silently drops every table, and operating limits live in tables; this
reader walks `iter_inner_content()` in document order, writing each table row as one line with
cells separated by " | ". A section starts at each heading ("Heading N"/"Title" styles) and
carries the heading path ("3 Limites > 3.2 Tensão").
"""
from __future__ import annotations

import io
import re
import zipfile

from entrec.documents.normalize import join_lone_breaks, normalize_newlines
from entrec.documents.failures import DocumentError
from entrec.documents.unit import Unit

__all__ = ["DocxReader"]

_HEADING = re.compile(r"^(?:heading|título|titulo)\s*(\d+)$", re.IGNORECASE)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CELL_SEP = " | "


def _heading_level(paragraph) -> int | None:
    try:
        name = (paragraph.style.name or "").strip()
    except (AttributeError, KeyError, ValueError):
        return None
    if name.lower() in ("title", "título", "titulo"):
        return 0
    m = _HEADING.match(name)
    return int(m.group(1)) if m else None


def _paragraph_text(paragraph) -> str:
    # soft line breaks (<w:br/>) arrive as "\n" inside one paragraph: lone breaks -> spaces
    return join_lone_breaks(normalize_newlines(paragraph.text))


def _table_lines(table) -> list[str]:
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                continue
            seen.add(id(cell._tc))
            parts = []
            for block in cell.iter_inner_content():
                if hasattr(block, "rows"):
                    parts.extend(_table_lines(block))
                else:
                    parts.append(_paragraph_text(block))
            cells.append(" ".join(p for p in parts if p).replace("\n", " "))
        line = CELL_SEP.join(cells)
        if line.strip(" |"):
            lines.append(line)
    return lines


class DocxReader:
    name = "python-docx"

    def __init__(self) -> None:
        from importlib.metadata import version

        self.version = version("python-docx")

    def read(self, data: bytes, uri: str, doc_id: str) -> list[Unit]:
        import docx

        if data.startswith(_OLE_MAGIC):
            raise DocumentError("docx-encrypted", "an OLE compound file: a password-protected "
                                "DOCX or a legacy .doc (save it as .docx without a password)")
        try:
            document = docx.Document(io.BytesIO(data))
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise DocumentError("docx-unreadable", f"not a readable DOCX ({exc})") from None

        sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
        path: list[tuple[int, str]] = []
        for block in document.iter_inner_content():
            if hasattr(block, "rows"):
                sections[-1][1].extend(_table_lines(block))
                continue
            text = _paragraph_text(block)
            level = _heading_level(block)
            if level is not None and text.strip():
                while path and path[-1][0] >= level:
                    path.pop()
                path.append((level, text.strip()))
                sections.append((tuple(h for _, h in path), [text]))
            elif text.strip():
                sections[-1][1].append(text)
        units = []
        for heading_path, lines in sections:
            if not lines:
                continue
            units.append(Unit(doc_id=doc_id, source_uri=uri, doc_type="docx", unit_kind="section",
                              unit_no=len(units) + 1, text="\n".join(lines), extractor=self.name,
                              extractor_version=self.version, heading_path=heading_path))
        return units
