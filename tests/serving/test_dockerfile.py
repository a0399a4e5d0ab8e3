"""Static checks of serving/Dockerfile (no Docker daemon in CI): the properties SageMaker
and the issue rely on."""
from __future__ import annotations

import json
import re
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "serving" / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_exec_form_entrypoint_serve():
    entry = [rest for op, rest in _instructions() if op == "ENTRYPOINT"]
    assert len(entry) == 1
    assert json.loads(entry[0]) == ["serve"]  # exec form: PID 1 gets SIGTERM


def test_runtime_stage_is_slim_non_root_without_toolchain():
    ins = _instructions()
    froms = [i for i, (op, _) in enumerate(ins) if op == "FROM"]
    runtime = ins[froms[-1]:]
    args = dict(rest.split("=", 1) for op, rest in ins if op == "ARG" and "=" in rest)
    base = runtime[0][1].replace("${PYTHON_IMAGE}", args.get("PYTHON_IMAGE", ""))
    assert "slim" in base
    users = [rest for op, rest in runtime if op == "USER"]
    assert users and not users[-1].startswith(("root", "0"))
    runs = " ".join(rest for op, rest in runtime if op == "RUN")
    assert not re.search(r"apt-get install|build-essential|gcc|\bmake\b", runs)
    assert "--only-binary=:all:" in runs and "command -v serve" in runs
    assert any(op == "EXPOSE" and rest == "8080" for op, rest in runtime)


def test_build_stage_copies_every_mapped_folder():
    """The wheel is built from the folders pyproject.toml maps under `entrec`; a folder the
    Dockerfile forgets to COPY would be missing from the image's wheel."""
    import tomllib

    pyproject = tomllib.loads((DOCKERFILE.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    mapped = set(pyproject["tool"]["setuptools"]["package-dir"].values())
    copied = {rest.split()[0] for op, rest in _instructions() if op == "COPY" and "--from" not in rest}
    assert mapped <= copied, mapped - copied
    runs = " ".join(rest for op, rest in _instructions() if op == "RUN")
    assert "[serve]" in runs  # the predictor's extra (flask, gunicorn) is installed


def test_build_stage_compiles_the_grammar_or_fails():
    """The image's wheel carries the compiled grammar modules (setup.py); `require` makes a
    failed compile fail the build rather than ship pure Python unnoticed."""
    ins = _instructions()
    froms = [i for i, (op, _) in enumerate(ins) if op == "FROM"]
    build = ins[froms[0]:froms[-1]]
    copied = " ".join(rest for op, rest in build if op == "COPY")
    assert "setup.py" in copied.split()
    runs = " ".join(rest for op, rest in build if op == "RUN")
    assert "ENTREC_COMPILE=require python -m build --wheel" in runs
    assert re.search(r"apt-get install .*\bgcc\b", runs)
