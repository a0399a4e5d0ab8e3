"""PDF pages with pypdfium2 (Apache-2.0/BSD; fast: ~2,000 pages/s; PyMuPDF is AGPL, not used)."""
from __future__ import annotations

from entrec.documents.normalize import join_lone_breaks, normalize_newlines
from entrec.documents.failures import DocumentError, error_unit
from entrec.documents.unit import Unit

__all__ = ["PdfReader"]


class PdfReader:
    """One unit per page; a page that fails alone becomes an error row for that page."""

    name = "pypdfium2"

    def __init__(self) -> None:
        import pypdfium2

        self.version = str(pypdfium2.PYPDFIUM_INFO)

    def read(self, data: bytes, uri: str, doc_id: str) -> list[Unit]:
        import pypdfium2 as pdfium

        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            msg = str(exc)
            if "password" in msg.lower():
                raise DocumentError("pdf-encrypted", f"the PDF is encrypted ({msg})") from None
            raise DocumentError("pdf-unreadable", f"not a readable PDF ({msg})") from None
        units: list[Unit] = []
        try:
            for i in range(len(pdf)):
                try:
                    page = pdf[i]
                    textpage = page.get_textpage()
                    raw = textpage.get_text_range()
                    textpage.close()
                    page.close()
                except pdfium.PdfiumError as exc:
                    units.append(error_unit(doc_id, uri, "pdf", "pdf-page-unreadable",
                                            f"{uri}: page {i + 1}: {exc}", extractor=self.name,
                                            version=self.version, unit_no=i + 1))
                    continue
                text = join_lone_breaks(normalize_newlines(raw))
                units.append(Unit(doc_id=doc_id, source_uri=uri, doc_type="pdf", unit_kind="page",
                                  unit_no=i + 1, text=text, extractor=self.name,
                                  extractor_version=self.version))
        finally:
            pdf.close()
        return units
