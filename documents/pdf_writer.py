"""A minimal text-only PDF writer (PDF 1.4, Helvetica, WinAnsi).

Why it exists: tests and `bench/` need real PDFs (several pages, a name broken over two printed
lines, a 200-page procedure) generated on the spot, without shipping binaries or adding a PDF
authoring dependency. Every page is a list of printed lines; each line is placed on its own
baseline, so PDF readers see the hard line breaks a real export has.
"""
from __future__ import annotations

from typing import Sequence

__all__ = ["write_pdf"]


def _literal(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def write_pdf(pages: Sequence[Sequence[str]], *, font_size: float = 10.0,
              encrypted: bool = False) -> bytes:
    """The bytes of a PDF with one page per item of `pages`, each a list of printed lines.

    `encrypted=True` adds a standard security handler whose user password is not empty, so
    readers refuse to open the file without it (the encrypted-file case of a batch run).
    """
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    pages_id = len(objects) + 1 + 2 * len(pages)  # placeholder index computed below
    kids = []
    for lines in pages:
        ops = [b"BT", f"/F1 {font_size:g} Tf".encode(), f"{font_size * 1.3:g} TL".encode(), b"56 790 Td"]
        for line in lines:
            ops.append(_literal(line) + b" Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page = add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] "
                   b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                   % (pages_id, font, content))
        kids.append(page)
    assert len(objects) + 1 == pages_id
    add(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
        + b"] /Count %d >>" % len(kids))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    encrypt = None
    if encrypted:
        encrypt = add(b"<< /Filter /Standard /V 1 /R 2 /P -44 /O <" + b"11" * 32 + b"> /U <"
                      + b"22" * 32 + b"> >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if encrypt:
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (encrypt, b"ab" * 16, b"ab" * 16)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
