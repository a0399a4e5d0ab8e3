"""entrec's SageMaker-compatible predictor: Flask app (`create_app`), gunicorn entrypoint
(`serve`, see `entrec.serving.entrypoint`), Dockerfile and OpenAPI description (package data).

    from entrec.serving import create_app
    app = create_app("/opt/ml/model")   # loads and verifies both models, then serves
"""
from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):
    # Flask and the engine load only when the app is asked for.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
