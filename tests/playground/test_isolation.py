"""The playground is never part of the predictor: `entrec serve` does not import it, answers
404 on /playground, and the predictor's OpenAPI document has no playground path."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_does_not_import_the_playground():
    code = ("import sys, entrec.cli.serve, entrec.serving.entrypoint, entrec.serving.app, entrec.serving.wsgi\n"
            "from entrec.cli.main import build_parser\n"
            "build_parser()\n"  # discovering commands must not import the playground either
            "print(sorted(m for m in sys.modules if m.startswith('entrec.playground')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    for path in (ROOT / "serving").glob("*.py"):
        assert "entrec.playground" not in path.read_text(encoding="utf-8"), path


def test_openapi_has_no_playground_path():
    spec = yaml.safe_load((ROOT / "serving" / "openapi.yaml").read_text(encoding="utf-8"))
    assert spec["paths"] and not [p for p in spec["paths"] if "playground" in p.lower()]


def test_entrec_serve_answers_404_on_playground():
    port = _free_port()
    env = {**os.environ, "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}
    env.pop("SM_MODEL_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "entrec.cli", "serve", "--port", str(port), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                with urllib.request.urlopen(base + "/ping", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "entrec serve did not become ready"
            time.sleep(0.2)
        for path in ("/playground", "/playground/", "/playground/api/state", "/playground/static/app.js"):
            try:
                urllib.request.urlopen(base + path, timeout=10)
                raise AssertionError(f"{path} answered 2xx on the predictor")
            except urllib.error.HTTPError as e:
                assert e.code == 404, (path, e.code)
                assert "entrec-token" not in e.read().decode("utf-8", "replace")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
