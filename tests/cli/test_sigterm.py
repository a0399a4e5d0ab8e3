"""SIGTERM stops an `entrec` command like Ctrl+C: cleanups run, exit 143, no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_during_extract_removes_the_unpacked_model(tmp_path):
    from entrec.training.package import package_model

    tarball = package_model(tmp_path / "model", name="entrec-rules", version="1")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "entrec.cli", "extract", "--model", str(tarball),
                             "--format", "jsonl", "--json"], cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(scratch.glob("entrec-model-*/manifest.json")):  # unpacked, now reading stdin
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the model was never unpacked"
            time.sleep(0.05)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        err = proc.stderr.read()
        for f in (proc.stdin, proc.stdout, proc.stderr):
            f.close()
    assert code == 143, err[-2000:]
    assert "Traceback" not in err
    assert not list(scratch.glob("entrec-model-*"))  # the atexit cleanup ran
