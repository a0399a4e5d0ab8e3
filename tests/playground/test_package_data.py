"""Every static asset of the page ships in the wheel (pyproject package-data), and the
vendored editor says what it is and under which licence."""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "playground" / "static"


def test_static_files_are_package_data():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert cfg["package-dir"]["entrec.playground"] == "playground"
    assert "entrec.playground" in cfg["packages"]
    patterns = cfg["package-data"]["entrec.playground"]
    files = [p.relative_to(ROOT / "playground").as_posix() for p in STATIC.rglob("*") if p.is_file()]
    assert {"static/index.html", "static/app.js", "static/app.css",
            "static/vendor/codemirror/codemirror.js"} <= set(files)
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, pat) for pat in patterns)]
    assert not missing, missing


def test_vendored_codemirror_is_documented():
    vendored = (STATIC / "vendor" / "codemirror" / "VENDORED.md").read_text(encoding="utf-8")
    assert "5.65.21" in vendored and "MIT" in vendored and "npm pack codemirror@5" in vendored
    licence = (STATIC / "vendor" / "codemirror" / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License")
    assert 'version = "5.65.21"' in (STATIC / "vendor" / "codemirror" / "codemirror.js").read_text(encoding="utf-8")
