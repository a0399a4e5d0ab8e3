"""The two tables, defined once as Arrow schemas (pyarrow writes them; Spark gets the same
schema through `spark_schema`). Field descriptions live in the schema's metadata, and
docs/documents-at-scale.md is generated from them (`entrec batch --schema`).

Offsets (`start`, `end`) are 0-based, end-exclusive, in Unicode code points (Python `str`
indices; Spark SQL `substring(text, start + 1, end - start)`) into `pages.text` of the same
(doc_id, unit_kind, unit_no): `pages.text[start:end] == entities.text` for every row.
"""
from __future__ import annotations

from typing import Any, Iterable

from entrec.documents.unit import Unit

__all__ = ["PAGES_FIELDS", "ENTITIES_FIELDS", "pages_schema", "entities_schema", "spark_schema",
           "page_row", "entity_row", "INEQUALITY_COLUMNS", "describe"]

# (name, arrow type name, nullable, description): the single definition of both tables
PAGES_FIELDS: tuple[tuple[str, str, bool, str], ...] = (
    ("doc_id", "string", False, "sha256 of the document's bytes (hex)"),
    ("source_uri", "string", False, "where the document was read: absolute path or s3://bucket/key"),
    ("doc_type", "string", False, "pdf | docx | txt | md | jsonl | unknown"),
    ("unit_kind", "string", False, "page (PDF, form-feed page of TXT/MD) | section (DOCX heading "
                                   "section) | record (JSON Lines line)"),
    ("unit_no", "int32", False, "1-based page, section or line number; 0 for a whole-document error"),
    ("heading_path", "list<string>", False, "DOCX headings above the section, outermost first"),
    ("lang", "string", True, "language given by a JSON Lines record, else null (engine default)"),
    ("record_id", "string", True, "the `id` of a JSON Lines record"),
    ("text", "string", False, "the unit text entity offsets point into (\\r\\n normalised, lone "
                              "line breaks inside paragraphs replaced by spaces, same length)"),
    ("n_chars", "int32", False, "length of text in code points"),
    ("extractor", "string", False, "reader that produced the text (pypdfium2, python-docx, text, jsonl)"),
    ("extractor_version", "string", False, "its version (and the text encoding for TXT)"),
    ("error", "string", True, "kebab-case code when the unit or document could not be read or "
                              "extracted (pdf-unreadable, pdf-encrypted, docx-unreadable, bad-jsonl, "
                              "unsupported-type, text-too-long...), else null"),
    ("error_message", "string", True, "what went wrong and where"),
)

INEQUALITY_COLUMNS = ("op", "low", "high", "low_inclusive", "high_inclusive", "unit", "negated")

ENTITIES_FIELDS: tuple[tuple[str, str, bool, str], ...] = (
    ("doc_id", "string", False, "document id (pages.doc_id)"),
    ("source_uri", "string", False, "pages.source_uri"),
    ("unit_kind", "string", False, "pages.unit_kind"),
    ("unit_no", "int32", False, "pages.unit_no"),
    ("start", "int32", False, "0-based start offset in pages.text, code points"),
    ("end", "int32", False, "end offset, exclusive, code points"),
    ("label", "string", False, "SUBESTACAO, USINA, LINHA_TRANSMISSAO, ..., INEQUALITY"),
    ("text", "string", False, "pages.text[start:end]"),
    ("source", "string", False, "rule | grammar | model"),
    ("rule_id", "string", True, "rule or grammar production that made it; null for the model"),
    ("score", "float64", False, "0..1"),
    ("entity_id", "string", True, "canonical id when a rule links the mention (SE_XINGU), else null"),
    ("op", "string", True, "INEQUALITY: gt ge lt le eq ne between"),
    ("low", "float64", True, "INEQUALITY: lower bound in `unit`, null when open"),
    ("high", "float64", True, "INEQUALITY: upper bound in `unit`, null when open"),
    ("low_inclusive", "bool", True, "INEQUALITY: lower bound included"),
    ("high_inclusive", "bool", True, "INEQUALITY: upper bound included"),
    ("unit", "string", True, "INEQUALITY: canonical unit symbol (kV, MW, Hz, %, min...)"),
    ("negated", "bool", True, "INEQUALITY: the condition was negated in the text"),
    ("value", "string", True, "the full structured value as JSON (any label that has one)"),
)


def _arrow_type(name: str):
    import pyarrow as pa

    if name == "list<string>":
        return pa.list_(pa.field("item", pa.string(), nullable=False))
    return {"string": pa.string(), "int32": pa.int32(), "float64": pa.float64(),
            "bool": pa.bool_()}[name]


def _schema(fields: Iterable[tuple[str, str, bool, str]], table: str):
    import pyarrow as pa

    return pa.schema([pa.field(n, _arrow_type(t), nullable=null,
                               metadata={"description": d}) for n, t, null, d in fields],
                     metadata={"entrec.table": table, "entrec.schema_version": "1"})


def pages_schema():
    """The `pages` table's Arrow schema."""
    return _schema(PAGES_FIELDS, "pages")


def entities_schema():
    """The `entities` table's Arrow schema."""
    return _schema(ENTITIES_FIELDS, "entities")


def spark_schema(arrow_schema):
    """The same schema as a Spark StructType (for mapInPandas and the writer)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_schema)


def page_row(unit: Unit) -> dict[str, Any]:
    d = unit.to_dict()
    d["n_chars"] = len(unit.text)
    return {name: d[name] for name, *_ in PAGES_FIELDS}


def entity_row(unit: Unit, ent: dict[str, Any]) -> dict[str, Any]:
    """One entities row from an Entity dict (DESIGN §2), the inequality value flattened."""
    import json

    value = ent.get("value")
    row = {"doc_id": unit.doc_id, "source_uri": unit.source_uri, "unit_kind": unit.unit_kind,
           "unit_no": unit.unit_no, "start": ent["start"], "end": ent["end"],
           "label": ent["label"], "text": ent["text"], "source": ent["source"],
           "rule_id": ent.get("rule_id"), "score": float(ent.get("score", 1.0)),
           "entity_id": ent.get("id")}
    flat = value if isinstance(value, dict) and "op" in value else {}
    for col in INEQUALITY_COLUMNS:
        v = flat.get(col)
        row[col] = float(v) if col in ("low", "high") and v is not None else v
    row["value"] = None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return row


def describe() -> str:
    """The schema as Markdown tables (for the docs and `entrec batch --schema`)."""
    out = []
    for title, fields in (("pages", PAGES_FIELDS), ("entities", ENTITIES_FIELDS)):
        out += [f"### `{title}`", "", "| column | type | null | meaning |", "|---|---|---|---|"]
        out += [f"| `{n}` | {t} | {'yes' if null else 'no'} | {d} |" for n, t, null, d in fields]
        out.append("")
    return "\n".join(out)
