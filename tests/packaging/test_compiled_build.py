"""setup.py's optional compile: no C compiler means the pure wheel (ENTREC_COMPILE=1) or a
clear failure (ENTREC_COMPILE=require), never a platform wheel without its compiled files."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build(tmp: Path, mode: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ENTREC_COMPILE": mode, "CC": str(tmp / "no-such-compiler")}
    return subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                           str(tmp / "dist"), str(ROOT)], capture_output=True, text=True, env=env)


def test_without_a_compiler_compile_1_builds_the_pure_wheel(tmp_path):
    r = _build(tmp_path, "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "entrec: no C compiler usable" in r.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "entrec/engine/inequality/scanner.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", "_compiled_sources.json"))]


def test_without_a_compiler_compile_require_fails_and_says_why(tmp_path):
    r = _build(tmp_path, "require")
    assert r.returncode != 0
    assert "ENTREC_COMPILE=require but no C extension can be built here" in r.stderr + r.stdout
    assert not list((tmp_path / "dist").glob("*.whl"))


def test_an_unknown_compile_mode_is_refused(tmp_path):
    r = _build(tmp_path, "yes")
    assert r.returncode != 0
    assert "ENTREC_COMPILE='yes': expected 0, 1 or require" in r.stderr + r.stdout
