"""The real page in Debian's Chromium (Playwright, headless): marks, explanations, live
errors in the editor, tests, download, and not one console error on the way.

One browser and one server for the module. Assertions are `expect(locator)` (they poll
from Python; nothing is evaluated in the page, which runs under a strict CSP).
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update"]
FILE = "pt/equipamentos.yaml"


#: where Debian puts Chromium (ENTREC_CHROMIUM overrides; PATH is searched last)
CHROMIUM_PATHS = ["/usr/bin/chromium"]


def chromium_path() -> str:
    for cand in (os.environ.get("ENTREC_CHROMIUM"), *CHROMIUM_PATHS, shutil.which("chromium"),
                 shutil.which("chromium-browser")):
        if cand and Path(cand).is_file():
            return cand
    pytest.fail("Chromium is not installed: the playground's browser tests drive Debian's Chromium. "
                "Install it with `sudo apt-get install -y chromium` (or set ENTREC_CHROMIUM to a "
                "Chromium binary); never `playwright install`.", pytrace=False)


def test_missing_chromium_fails_with_install_instructions(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "CHROMIUM_PATHS", [str(tmp_path / "no-chromium")])
    monkeypatch.delenv("ENTREC_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        chromium_path()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    pg.problems = problems
    pg.set_default_timeout(15_000)
    pg.goto(server.url)
    yield pg
    ctx.close()


def test_extract_shows_marks_with_labels_and_rule_ids(page):
    from playwright.sync_api import expect

    se = page.locator('mark.ent[data-label="SUBESTACAO"][data-rule="pt.subestacao.lista"]').first
    expect(se).to_contain_text("SE Xingu")
    expect(page.locator('mark.ent[data-label="LINHA_TRANSMISSAO"][data-rule="pt.lt.nome"]')).to_contain_text(
        "LT 500 kV Tucuruí / Marabá C1")
    ineq = page.locator('mark.ent[data-label="INEQUALITY"][data-source="grammar"]')
    expect(ineq.first).to_contain_text("entre 525 kV e 550 kV")
    expect(page.locator("#entity-table tbody tr", has_text="[525, 550] kV")).to_have_count(1)
    expect(page.locator("#legend")).to_contain_text("SUBESTACAO")
    # typing a new text re-extracts
    page.fill("#text-input", "Abrir o disjuntor 52-12 da SE Quixadá.")
    expect(page.locator('mark.ent[data-label="EQUIPAMENTO"]')).to_contain_text("disjuntor 52-12")
    expect(page.locator("mark.ent")).to_have_count(2)


def test_open_an_explanation_and_show_all_candidates(page):
    from playwright.sync_api import expect

    page.fill("#text-input", "O fluxo na LT 500 kV Tucuruí / Marabá C1 e na SE Xingu.")
    lt = page.locator('mark.ent[data-label="LINHA_TRANSMISSAO"]')
    expect(lt).to_have_class("ent conflict")  # a real conflict is flagged...
    expect(page.locator('mark.ent[data-label="SUBESTACAO"]')).to_have_class("ent")  # ...a duplicate is not
    lt.click()
    panel = page.locator("#explain")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("pt.lt.nome")
    nested = panel.locator('li[data-reason="nested"]')
    expect(nested).to_contain_text("pt.lt.sem_separador")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # keyboard: focusing a mark opens its explanation
    page.locator('mark.ent[data-label="SUBESTACAO"]').focus()
    expect(panel.locator('li[data-reason="duplicate"]')).to_contain_text("pt.subestacao.nome")
    page.check("#show-all")
    expect(page.locator("#marked .ul")).not_to_have_count(0)
    page.uncheck("#show-all")
    expect(page.locator("#marked .ul")).to_have_count(0)


def _replace_buffer(page, content: str) -> None:
    page.locator(".CodeMirror").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(content)


def test_edit_break_fix_run_tests_and_download(page, server, record_property):
    from playwright.sync_api import expect

    original = (Path(server.workspace.root) / FILE).read_text(encoding="utf-8")
    page.select_option("#file-select", FILE)
    expect(page.locator(".CodeMirror-code")).to_contain_text("pt.equipamento.tipo_codigo")
    expect(page.locator("#validation-status")).to_contain_text("Sem erros")

    # break it: an undeclared label -> a located error in the list and in the gutter
    broken = original.replace("label: EQUIPAMENTO", "label: EQUIPAMENT", 1)
    line = broken.splitlines().index("    label: EQUIPAMENT") + 1
    _replace_buffer(page, broken)
    err = page.locator('#diag-list button[data-code="label-unknown"]')
    expect(err).to_be_visible(timeout=5_000)
    record_property("live_validation_ms", page.locator("#validation-status").get_attribute("data-latency-ms"))
    expect(err).to_contain_text(f"{line}:12")
    expect(err).to_contain_text("EQUIPAMENTO")  # the did-you-mean hint
    expect(page.locator("#run-tests")).to_be_disabled()
    expect(page.locator("#file-select option:checked")).to_have_text(f"● {FILE}")
    # clicking the error moves the caret there (the editor renders only the lines in view:
    # the gutter marker and the underline show once the line is scrolled in)
    page.locator("#text-input").click()
    err.click()
    expect(page.locator("#cursor-pos")).to_have_text(f"Ln {line}, Col 12")
    expect(page.locator(".CodeMirror .diag-marker.error")).to_have_count(1)
    expect(page.locator(".cm-diag-error")).to_have_text("EQUIPAMENT")

    # fix it (with a visible edit), then run the file's tests
    fixed = original.replace("  - id: pt.equipamento.tipo_codigo", "  # editado no playground\n"
                             "  - id: pt.equipamento.tipo_codigo", 1)
    _replace_buffer(page, fixed)
    expect(page.locator("#validation-status")).to_contain_text("Sem erros")
    expect(page.locator("#diag-list button")).to_have_count(0)
    t0 = time.perf_counter()
    page.click("#run-tests")
    summary = page.locator("#tests-summary")
    expect(summary).to_contain_text("passaram")
    record_property("run_tests_s", round(time.perf_counter() - t0, 3))
    expect(summary).to_have_class("summary ok")
    row = page.locator('#rule-stats tr[data-rule="pt.equipamento.tipo_codigo"]')
    expect(row.locator("td.tp")).not_to_have_text("0")
    expect(row.locator("td.fp")).to_have_text("0")
    expect(row.locator("td.fn")).to_have_text("0")

    # download returns exactly the edited bytes
    with page.expect_download() as info:
        page.click("#download")
    dl = info.value
    assert dl.suggested_filename == "equipamentos.yaml"
    assert Path(dl.path()).read_bytes() == fixed.encode("utf-8")
    # the pack on disk was never touched by editing
    assert (Path(server.workspace.root) / FILE).read_text(encoding="utf-8") == original


def test_no_console_errors(page):
    assert page.problems == []
