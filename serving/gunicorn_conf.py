"""gunicorn settings for the predictor, derived from SageMaker's environment variables.

Usable two ways: `serve` (entrec.serving.entrypoint) reads `settings()`, and plain gunicorn can
load it as a config file: `gunicorn -c python:entrec.serving.gunicorn_conf entrec.serving.wsgi:app`.

| variable | default | gunicorn setting |
|---|---|---|
| `SAGEMAKER_BIND_TO_PORT` | 8080 | `bind = 0.0.0.0:PORT` |
| `SAGEMAKER_MODEL_SERVER_WORKERS` / `MODEL_SERVER_WORKERS` | memory-safe default, see `default_workers` | `workers` |
| `SAGEMAKER_MODEL_SERVER_TIMEOUT` | 60 | `timeout` (raise it to 600 for Batch Transform) |
| `ENTREC_GRACEFUL_TIMEOUT` | 20 | `graceful_timeout`: in-flight requests get this long after SIGTERM, inside SageMaker's 30 s window |
| `ENTREC_WORKER_RSS_MB` | 350 | memory budgeted per worker when choosing the default worker count |
| `ENTREC_THREADS` | 2 | request threads per worker (`threads`, gthread worker) |
| `ENTREC_SWITCH_INTERVAL_MS` | 5 (Python's default) | how long a worker thread may hold the GIL while another waits (`sys.setswitchinterval`) |
| `ENTREC_GC_FREEZE` | 1 | `when_ready`: the master collects and freezes its garbage-collector generations before forking (`0`: off) |

Why the threaded worker (`entrec.serving.http_worker.JsonErrorThreadWorker`, gunicorn's
gthread answering its own errors in JSON and staging requests): its event loop reads each
request into memory without blocking and hands it to a request thread only once it is
complete (`entrec.serving.request_staging`), so half-sent heads and stalled uploads wait in
the event loop, holding no thread, and `/ping` keeps answering; the event loop heartbeats the
arbiter, so a long request is never killed mid-response. Why 2 threads and one worker per
CPU: the engine holds the GIL, so threads add no CPU; a second thread overlaps one request's
socket I/O with another's engine work. Under 16 concurrent clients the p99 is queueing, and
more threads per worker lengthen it (each request in flight competes for the GIL in 5 ms
slices): 4 gave a lower p99 than 8 in every paired run, and on a quiet machine 2 x 2 gave p99
30 ms against 36-71 ms for 2 x 4 (docs/serving.md, bench/serve_load.py). 1 thread loses
throughput (every request waits for the event loop's hand-off). Before staging, 2 threads were
unsafe: two half-sent heads held both threads of a worker (tests/serving/test_attacks.py
now runs 12 slow clients against 1 thread per worker).

Why `preload_app`: the model is loaded and verified once in the master before forking, so
a broken artifact stops the container at start (not on the first ping) and the workers
share the loaded engine's memory copy-on-write.

Why `gc.freeze()` in the master once it is ready (`freeze_gc`): everything loaded before the
fork (spaCy, the engine, the model) moves to the collector's permanent generation, so the
workers' collections neither walk it (shorter pauses) nor write to its object headers,
which would copy the shared pages into each worker (docs/serving.md has the PSS figures).
"""
from __future__ import annotations

import os
import sys
from functools import partial
from pathlib import Path
from typing import Any, Mapping

from entrec.engine.loaded_objects import freeze_loaded
from entrec.serving.logs import LOGCONFIG_DICT

__all__ = ["settings", "default_workers", "freeze_gc", "memory_limit_bytes", "WORKER_RSS_MB_DEFAULT",
           "THREADS_DEFAULT", "WORKER_CLASS"]

#: Budget per worker (MiB). Measured RSS per worker (docs/serving.md) is ~150-200 MiB with
#: the default engine and a small NER model; budgeting more keeps headroom for large
#: batches and for pages that copy-on-write un-shares over time.
WORKER_RSS_MB_DEFAULT = 350
#: Request threads per worker.
THREADS_DEFAULT = 2
#: gunicorn's gthread worker answering its own errors in JSON (entrec.serving.http_worker).
WORKER_CLASS = "entrec.serving.http_worker.JsonErrorThreadWorker"
#: Master + OS share of memory kept out of the worker budget.
_RESERVED_FRACTION = 0.25


def _read_int(path: str) -> int | None:
    try:
        raw = Path(path).read_text().strip()
    except OSError:
        return None
    return int(raw) if raw.isdigit() else None


def memory_limit_bytes() -> int | None:
    """The container's memory limit (cgroup v2, then v1), else the machine's MemTotal."""
    limits = [v for v in (_read_int("/sys/fs/cgroup/memory.max"),
                          _read_int("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
              if v is not None and v < (1 << 60)]
    total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    candidates = limits + ([total] if total else [])
    return min(candidates) if candidates else None


def default_workers(cpus: int | None = None, memory_bytes: int | None = None,
                    worker_rss_mb: int = WORKER_RSS_MB_DEFAULT) -> int:
    """One worker per CPU, capped so workers x budget fits in 75 % of memory; at least 1."""
    cpus = cpus or os.cpu_count() or 1
    memory_bytes = memory_bytes if memory_bytes is not None else memory_limit_bytes()
    if not memory_bytes:
        return max(1, cpus)
    by_memory = int(memory_bytes * (1 - _RESERVED_FRACTION) // (worker_rss_mb * 1024 * 1024))
    return max(1, min(cpus, by_memory))


def _env_int(env: Mapping[str, str], *names: str) -> int | None:
    for n in names:
        raw = env.get(n)
        if raw and raw.strip():
            try:
                v = int(raw)
            except ValueError:
                raise SystemExit(f"serve: {n}={raw!r} is not an integer") from None
            if v < 1:
                raise SystemExit(f"serve: {n}={v} must be >= 1")
            return v
    return None


def _env_float(env: Mapping[str, str], name: str) -> float | None:
    raw = env.get(name)
    if not raw or not raw.strip():
        return None
    try:
        v = float(raw)
    except ValueError:
        raise SystemExit(f"serve: {name}={raw!r} is not a number") from None
    if not 0 < v <= 1000:
        raise SystemExit(f"serve: {name}={v} must be in (0, 1000]")
    return v


def freeze_gc(server: Any = None) -> None:
    """gunicorn `when_ready` hook (master, after the preload, before the first fork): collect
    once, then freeze every object alive into the permanent generation."""
    freeze_loaded()


def _set_switch_interval(seconds: float, worker: Any = None) -> None:
    """gunicorn `post_worker_init` hook: the GIL switch interval of this worker."""
    sys.setswitchinterval(seconds)


def settings(env: Mapping[str, str] | None = None, *, host: str = "0.0.0.0",
             port: int | None = None, workers: int | None = None,
             timeout: int | None = None) -> dict[str, Any]:
    """The gunicorn settings dict (explicit arguments win over the environment)."""
    env = os.environ if env is None else env
    port = port or _env_int(env, "SAGEMAKER_BIND_TO_PORT") or 8080
    rss = _env_int(env, "ENTREC_WORKER_RSS_MB") or WORKER_RSS_MB_DEFAULT
    workers = (workers or _env_int(env, "SAGEMAKER_MODEL_SERVER_WORKERS", "MODEL_SERVER_WORKERS")
               or default_workers(worker_rss_mb=rss))
    timeout = timeout or _env_int(env, "SAGEMAKER_MODEL_SERVER_TIMEOUT") or 60
    graceful = _env_int(env, "ENTREC_GRACEFUL_TIMEOUT") or 20
    threads = _env_int(env, "ENTREC_THREADS") or THREADS_DEFAULT
    switch_ms = _env_float(env, "ENTREC_SWITCH_INTERVAL_MS")
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    conf: dict[str, Any] = {
        "bind": [f"{host}:{port}"],
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "threads": threads,
        "worker_connections": 1000,
        "timeout": timeout,
        "graceful_timeout": graceful,
        "keepalive": 5,
        "preload_app": True,
        "backlog": 2048,
        "accesslog": None,
        "logconfig_dict": LOGCONFIG_DICT,
        "proc_name": "entrec-serve",
        "limit_request_line": 8190,
        "limit_request_fields": 100,
        "forwarded_allow_ips": "127.0.0.1",
    }
    if switch_ms is not None:
        conf["post_worker_init"] = partial(_set_switch_interval, switch_ms / 1000)
    if (env.get("ENTREC_GC_FREEZE") or "1").strip() != "0":
        conf["when_ready"] = freeze_gc
    if shm:
        conf["worker_tmp_dir"] = shm  # heartbeat file off the (possibly slow) overlay fs
    return conf


# Plain `gunicorn -c python:entrec.serving.gunicorn_conf` reads module-level names.
_conf = settings()
bind = _conf["bind"]
workers = _conf["workers"]
worker_class = _conf["worker_class"]
threads = _conf["threads"]
worker_connections = _conf["worker_connections"]
limit_request_line = _conf["limit_request_line"]
limit_request_fields = _conf["limit_request_fields"]
timeout = _conf["timeout"]
graceful_timeout = _conf["graceful_timeout"]
keepalive = _conf["keepalive"]
preload_app = _conf["preload_app"]
backlog = _conf["backlog"]
accesslog = _conf["accesslog"]
logconfig_dict = _conf["logconfig_dict"]
proc_name = _conf["proc_name"]
worker_tmp_dir = _conf.get("worker_tmp_dir")
if "post_worker_init" in _conf:
    post_worker_init = _conf["post_worker_init"]
if "when_ready" in _conf:
    when_ready = _conf["when_ready"]
