"""`entrec playground` started for real: prints a tokenized loopback URL that serves the
page; refuses a non-loopback bind before loading anything."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cli_prints_a_token_url_and_serves(tmp_path, playground_control):
    pack = playground_control.copy_default_packs(tmp_path / "pack")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "entrec.cli", "playground", "--rules", str(pack), "--port", "0",
                             "--quiet", "--allow-save"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env=env)
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read()
            if line.strip().startswith("open "):
                url = line.split()[1]
        assert url and url.startswith("http://127.0.0.1:") and "/playground?token=" in url
        base, token = url.split("/playground?token=")
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and token in r.read().decode()
        req = urllib.request.Request(base + "/playground/api/state", headers={"X-Entrec-Token": token})
        with urllib.request.urlopen(req, timeout=10) as r:
            st = json.loads(r.read())
        assert st["allow_save"] is True and Path(st["root"]) == pack.resolve()
        assert [p.name for p in scratch.iterdir() if p.name.startswith("entrec-playground-")]
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    # SIGTERM stops it like Ctrl+C: exit 0 and its scratch folder removed
    assert code == 0 and "stopped" in err, err[-2000:]
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("entrec-playground-")]


def test_cli_refuses_a_public_bind():
    out = subprocess.run([sys.executable, "-m", "entrec.cli", "playground", "--host", "0.0.0.0"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "[bind-not-loopback]" in out.stderr and "Traceback" not in out.stderr


def test_cli_rules_must_be_a_folder(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("version: 1\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "entrec.cli", "playground", "--rules", str(f), "--port", "0"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "[rules-not-a-folder]" in out.stderr
