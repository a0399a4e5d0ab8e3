"""`entrec batch` locally: the tables, their schema, the invariants, the manifest, reuse and
publishing."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from entrec.batch import EngineSpec, entities_schema, pages_schema, run_batch
from batch_docset import BROKEN_LINE_NAME

ROOT = Path(__file__).resolve().parents[2]


def read_table(out: Path, name: str) -> list[dict]:
    schema = pages_schema() if name == "pages" else entities_schema()
    return ds.dataset(out / name, format="parquet", schema=schema).to_table().to_pylist()


def check_invariants(out: Path) -> tuple[list[dict], list[dict]]:
    """Every entity row points into its page: pages.text[start:end] == text (all rows)."""
    pages, ents = read_table(out, "pages"), read_table(out, "entities")
    by_key = {(p["doc_id"], p["unit_kind"], p["unit_no"]): p for p in pages}
    assert len(by_key) == len(pages), "a unit appears twice"
    for e in ents:
        page = by_key[(e["doc_id"], e["unit_kind"], e["unit_no"])]
        assert page["text"][e["start"]:e["end"]] == e["text"], e
        assert page["error"] is None and page["source_uri"] == e["source_uri"]
    return pages, ents


@pytest.fixture(scope="module")
def single(docset, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "out"
    return out, run_batch([str(docset)], out).manifest


def test_tables_have_the_one_schema(single):
    out, _ = single
    for name, schema in (("pages", pages_schema()), ("entities", entities_schema())):
        files = list((out / name).glob("*.parquet"))
        assert files
        import pyarrow.parquet as pq

        got = pq.read_schema(files[0])
        assert got.names == schema.names and got.types == schema.types


def test_every_entity_points_into_its_page_and_names_survive_line_breaks(single):
    out, _ = single
    pages, ents = check_invariants(out)
    assert len(ents) >= 10
    pdf_lines = [e for e in ents if e["label"] == "LINHA_TRANSMISSAO" and e["unit_no"] == 1
                 and e["source_uri"].endswith("procedimento.pdf")]
    assert [e["text"] for e in pdf_lines] == [BROKEN_LINE_NAME]


def test_docx_table_limit_is_a_queryable_inequality(single):
    out, _ = single
    import pyarrow.compute as pc

    table = ds.dataset(out / "entities", format="parquet").to_table(
        filter=(pc.field("unit") == "MW") & (pc.field("high") >= 1000) & (pc.field("high") < 2000))
    rows = table.to_pylist()
    assert [(r["text"], r["op"], r["high"], r["high_inclusive"], r["source_uri"].endswith(".docx"))
            for r in rows] == [("não superior a 1.200 MW", "le", 1200.0, True, True)]
    assert json.loads(rows[0]["value"])["negated"] is True
    pages = {p["unit_no"]: p for p in read_table(out, "pages") if p["doc_type"] == "docx"}
    assert pages[rows[0]["unit_no"]]["heading_path"] == ["Limites operativos", "Linhas"]
    kv = ds.dataset(out / "entities", format="parquet").to_table(
        filter=(pc.field("unit") == "kV") & (pc.field("high") >= 550)).to_pylist()
    assert [r["text"] for r in kv] == ["entre 525 kV e 550 kV"]


def test_manifest_counts_errors_and_says_what_ran(single):
    out, m = single
    assert json.loads((out / "manifest.json").read_text()) == m
    c = m["counts"]
    assert (c["documents"], c["documents_failed"], c["units_with_error"]) == (5, 1, 1)
    assert c["units"] == 3 + 3 + 2 + 2 + 1  # pdf pages, txt pages, docx sections, jsonl, error
    assert sum(c["by_label"].values()) == c["entities"] == len(read_table(out, "entities"))
    (err,) = m["errors"]
    assert err["code"] == "pdf-unreadable" and err["uri"].endswith("quebrado.pdf")
    assert m["engine"]["id"] and m["engine"]["rules_sha256"] and m["engine"]["entrec"]
    assert set(m["timings"]) >= {"extract_s", "write_s", "total_s"}
    assert {d["status"] for d in m["documents"]} == {"extracted"}


def test_fork_pool_gives_the_same_rows(single, docset, tmp_path):
    out, _ = single
    run_batch([str(docset)], tmp_path / "pool", workers=2)

    def rows(o, name):
        return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in read_table(o, name))

    for name in ("pages", "entities"):
        assert rows(out, name) == rows(tmp_path / "pool", name)


def test_rerun_skips_unchanged_documents_and_publishes_whole_tables(docset, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(docset, docs)
    out = tmp_path / "out"
    first = run_batch([str(docs)], out).manifest
    before = sorted(map(str, read_table(out, "entities")))
    stale = out / ".runs" / "crashed-run"  # what a killed run leaves behind
    (stale / "pages").mkdir(parents=True)
    second = run_batch([str(docs)], out).manifest
    assert second["counts"]["documents_reused"] == 5
    assert {d["status"] for d in second["documents"]} == {"reused"}
    assert sorted(map(str, read_table(out, "entities"))) == before
    assert not stale.exists()
    assert os.readlink(out / "pages") == f".runs/{second['run_id']}/pages"
    assert [p.name for p in (out / ".runs").iterdir()] == [second["run_id"]]

    (docs / "notas.txt").write_text("Nova versão: SE Xingu acima de 500 kV.\n", encoding="utf-8")
    third = run_batch([str(docs)], out).manifest
    status = {Path(d["uri"]).name: d["status"] for d in third["documents"]}
    assert status["notas.txt"] == "extracted" and status["limites.docx"] == "reused"
    assert third["counts"]["documents_reused"] == 4
    check_invariants(out)
    assert first["engine"]["id"] == third["engine"]["id"]

    other_engine = run_batch([str(docs)], out, EngineSpec(half_open=True)).manifest
    assert other_engine["counts"]["documents_reused"] == 0  # a different engine extracts again


def test_cli_batch_and_pages(docset, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", str(docset), "--out",
                        str(tmp_path / "out"), "--workers", "2"], capture_output=True, text=True,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["documents_failed"] == 1
    assert "[pdf-unreadable]" in r.stderr and "quebrado.pdf" in r.stderr
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "pages", str(docset / "notas.txt"),
                        str(docset / "quebrado.pdf"), "--out", str(tmp_path / "u.jsonl")],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    units = [json.loads(x) for x in (tmp_path / "u.jsonl").read_text().splitlines()]
    assert [(u["doc_type"], u["unit_no"], u["error"]) for u in units] == [
        ("txt", 1, None), ("txt", 2, None), ("txt", 3, None), ("pdf", 0, "pdf-unreadable")]
    assert "1 error row(s)" in r.stderr
    pages_dir = tmp_path / "pages-table"
    for expect in (0, 2):  # a Parquet pages table; the same folder again is refused
        r = subprocess.run([sys.executable, "-m", "entrec.cli", "pages", str(docset / "limites.docx"),
                            "--out", str(pages_dir)], capture_output=True, text=True, env=env)
        assert r.returncode == expect, r.stderr
    assert "[out-exists]" in r.stderr
    table = ds.dataset(pages_dir, format="parquet").to_table()
    assert table.schema.names == pages_schema().names
    assert [r["heading_path"] for r in table.to_pylist()] == [["Limites operativos"],
                                                             ["Limites operativos", "Linhas"]]
    # the units file is itself a batch input: ids, pages and sources are kept
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", str(tmp_path / "u.jsonl"),
                        "--out", str(tmp_path / "out2"), "--quiet"], capture_output=True,
                       text=True, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pages = read_table(tmp_path / "out2", "pages")
    assert {p["source_uri"] for p in pages} == {str(docset / "notas.txt"), str(docset / "quebrado.pdf")}


def test_cli_bad_usage_is_a_clear_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", str(tmp_path / "nope"),
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "[file-not-found]" in r.stderr and "Traceback" not in r.stderr
    (tmp_path / "mine" / "pages").mkdir(parents=True)  # someone else's folder: never replaced
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", str(tmp_path), "--out",
                        str(tmp_path / "mine")], capture_output=True, text=True, env=env)
    assert r.returncode == 2 and "[out-exists]" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "entrec.cli", "batch", "--schema"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "| `high` | float64 |" in r.stdout


def test_docs_show_the_schema_as_defined():
    from entrec.batch.schema import describe

    doc = (ROOT / "docs" / "documents-at-scale.md").read_text(encoding="utf-8")
    assert describe() in doc, "docs/documents-at-scale.md: paste `entrec batch --schema` again"


def test_load_engine_freezes_what_was_loaded():
    """The batch runners own their process: after the engine is built, everything alive is
    out of the collector's generations (fork-pool workers share those pages)."""
    import gc

    from entrec.batch.core import EngineSpec, load_engine

    gc.unfreeze()
    # past the per-process cache: an engine another test built would come back unbuilt
    engine = load_engine.__wrapped__(EngineSpec(half_open=True))
    assert gc.get_freeze_count() > 1000
    assert not any(o is engine for o in gc.get_objects())
