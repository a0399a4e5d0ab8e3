"""schemathesis against serving/openapi.yaml on the running gunicorn server: no 5xx, no
response that violates the spec, invalid requests rejected, valid ones accepted.

CI runs a small budget (ENTREC_FUZZ_EXAMPLES, default 25 per operation and phase); the
full run (>= 1,000 requests) is documented in docs/serving.md:

    PYTHONPATH=tests/serving SCHEMATHESIS_HOOKS=st_hooks schemathesis run serving/openapi.yaml \
        --url http://127.0.0.1:8080 --checks all --max-examples 1000 --workers 1 --suppress-health-check all
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_schemathesis_on_running_server(server, serve_control):
    ROOT = serve_control.root
    st = Path(sys.executable).with_name("schemathesis")
    assert st.exists(), "schemathesis CLI missing: `make venv` installs the test extra"
    examples = os.environ.get("ENTREC_FUZZ_EXAMPLES", "25")
    # the hooks module by its own folder: a top-level `tests` package from some installed
    # distribution could shadow `tests.serving.st_hooks`
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "st_hooks",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "serving"), str(ROOT),
                                          os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [str(st), "run", str(ROOT / "serving" / "openapi.yaml"), "--url", server.url,
         "--checks", "all", "--max-examples", examples, "--workers", "1",
         "--seed", "20240101", "--suppress-health-check", "all"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, out
    m = re.search(r"(\d+) generated, (\d+) passed", proc.stdout)
    assert m, out
    generated, passed = int(m.group(1)), int(m.group(2))
    assert generated == passed and generated >= 25, out
