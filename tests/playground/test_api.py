"""The playground's JSON API over real HTTP: what each endpoint answers, and that saving
is atomic, kept inside the pack and never loses the previous version."""
from __future__ import annotations

import hashlib

import pytest

TEXT = ("Manter a tensão no barramento de 500 kV da SE Xingu entre 525 kV e 550 kV. "
        "O fluxo na LT 500 kV Tucuruí / Marabá C1 deve ser menor ou igual a 1.800 MW.")
FILE = "pt/equipamentos.yaml"


def test_state_lists_the_pack_files_and_labels(client):
    st = client.get("/playground/api/state").json()
    paths = [f["path"] for f in st["files"]]
    assert FILE in paths and "en/grid.yaml" in paths
    assert {f["path"]: f["language"] for f in st["files"]}["en/grid.yaml"] == "en"
    assert "SUBESTACAO" in st["labels"] and "INEQUALITY" in st["labels"]
    assert st["allow_save"] is True and st["model"] is None


def test_extract_marks_labels_rules_values_and_reason_codes(client):
    res = client.post("/playground/api/extract", {"text": TEXT, "lang": "pt"}).json()
    got = {(e["text"], e["label"], e["rule_id"]) for e in res["entities"]}
    assert ("SE Xingu", "SUBESTACAO", "pt.subestacao.lista") in got
    assert ("LT 500 kV Tucuruí / Marabá C1", "LINHA_TRANSMISSAO", "pt.lt.nome") in got
    values = {e["text"]: e["value_text"] for e in res["entities"] if e["label"] == "INEQUALITY"}
    assert values == {"entre 525 kV e 550 kV": "[525, 550] kV", "menor ou igual a 1.800 MW": "≤ 1800 MW"}
    codes = {(d["text"], d["reason_code"]) for d in res["discarded"]}
    assert ("SE Xingu", "duplicate") in codes  # same span, same label: not a real conflict
    assert ("LT 500 kV Tucuruí", "nested") in codes
    lt = next(i for i, e in enumerate(res["entities"]) if e["label"] == "LINHA_TRANSMISSAO")
    assert any(d["winner"] == lt and d["reason"].startswith("lost to pt.lt.nome") for d in res["discarded"])
    assert res["rules"] == "saved" and res["extract_ms"] >= 0


def test_extract_follows_the_edited_buffer_and_falls_back_when_it_is_broken(client):
    content = client.get(f"/playground/api/file?path={FILE}").json()["content"]
    edited = content.replace("priority:", "priority:", 1) + "\n"  # same rules, different bytes
    res = client.post("/playground/api/extract", {"text": "disjuntor 52-12", "files": [{"path": FILE, "content": edited}]}).json()
    assert res["rules"] == "edited" and [e["label"] for e in res["entities"]] == ["EQUIPAMENTO"]
    broken = content.replace("label: EQUIPAMENTO", "label: EQUIPAMENT", 1)
    res = client.post("/playground/api/extract", {"text": "disjuntor 52-12", "files": [{"path": FILE, "content": broken}]}).json()
    assert res["rules"] == "fallback" and res["errors"] == 1
    assert [e["label"] for e in res["entities"]] == ["EQUIPAMENTO"]


def test_validate_locates_errors_with_a_range(client):
    content = client.get(f"/playground/api/file?path={FILE}").json()["content"]
    broken = content.replace("label: EQUIPAMENTO", "label: EQUIPAMENT", 1)
    line = broken.splitlines().index("    label: EQUIPAMENT") + 1
    v = client.post("/playground/api/validate", {"path": FILE, "files": [{"path": FILE, "content": broken}]}).json()
    assert v["ok"] is False and v["errors"] == 1
    (d,) = v["diagnostics"]
    assert (d["code"], d["file"], d["line"], d["column"]) == ("label-unknown", FILE, line, 12)
    assert (d["end_line"], d["end_column"]) == (line, 22)  # the whole value `EQUIPAMENT`
    assert d["hint"] == "did you mean `EQUIPAMENTO`?"
    ok = client.post("/playground/api/validate", {"path": FILE, "files": []}).json()
    assert ok["ok"] is True and ok["rules"] > 0 and ok["tests"] > 0


def test_yaml_syntax_error_is_located(client):
    v = client.post("/playground/api/validate",
                    {"path": FILE, "files": [{"path": FILE, "content": "version: 1\nlanguage: pt\nrules: [\n"}]}).json()
    d = next(d for d in v["diagnostics"] if d["file"] == FILE)
    assert d["code"] == "yaml-syntax" and d["line"] >= 3 and d["end_column"] > d["column"]


def test_tests_report_per_rule_counts_for_the_file(client):
    rep = client.post("/playground/api/tests", {"path": FILE, "files": []}).json()
    assert rep["failed"] == 0 and rep["passed"] == rep["total"] > 0
    assert all(c["file"] == FILE for c in rep["cases"])
    assert rep["rules"]["pt.equipamento.tipo_codigo"]["tp"] > 0
    assert set(rep["file_rules"]) <= set(rep["rules"])


def test_tests_show_failing_cases_and_refuse_broken_rules(client):
    content = client.get(f"/playground/api/file?path={FILE}").json()["content"]
    # disable the rule the file's tests rely on most: its tests now miss entities
    weakened = content.replace("id: pt.equipamento.tipo_codigo", "id: pt.equipamento.tipo_codigo\n    enabled: false", 1)
    rep = client.post("/playground/api/tests", {"path": FILE, "files": [{"path": FILE, "content": weakened}]}).json()
    assert rep["failed"] > 0
    bad = [c for c in rep["cases"] if not c["passed"]]
    assert any(f["kind"] == "missing" for c in bad for f in c["findings"])
    broken = content.replace("label: EQUIPAMENTO", "label: EQUIPAMENT", 1)
    r = client.post("/playground/api/tests", {"path": FILE, "files": [{"path": FILE, "content": broken}]})
    assert r.status == 422 and r.json()["error"]["code"] == "rules-invalid"
    assert r.json()["error"]["diagnostics"][0]["code"] == "label-unknown"


def test_unknown_file_and_bad_requests_are_4xx(client):
    r = client.get("/playground/api/file?path=../../etc/passwd")
    assert (r.status, r.json()["error"]["code"]) == (404, "file-unknown")
    r = client.post("/playground/api/validate", {"path": "pt/../../x.yaml", "files": []})
    assert (r.status, r.json()["error"]["code"]) == (404, "file-unknown")
    r = client.post("/playground/api/extract", {"text": 3})
    assert (r.status, r.json()["error"]["code"]) == (400, "bad-request")
    r = client.post("/playground/api/extract", raw=b"{not json")
    assert (r.status, r.json()["error"]["code"]) == (400, "bad-json")
    r = client.post("/playground/api/extract", {"text": "x" * 20_001})
    assert (r.status, r.json()["error"]["code"]) == (413, "text-too-long")
    r = client.post("/playground/api/nope", {})
    assert r.status == 404


def test_save_is_atomic_backed_up_and_checked(client, pack):
    target = pack / FILE
    before = target.read_bytes()
    sha = hashlib.sha256(before).hexdigest()
    new = before.decode() + "# edited in the playground\n"
    r = client.post("/playground/api/save", {"path": FILE, "content": new, "base_sha256": sha})
    assert r.status == 200, r.body
    out = r.json()
    assert target.read_text(encoding="utf-8") == new
    backup = pack / out["backup"]
    assert backup.parent == target.parent and backup.read_bytes() == before
    assert out["sha256"] == hashlib.sha256(new.encode()).hexdigest()
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    # the page's copy is stale now: refused, nothing written
    r = client.post("/playground/api/save", {"path": FILE, "content": "x: 1\n", "base_sha256": sha})
    assert (r.status, r.json()["error"]["code"]) == (409, "file-changed-on-disk")
    # a broken file is refused (Download keeps it), the file on disk is untouched
    r = client.post("/playground/api/save", {"path": FILE, "content": new.replace("label: EQUIPAMENTO", "label: X", 1)})
    assert (r.status, r.json()["error"]["code"]) == (422, "rules-invalid")
    assert target.read_text(encoding="utf-8") == new
    # nothing outside the pack can be written
    for bad in ("../outside.yaml", str(target), "pt/new.yaml"):
        r = client.post("/playground/api/save", {"path": bad, "content": "version: 1\n"})
        assert (r.status, r.json()["error"]["code"]) == (404, "file-unknown")
    assert not (pack.parent / "outside.yaml").exists() and not (pack / "pt" / "new.yaml").exists()


def test_save_is_refused_unless_enabled(playground_control, tmp_path):
    srv = playground_control.start(playground_control.copy_default_packs(tmp_path / "p"), allow_save=False)
    try:
        c = playground_control.Client(srv)
        r = c.post("/playground/api/save", {"path": FILE, "content": "version: 1\n"})
        assert (r.status, r.json()["error"]["code"]) == (403, "save-disabled")
        assert c.get("/playground/api/state").json()["allow_save"] is False
    finally:
        playground_control.stop(srv)


@pytest.mark.parametrize("ws_rel", ["pt/base.yaml"])
def test_builds_are_cached_by_content(server, client, ws_rel):
    ws = server.workspace
    content = client.get(f"/playground/api/file?path={ws_rel}").json()["content"] + "# x\n"
    a = ws.build({ws_rel: content})
    assert ws.build({ws_rel: content}) is a  # same bytes, same build
    assert ws.build({ws_rel: content + "# y\n"}) is not a
    # the model/grammar sources are shared with the base engine: only rules are rebuilt
    base_sources = {id(s) for s in ws.base.sources("pt") if s.source != "rule"}
    assert base_sources and base_sources <= {id(s) for s in a.engine.sources("pt")}
