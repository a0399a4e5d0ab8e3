"""`serve`: the production server SageMaker starts with `docker run <image> serve`.

Order of events, and why:
1. Settings and the model location are read from the environment (`SM_MODEL_DIR`,
   `/opt/ml/model`; `--model` wins). An empty or absent `/opt/ml/model` serves the
   embedded default engine.
2. The artifact is opened, checksum-verified and both engines are built and warmed up in
   this process, *before* gunicorn forks. A bad artifact ends the container here with a
   JSON log line and exit code 2; SageMaker reports the failed health check with that log.
3. gunicorn (this same process becomes its master, so SIGTERM from `docker stop` /
   SageMaker reaches it directly when the image uses an exec-form ENTRYPOINT) binds
   `0.0.0.0:${SAGEMAKER_BIND_TO_PORT:-8080}` and forks workers that share the preloaded
   app. On SIGTERM in-flight requests get `graceful_timeout` (20 s) to finish.

A leading `serve` argument is accepted and ignored, so both `ENTRYPOINT ["serve"]` with
SageMaker's `serve` argument and a plain `serve` work.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

__all__ = ["main", "run_server", "build_parser"]

_T0 = time.monotonic()
log = logging.getLogger("entrec.serving")


def build_parser(prog: str = "serve") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="entrec SageMaker predictor (gunicorn)")
    add_server_arguments(p, default_host="0.0.0.0")
    return p


def add_server_arguments(p: argparse.ArgumentParser, *, default_host: str) -> None:
    p.add_argument("--model", metavar="DIR",
                   help="model dir, model.tar.gz or folder holding it (default: SM_MODEL_DIR or "
                        "/opt/ml/model when not empty, else the embedded default engine)")
    p.add_argument("--host", default=default_host, help=f"bind address (default {default_host})")
    p.add_argument("--port", type=int, help="port (default SAGEMAKER_BIND_TO_PORT or 8080)")
    p.add_argument("--workers", type=int,
                   help="gunicorn workers (default SAGEMAKER_MODEL_SERVER_WORKERS, "
                        "MODEL_SERVER_WORKERS, or one per CPU within the memory budget)")
    p.add_argument("--timeout", type=int,
                   help="worker timeout in seconds (default SAGEMAKER_MODEL_SERVER_TIMEOUT or 60)")
    p.add_argument("--local-runtime", action="store_true",
                   help="also answer POST /endpoints/<name>/invocations (boto3 sagemaker-runtime "
                        "with endpoint_url)")


def _fail(code: str, message: str, hint: str | None = None) -> int:
    line = {"level": "error", "logger": "entrec.serving", "event": "startup-failed",
            "code": code, "msg": message}
    if hint:
        line["hint"] = hint
    print(json.dumps(line, ensure_ascii=False), file=sys.stderr, flush=True)
    return 2


def run_server(*, model: str | Path | None = None, host: str = "0.0.0.0", port: int | None = None,
               workers: int | None = None, timeout: int | None = None,
               local_runtime: bool = False, model_from_env: bool = True) -> int:
    """Load + verify the models, then run gunicorn until it is stopped. Returns the exit code.

    model_from_env: without `model`, look at SM_MODEL_DIR / /opt/ml/model (the container);
    `entrec serve` passes False so that no `--model` means the embedded default engine.
    """
    from entrec.engine.errors import EntrecError

    from .logs import configure_logging

    configure_logging()
    for name, value in (("--port", port), ("--workers", workers), ("--timeout", timeout)):
        if value is not None and value < 1:
            return _fail("bad-usage", f"{name} must be >= 1")
    if local_runtime:
        os.environ["ENTREC_LOCAL_RUNTIME"] = "1"
    try:
        from . import gunicorn_conf
        from .app import create_app
        from .settings import Settings, model_dir_from_env

        conf = gunicorn_conf.settings(host=host, port=port, workers=workers, timeout=timeout)
        settings = Settings.from_env(workers=conf["workers"])
        model_dir = Path(model) if model else (model_dir_from_env() if model_from_env else None)
        app = create_app(model_dir, settings=settings, eager=True)
    except EntrecError as exc:
        return _fail(exc.code, exc.message, exc.hint)
    except SystemExit as exc:  # bad integer in the environment
        return _fail("bad-setting", str(exc.code))
    except Exception as exc:  # anything else a bad artifact can raise: still no traceback
        return _fail("model-load-failed", f"the model could not be loaded: "
                     f"{type(exc).__name__}: {str(exc)[:500]}",
                     "check the artifact's rule files with `entrec validate`")
    models = app.extensions["entrec.models"]
    log.info("starting gunicorn", extra={"fields": {
        "event": "server-starting", "bind": conf["bind"], "workers": conf["workers"],
        "timeout": conf["timeout"], "model_dir": str(model_dir) if model_dir else None,
        "load_seconds": round(models.load_seconds or 0.0, 3),
        "since_start_seconds": round(time.monotonic() - _T0, 3), **models.info}})

    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def __init__(self, application: Any, options: dict[str, Any]):
            self.application = application
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for k, v in self.options.items():
                if v is not None and k in self.cfg.settings:
                    self.cfg.set(k, v)

        def load(self) -> Any:
            return self.application

    freeze = conf.get("when_ready")  # gunicorn_conf.freeze_gc unless ENTREC_GC_FREEZE=0

    def when_ready(server: Any) -> None:
        if freeze is not None:
            freeze(server)
        log.info("ready", extra={"fields": {"event": "server-ready", "bind": conf["bind"],
                                            "since_start_seconds": round(time.monotonic() - _T0, 3)}})

    conf["when_ready"] = when_ready
    _Server(app, conf).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    args = build_parser().parse_args(argv)
    return run_server(model=args.model, host=args.host, port=args.port, workers=args.workers,
                      timeout=args.timeout, local_runtime=args.local_runtime)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
