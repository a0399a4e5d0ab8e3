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


def _decoy_dir(tmp: Path) -> Path:
    """A folder holding unrelated `engine/`, `training/`, `serving/` packages (a user's own
    project): the installed entrec must not pick them up nor be shadowed by them."""
    decoy = tmp / "userproject"
    for name in ("engine", "training", "serving", "pipeline"):
        (decoy / name).mkdir(parents=True, exist_ok=True)
        (decoy / name / "__init__.py").write_text(f"raise ImportError('decoy {name} imported')\n")
    return decoy


def test_wheel_contains_package_data(installed):
    venv, tmp = installed
    vpy = venv / "bin" / "python"
    out = subprocess.check_output([str(vpy), "-c", (
        "import entrec, entrec.engine.paths as p, json;"
        "from entrec import Engine;"
        "print(json.dumps([entrec.__file__, str(p.grammars_dir()), str(p.rules_dir()),"
        " (p.grammars_dir()/'inequality.lark').is_file(), (p.rules_dir()/'pt').is_dir(),"
        " Engine.__module__]))")],
        cwd=_decoy_dir(tmp), text=True, env={**os.environ, "PYTHONPATH": ""})
    mod, gdir, rdir, lark_ok, pt_ok, engine_mod = json.loads(out)
    assert str(ROOT) not in mod and str(ROOT) not in gdir and str(ROOT) not in rdir
    assert lark_ok and pt_ok
    assert engine_mod == "entrec.engine.engine"
    assert (Path(mod).parent / "py.typed").is_file()


def test_no_generic_top_level_names(installed):
    venv, tmp = installed
    vpy = venv / "bin" / "python"
    empty = tmp / "empty"
    empty.mkdir(exist_ok=True)
    for name in ("engine", "training", "serving", "pipeline", "entrec_data", "cli", "keyset"):
        r = subprocess.run([str(vpy), "-c", f"import {name}"], cwd=empty, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": ""})
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, (name, r.stderr)


def test_entrec_extract_from_another_directory(installed):
    venv, tmp = installed
    vpy = venv / "bin" / "python"
    r = subprocess.run([str(vpy), "-m", "entrec.cli", "extract", "--json"],
                       input="Manter a tensão na SE Xingu entre 525 kV e 550 kV.", capture_output=True,
                       text=True, cwd=_decoy_dir(tmp),
                       env={**os.environ, "PYTHONPATH": "", "ENTREC_CACHE_DIR": str(tmp / "c")})
    assert r.returncode == 0, r.stderr
    ents = json.loads(r.stdout)["entities"]
    got = {(e["text"], e["label"]) for e in ents}
    assert ("SE Xingu", "SUBESTACAO") in got
    assert ("entre 525 kV e 550 kV", "INEQUALITY") in got
