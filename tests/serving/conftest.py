"""Shared fixtures: one real model artifact (rules + grammar + a tiny trained NER) built per
session, the loaded models, and one real `serve` (gunicorn) process for the e2e tests."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
version: 1
language: pt
labels:
  SUBESTACAO: subestação
  AGENTE: agente
rules:
  - id: t.subestacao
    label: SUBESTACAO
    regex: "SE [A-Z][a-z]+"
  - id: t.agente
    label: AGENTE
    phrases: [CHESF, ONS]
"""

#: A text with a rule entity, an agent and an inequality.
TEXT = "A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV."


def _train_tiny_ner(path: Path) -> Path:
    """A real (tiny) spaCy NER trained for a few steps: label ORGAO, like `entrec train` saves."""
    from spacy.training import Example

    from entrec.engine.tokenizer import make_nlp

    nlp = make_nlp("pt")
    ner = nlp.add_pipe("ner")
    ner.add_label("ORGAO")
    data = [("O Ministério de Minas e Energia publicou.", [(2, 31, "ORGAO")]),
            ("A ANEEL decidiu.", [(2, 7, "ORGAO")]),
            ("A ANEEL decidiu hoje.", [(2, 7, "ORGAO")]),
            ("Segundo a ANEEL, nada muda.", [(10, 15, "ORGAO")]),
            ("Nada a declarar.", [])]
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in data]
    random.seed(0)
    from spacy.util import fix_random_seed

    fix_random_seed(0)  # numpy too: the same tiny model every session, whatever ran before
    nlp.initialize(lambda: examples)
    for _ in range(30):
        nlp.update(examples, drop=0.0)
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="session")
def artifact(tmp_path_factory) -> Path:
    """`model.tar.gz` with rules, the embedded grammar and a NER model (name/version set)."""
    from entrec.training.package import package_model

    base = tmp_path_factory.mktemp("artifact")
    rules = base / "rules" / "pt"
    rules.mkdir(parents=True)
    (rules / "test.yaml").write_text(RULES, encoding="utf-8")
    ner = _train_tiny_ner(base / "ner")
    return package_model(base / "pkg", rules=[rules], ner_dir=ner, name="entrec-test",
                         version="2024.1", metrics={"f1": 0.5})


@pytest.fixture(scope="session")
def models(artifact):
    from entrec.serving.models import ModelSet

    return ModelSet(artifact).load()


@pytest.fixture
def settings():
    from entrec.serving.settings import Settings

    return Settings(max_payload_bytes=20_000, max_texts=5, max_text_chars=2_000, workers=2,
                    local_runtime=True, local_endpoint_name="entrec-local")


@pytest.fixture
def app(models, settings):
    from entrec.serving.app import create_app

    return create_app(models=models, settings=settings)


@pytest.fixture
def client(app):
    return app.test_client()


# ------------------------------------------------------------------ real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    started: float
    ready_after: float = 0.0
    stderr_lines: list[str] = field(default_factory=list)

    def logs(self) -> list[dict]:
        out = []
        for line in list(self.stderr_lines):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out


SERVER_ENV = {
    "ENTREC_LOCAL_RUNTIME": "1",
    "ENTREC_LOCAL_ENDPOINT_NAME": "entrec-local",
    "ENTREC_MAX_PAYLOAD_BYTES": "200000",
    "ENTREC_MAX_TEXTS": "500",
    "ENTREC_MAX_TEXT_CHARS": "20000",
    "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT": "60",
    "ENTREC_BODY_TIMEOUT_SECONDS": "3",
    "ENTREC_HEADER_TIMEOUT_SECONDS": "3",
}


def start_server(model: Path | None, env_extra: dict | None = None,
                 wait: float = 120.0) -> Server:
    """Start `serve` (python -m entrec.serving.entrypoint: the console script's main) on a free port."""
    port = free_port()
    env = {**os.environ, **SERVER_ENV, **(env_extra or {}), "SAGEMAKER_BIND_TO_PORT": str(port),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("SM_MODEL_DIR", None)
    args = [sys.executable, "-m", "entrec.serving.entrypoint", "serve", "--host", "127.0.0.1"]
    if model is not None:
        args += ["--model", str(model)]
    t0 = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    srv = Server(f"http://127.0.0.1:{port}", proc, t0)

    def pump() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            srv.stderr_lines.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    deadline = t0 + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("serve exited early:\n" + "\n".join(srv.stderr_lines[-30:]))
        try:
            with urllib.request.urlopen(srv.url + "/ping", timeout=2) as r:
                if r.status == 200:
                    srv.ready_after = time.monotonic() - t0
                    return srv
        except OSError:
            pass
        time.sleep(0.1)
    stop_server(srv)
    raise RuntimeError("serve did not become ready:\n" + "\n".join(srv.stderr_lines[-30:]))


def stop_server(srv: Server, timeout: float = 40.0) -> tuple[int | None, float]:
    """SIGTERM the gunicorn master (what SageMaker / docker stop send); (exit code, seconds)."""
    t0 = time.monotonic()
    if srv.proc.poll() is None:
        srv.proc.send_signal(signal.SIGTERM)
        try:
            srv.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(srv.proc.pid, signal.SIGKILL)
            srv.proc.wait()
            return None, time.monotonic() - t0
    return srv.proc.returncode, time.monotonic() - t0


@pytest.fixture(scope="session")
def serve_control():
    """start/stop helpers and the repo root, as a fixture (test modules import nothing from
    conftest, so they work under any pytest import mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(start=start_server, stop=stop_server, root=ROOT)


@pytest.fixture(scope="session")
def default_server():
    """The default engine with the default limits (the largest allowed requests), 2 workers."""
    env = {k: "" for k in ("ENTREC_MAX_PAYLOAD_BYTES", "ENTREC_MAX_TEXTS", "ENTREC_MAX_TEXT_CHARS")}
    srv = start_server(None, env)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def server(artifact):
    """One real gunicorn for all e2e tests (2 workers), stopped with SIGTERM at the end."""
    srv = start_server(artifact)
    yield srv
    stop_server(srv)
