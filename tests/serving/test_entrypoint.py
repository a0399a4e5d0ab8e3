"""`serve` configuration: SageMaker environment variables -> gunicorn settings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrec.serving import gunicorn_conf
from entrec.serving.gunicorn_conf import default_workers, settings
from entrec.serving.settings import Settings, model_dir_from_env

GiB = 1024 ** 3


def test_sagemaker_env_maps_to_gunicorn():
    conf = settings({"SAGEMAKER_BIND_TO_PORT": "9090", "SAGEMAKER_MODEL_SERVER_WORKERS": "3",
                     "SAGEMAKER_MODEL_SERVER_TIMEOUT": "600"})
    assert conf["bind"] == ["0.0.0.0:9090"] and conf["workers"] == 3 and conf["timeout"] == 600
    assert conf["preload_app"] is True and conf["graceful_timeout"] < 30
    assert settings({"MODEL_SERVER_WORKERS": "5"})["workers"] == 5
    conf = settings({}, port=7000, workers=1, timeout=9, host="127.0.0.1")
    assert conf["bind"] == ["127.0.0.1:7000"] and conf["workers"] == 1 and conf["timeout"] == 9
    assert settings({})["timeout"] == 60 and settings({})["bind"] == ["0.0.0.0:8080"]


@pytest.mark.parametrize("bad", ["zero", "0", "-2"])
def test_bad_worker_env_is_refused(bad):
    with pytest.raises(SystemExit):
        settings({"SAGEMAKER_MODEL_SERVER_WORKERS": bad})


def test_default_workers_memory_bound():
    # 4 CPUs, 1 GiB: 0.75 GiB / 350 MiB -> 2 workers, not 4
    assert default_workers(cpus=4, memory_bytes=1 * GiB) == 2
    assert default_workers(cpus=4, memory_bytes=16 * GiB) == 4
    assert default_workers(cpus=8, memory_bytes=100 * 1024 ** 2) == 1  # never 0
    assert default_workers(cpus=2, memory_bytes=4 * GiB, worker_rss_mb=2048) == 1
    assert gunicorn_conf.memory_limit_bytes() is None or gunicorn_conf.memory_limit_bytes() > 0


def test_app_settings_from_env():
    s = Settings.from_env({"ENTREC_MAX_PAYLOAD_BYTES": "100", "ENTREC_LOCAL_RUNTIME": "true",
                           "MODEL_SERVER_WORKERS": "4"})
    assert s.max_payload_bytes == 100 and s.local_runtime and s.workers == 4
    assert Settings.from_env({}).max_payload_bytes == 6_291_456
    from entrec.engine.errors import EntrecError

    with pytest.raises(EntrecError) as e:
        Settings.from_env({"ENTREC_MAX_TEXTS": "many"})
    assert e.value.code == "bad-setting"


def test_model_dir_from_env(tmp_path: Path):
    assert model_dir_from_env({"SM_MODEL_DIR": str(tmp_path)}) is None  # empty: default engine
    (tmp_path / "model.tar.gz").write_bytes(b"x")
    assert model_dir_from_env({"SM_MODEL_DIR": str(tmp_path)}) == tmp_path
    from entrec.engine.errors import EntrecError

    with pytest.raises(EntrecError):
        model_dir_from_env({"SM_MODEL_DIR": str(tmp_path / "missing")})


def test_serve_argument_is_accepted_and_bad_model_exits_2(tmp_path, capsys):
    """`docker run image serve` passes `serve`; a missing model fails before gunicorn."""
    from entrec.serving.entrypoint import main

    rc = main(["serve", "--model", str(tmp_path / "nope"), "--port", "1"])
    assert rc == 2
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["code"] == "artifact-not-found" and line["event"] == "startup-failed"


def test_cli_serve_command_registered():
    import argparse

    from entrec.cli import serve

    p = argparse.ArgumentParser()
    serve.add_arguments(p)
    args = p.parse_args(["--port", "8081", "--local-runtime"])
    assert args.host == "127.0.0.1" and args.port == 8081 and args.local_runtime
    assert args.model is None


def test_wsgi_module_loads_model_from_sm_model_dir(artifact, monkeypatch):
    """`gunicorn entrec.serving.wsgi:app` path: SM_MODEL_DIR holding model.tar.gz (SageMaker style)."""
    import importlib
    import sys

    monkeypatch.setenv("SM_MODEL_DIR", str(artifact.parent))
    sys.modules.pop("entrec.serving.wsgi", None)
    wsgi = importlib.import_module("entrec.serving.wsgi")
    r = wsgi.app.test_client().get("/ping")
    assert r.status_code == 200
    assert r.get_json()["model"] == {"name": "entrec-test", "version": "2024.1"}
    sys.modules.pop("entrec.serving.wsgi", None)


def test_threaded_json_worker_is_the_default():
    conf = settings({})
    assert conf["worker_class"] == "entrec.serving.http_worker.JsonErrorThreadWorker"
    assert conf["threads"] == 2 and settings({"ENTREC_THREADS": "3"})["threads"] == 3
    assert conf["limit_request_line"] == 8190 and conf["limit_request_fields"] == 100


def test_every_gunicorn_parse_error_is_a_client_status_with_a_kebab_code():
    """Whatever gunicorn's parser refuses is answered 4xx in JSON, never 5xx (except a
    server configuration problem)."""
    import re

    from gunicorn.http import errors

    from entrec.serving.http_worker import _response, gunicorn_error

    classes = [c for c in vars(errors).values()
               if isinstance(c, type) and issubclass(c, errors.ParseException)
               and c not in (errors.ParseException, errors.ConfigurationProblem)
               and not c.__name__.startswith("InvalidResponse")]  # the app's own bug: 500
    assert len(classes) >= 15
    for cls in classes:
        exc = cls.__new__(cls)
        status, code, _, _ = gunicorn_error(exc)
        assert 400 <= status < 500 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), cls
    assert gunicorn_error(errors.InvalidResponseHeader.__new__(errors.InvalidResponseHeader))[0] == 500
    head, _, body = _response(431, "Request Header Fields Too Large", "x-y", "m").partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"error": {"code": "x-y", "message": "m"}}


def test_switch_interval_setting_installs_a_worker_hook():
    import sys as _sys

    assert "post_worker_init" not in settings({})
    conf = settings({"ENTREC_SWITCH_INTERVAL_MS": "1"})
    before = _sys.getswitchinterval()
    try:
        conf["post_worker_init"](object())  # what gunicorn calls in each worker
        assert abs(_sys.getswitchinterval() - 0.001) < 1e-9
    finally:
        _sys.setswitchinterval(before)
    for bad in ("0", "-1", "x", "5000"):
        with pytest.raises(SystemExit):
            settings({"ENTREC_SWITCH_INTERVAL_MS": bad})


def test_worker_heartbeat_is_rate_limited(monkeypatch):
    """gthread calls notify() on every event-loop turn; the arbiter needs one per timeout."""
    from gunicorn.workers.gthread import ThreadWorker

    from entrec.serving import http_worker

    calls = []
    monkeypatch.setattr(ThreadWorker, "notify", lambda self: calls.append(1))
    clock = [100.0]
    monkeypatch.setattr(http_worker, "_clock", lambda: clock[0])
    worker = object.__new__(http_worker.JsonErrorThreadWorker)
    worker.timeout = 30  # half the configured timeout, as the arbiter passes it
    for _ in range(1000):
        worker.notify()
    assert len(calls) == 1
    clock[0] += http_worker.HEARTBEAT_SECONDS
    worker.notify()
    assert len(calls) == 2
    worker.timeout = 1  # a 2 s timeout: a heartbeat at least every 0.25 s
    clock[0] += 0.25
    worker.notify()
    assert len(calls) == 3


def test_keepalive_requests_setting():
    from entrec.serving.http_worker import keepalive_requests

    assert keepalive_requests({}) == 100
    assert keepalive_requests({"ENTREC_KEEPALIVE_REQUESTS": "7"}) == 7
    assert keepalive_requests({"ENTREC_KEEPALIVE_REQUESTS": "x"}) == 100
    assert keepalive_requests({"ENTREC_KEEPALIVE_REQUESTS": "0"}) == 100


def test_master_freezes_the_collector_before_forking_unless_told_not_to():
    """`when_ready` (master, after the preload, before the workers fork) moves everything
    alive into the permanent generation: the workers' collections then leave the shared
    pages alone (docs/serving.md: worker PSS after load 64 -> 44 MB)."""
    import gc

    assert settings({})["when_ready"] is gunicorn_conf.freeze_gc
    assert settings({"ENTREC_GC_FREEZE": "1"})["when_ready"] is gunicorn_conf.freeze_gc
    assert "when_ready" not in settings({"ENTREC_GC_FREEZE": "0"})
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.freeze_gc(None)
        assert gc.get_freeze_count() > 1000  # the modules, spaCy, the test suite's objects
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
