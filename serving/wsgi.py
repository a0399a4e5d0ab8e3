"""WSGI module for running under any server: `gunicorn -c python:entrec.serving.gunicorn_conf entrec.serving.wsgi:app`.

Importing it loads and verifies the model (SM_MODEL_DIR or /opt/ml/model, else the
embedded defaults), so with gunicorn's `preload_app` that happens once before forking.
`serve` (entrec.serving.entrypoint) is the supported way; this is for other WSGI servers.
"""
from __future__ import annotations

from .app import create_app
from .settings import model_dir_from_env

__all__ = ["app"]

app = create_app(model_dir_from_env())
