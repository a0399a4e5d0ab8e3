"""`entrec pages`: documents to units (pages / sections), as JSON Lines or a Parquet table."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "pages"
HELP = "split PDF/DOCX/TXT/MD/JSONL documents into pages or sections (JSON Lines or Parquet)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SRC", help="files, folders or s3://bucket/prefix")
    p.add_argument("--out", metavar="FILE|DIR", help="FILE.jsonl, or a DIR for a Parquet "
                   "`pages` table (default: JSON Lines on stdout)")


def run(args) -> int:
    from entrec.batch.core import units_for_document
    from entrec.batch.schema import page_row, pages_schema
    from entrec.batch.sources import list_documents, read_bytes
    from entrec.batch.tables import TableWriter
    from entrec.documents import content_hash
    from entrec.documents.failures import error_unit
    from entrec.documents.readers import doc_type_for

    refs, ignored = list_documents(args.sources)
    to_parquet = bool(args.out) and not args.out.endswith((".jsonl", ".ndjson", ".json"))
    writer = None
    fh = sys.stdout
    if to_parquet:
        from pathlib import Path

        from entrec.engine.errors import InputError

        target = Path(args.out)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise InputError(f"{target} exists and is not an empty folder", code="out-exists",
                             hint="choose a new folder for the pages table")
        writer = TableWriter(target, pages_schema())
    elif args.out:
        fh = open(args.out, "w", encoding="utf-8")
    units = errors = 0
    try:
        for ref in refs:
            try:
                data = read_bytes(ref.uri)
                doc_units = units_for_document(data, ref.uri)
            except Exception as exc:  # noqa: BLE001 - one unreadable source never stops the run
                doc_units = [error_unit(content_hash(ref.uri.encode()), ref.uri,
                                        doc_type_for(ref.uri) or "unknown", "source-unreadable",
                                        f"{ref.uri}: {type(exc).__name__}: {exc}")]
            for u in doc_units:
                units += 1
                errors += u.error is not None
                if u.error:
                    print(f"entrec pages: [{u.error}] {u.error_message}", file=sys.stderr)
                if writer is not None:
                    writer.add([page_row(u)])
                else:
                    fh.write(json.dumps(u.to_dict(), ensure_ascii=False) + "\n")
    finally:
        if writer is not None:
            writer.close()
        elif fh is not sys.stdout:
            fh.close()
    for ig in ignored:
        print(f"entrec pages: ignored {ig.uri} ({ig.reason})", file=sys.stderr)
    print(f"entrec pages: {len(refs)} document(s), {units} unit(s), {errors} error row(s), "
          f"{len(ignored)} ignored", file=sys.stderr)
    return 0
