"""The wheel works outside the checkout: grammars and rule packs ship as package data."""
from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    r = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(dist.glob("entrec-*.whl"))
    venv = tmp / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    vpy = venv / "bin" / "python"
    # dependencies come from the project's environment; entrec itself only from the wheel
    purelib = sysconfig.get_paths()["purelib"]
    vsite = Path(subprocess.check_output([str(vpy), "-c", "import sysconfig;print(sysconfig.get_paths()['purelib'])"],
                                         text=True).strip())
    (vsite / "deps.pth").write_text(purelib + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(vsite), str(wheel)],
                   check=True)
    return venv, tmp


def test_wheel_contains_package_data(installed):
    venv, tmp = installed
    vpy = venv / "bin" / "python"
    out = subprocess.check_output([str(vpy), "-c", (
        "import engine, engine.paths as p, json;"
        "print(json.dumps([engine.__file__, str(p.grammars_dir()), str(p.rules_dir()),"
        " (p.grammars_dir()/'inequality.lark').is_file(), (p.rules_dir()/'pt').is_dir()]))")],
        cwd=tmp, text=True, env={**os.environ, "PYTHONPATH": ""})
    mod, gdir, rdir, lark_ok, pt_ok = json.loads(out)
    assert str(ROOT) not in mod and str(ROOT) not in gdir and str(ROOT) not in rdir
    assert lark_ok and pt_ok


def test_entrec_extract_from_another_directory(installed):
    venv, tmp = installed
    vpy = venv / "bin" / "python"
    r = subprocess.run([str(vpy), "-m", "engine.cli.main", "extract", "--json"],
                       input="Manter a tensão na SE Xingu entre 525 kV e 550 kV.", capture_output=True,
                       text=True, cwd=tmp, env={**os.environ, "PYTHONPATH": "", "ENTREC_CACHE_DIR": str(tmp / "c")})
    assert r.returncode == 0, r.stderr
    ents = json.loads(r.stdout)["entities"]
    got = {(e["text"], e["label"]) for e in ents}
    assert ("SE Xingu", "SUBESTACAO") in got
    assert ("entre 525 kV e 550 kV", "INEQUALITY") in got
