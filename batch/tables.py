"""Writing, reusing and publishing the two tables.

A run writes into `OUT/.runs/<run_id>/` (pages/, entities/, manifest.json) and only then
publishes: `OUT/pages` and `OUT/entities` are symlinks swapped atomically (`os.replace`) to the
new run, and `OUT/manifest.json` is replaced last. A reader sees a whole old table or a whole
new one, never a half-written file; a crashed run leaves only its `.runs/` folder, removed by the
next run.
"""
from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from entrec.batch.schema import entities_schema, pages_schema

__all__ = ["TableWriter", "RunDir", "previous_manifest", "copy_previous_rows", "table_summary",
           "publish", "TABLES"]

TABLES = ("pages", "entities")
PART_ROWS = 50_000


class TableWriter:
    """Buffers rows and writes them as `part-NNNNN.parquet` files of one fixed schema."""

    def __init__(self, folder: Path, schema, part_rows: int = PART_ROWS, prefix: str = "part"):
        self.folder = folder
        self.prefix = prefix
        self.schema = schema
        self.part_rows = part_rows
        self.rows: list[dict[str, Any]] = []
        self.parts = 0
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.part_rows:
            self.flush()

    def add_table(self, table) -> None:
        import pyarrow.parquet as pq

        if table.num_rows:
            pq.write_table(table.cast(self.schema), self.folder / f"{self.prefix}-{self.parts:05d}.parquet")
            self.parts += 1
            self.count += table.num_rows

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.add_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        if self.parts == 0:  # an empty table still has its schema on disk
            import pyarrow.parquet as pq

            pq.write_table(self.schema.empty_table(), self.folder / f"{self.prefix}-00000.parquet")
            self.parts = 1


class RunDir:
    """The staging folder of one run under OUT/.runs/."""

    def __init__(self, out: Path, run_id: str):
        self.out = out
        self.run_id = run_id
        self.path = out / ".runs" / run_id
        for stale in (out / ".runs").glob("*") if (out / ".runs").is_dir() else []:
            if stale.name != run_id and not _published(out, stale):
                shutil.rmtree(stale, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)

    def table(self, name: str) -> Path:
        return self.path / name

    def writers(self, prefix: str = "part") -> tuple[TableWriter, TableWriter]:
        return (TableWriter(self.table("pages"), pages_schema(), prefix=prefix),
                TableWriter(self.table("entities"), entities_schema(), prefix=prefix))


def _published(out: Path, run: Path) -> bool:
    link = out / "pages"
    return link.is_symlink() and Path(os.readlink(link)).parent.name == run.name


def previous_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def copy_previous_rows(out: Path, reused: dict[str, str], pages: TableWriter,
                       entities: TableWriter) -> None:
    """Copy the published rows of unchanged documents (`reused`: uri -> doc_id) into the run."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    if not reused:
        return
    uris, ids = sorted(reused), sorted(set(reused.values()))
    for name, writer in (("pages", pages), ("entities", entities)):
        table = ds.dataset(out / name, format="parquet", schema=writer.schema).to_table(
            filter=pc.field("doc_id").isin(ids) & pc.field("source_uri").isin(uris))
        writer.add_table(table)


def table_summary(run_path: Path) -> dict[str, Any]:
    """Counts for the manifest, read back from the written tables."""
    import pyarrow.dataset as ds

    pages = ds.dataset(run_path / "pages", format="parquet").to_table(
        columns=["doc_id", "source_uri", "doc_type", "unit_kind", "unit_no", "n_chars", "error",
                 "error_message"]).to_pylist()
    counts = ds.dataset(run_path / "entities", format="parquet").to_table(
        columns=["doc_id", "label"]).group_by(["doc_id", "label"]).aggregate(
        [("label", "count")]).to_pylist()
    return summarize(pages, [{"doc_id": c["doc_id"], "label": c["label"], "count": c["label_count"]}
                             for c in counts])


def summarize(pages: list[dict], label_counts: list[dict]) -> dict[str, Any]:
    """The manifest's counts from page rows (no text) and entity counts per (doc_id, label);
    the same for pyarrow-read tables and Spark aggregates."""
    docs: dict[str, dict[str, Any]] = {}
    errors = []
    for r in pages:
        d = docs.setdefault(r["source_uri"], {"uri": r["source_uri"], "doc_id": r["doc_id"],
                                               "doc_type": r["doc_type"], "units": 0,
                                               "unit_errors": 0, "entities": 0})
        d["units"] += 1
        if r["error"]:
            d["unit_errors"] += 1
            errors.append({"uri": r["source_uri"], "unit_kind": r["unit_kind"],
                           "unit_no": r["unit_no"], "code": r["error"],
                           "message": r["error_message"]})
    per_doc: Counter = Counter()
    per_label: Counter = Counter()
    for c in label_counts:
        per_doc[c["doc_id"]] += c["count"]
        per_label[c["label"]] += c["count"]
    for d in docs.values():
        d["entities"] = per_doc.get(d["doc_id"], 0)
    by_label = dict(sorted(per_label.items()))
    failed = sum(1 for d in docs.values() if d["units"] == d["unit_errors"])
    errors.sort(key=lambda e: (e["uri"], e["unit_no"]))
    return {"documents": sorted(docs.values(), key=lambda d: d["uri"]),
            "errors": errors,
            "counts": {"documents": len(docs), "documents_failed": failed,
                       "units": len(pages), "units_with_error": len(errors),
                       "entities": sum(per_label.values()), "by_label": by_label}}


def publish(run: RunDir, manifest: dict[str, Any]) -> None:
    """Write the manifest into the run, swap the table links, then replace OUT/manifest.json."""
    out = run.out
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (run.path / "manifest.json").write_text(text, encoding="utf-8")
    old_runs = [p for p in (out / ".runs").iterdir() if p.name != run.run_id]
    for name in TABLES:
        link = out / name
        if link.exists() and not link.is_symlink():
            raise OSError(f"{link} exists and is not a table link written by entrec batch")
        tmp = out / f".{name}.{run.run_id}.link"
        os.symlink(os.path.join(".runs", run.run_id, name), tmp)
        os.replace(tmp, link)
    tmp = out / f".manifest.{run.run_id}.json"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    for p in old_runs:
        shutil.rmtree(p, ignore_errors=True)
