"""Predictor settings, read once from the environment (SageMaker configures containers that way).

| variable | default | meaning |
|---|---|---|
| `SM_MODEL_DIR` | `/opt/ml/model` | model directory or folder holding `model.tar.gz` |
| `ENTREC_MAX_PAYLOAD_BYTES` | 6291456 | request body limit (SageMaker real-time limit); 413 above |
| `ENTREC_MAX_TEXTS` | 10000 | texts (or JSON Lines records) per request; 413 above |
| `ENTREC_MAX_TEXT_CHARS` | 100000 | characters per text; 413 above |
| `ENTREC_BATCH_MAX_PAYLOAD_MB` | 1 | `MaxPayloadInMB` advertised to Batch Transform (1 MB of text fits `ENTREC_MAX_REQUEST_CHARS`) |
| `ENTREC_MAX_CONCURRENT_TRANSFORMS` | workers | `MaxConcurrentTransforms` advertised to Batch Transform |
| `ENTREC_LOCAL_RUNTIME` | off | also answer `POST /endpoints/<name>/invocations` (local SageMaker Runtime) |
| `ENTREC_LOCAL_ENDPOINT_NAME` | any | when set, the only endpoint name the local route accepts |
| `ENTREC_BATCH_SIZE` | 64 | `Engine.pipe` batch size |
| `ENTREC_MAX_REQUEST_CHARS` | 1000000 | characters of all texts of one request together; 413 above |
| `ENTREC_REQUEST_BUDGET_SECONDS` | 30 | engine time per request; 422 `time-budget-exceeded` past it |
| `ENTREC_BODY_TIMEOUT_SECONDS` | 20 | the whole body must arrive within this; 408 `body-timeout` |
| `ENTREC_SEND_TIMEOUT_SECONDS` | 30 | a client that reads nothing of a response for this long is dropped |

Why a total-characters limit below what 6 MiB of JSON can hold: the engine's cost grows
with characters, and SageMaker abandons an invocation after 60 s; 1,000,000 characters
(about 150,000 words) finish in a few seconds even on a busy CPU (docs/serving.md), so the
largest allowed request stays well inside both the budget and SageMaker's timeout.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from entrec.engine.errors import EntrecError

__all__ = ["Settings", "DEFAULT_MODEL_DIR", "SAGEMAKER_PAYLOAD_LIMIT", "env_flag", "model_dir_from_env"]

DEFAULT_MODEL_DIR = Path("/opt/ml/model")
#: SageMaker real-time InvokeEndpoint payload limit (6 MiB); boto3 does not check it.
SAGEMAKER_PAYLOAD_LIMIT = 6 * 1024 * 1024


def env_flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise EntrecError(f"{name}={raw!r} is not an integer", code="bad-setting") from None
    if value < minimum:
        raise EntrecError(f"{name}={value} must be >= {minimum}", code="bad-setting")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the app needs besides the engines."""

    max_payload_bytes: int = SAGEMAKER_PAYLOAD_LIMIT
    max_texts: int = 10_000
    max_text_chars: int = 100_000
    batch_max_payload_mb: int = 1
    max_concurrent_transforms: int | None = None
    local_runtime: bool = False
    local_endpoint_name: str | None = None
    batch_size: int = 64
    workers: int = 1
    max_request_chars: int = 1_000_000
    request_budget_seconds: float = 30.0
    body_timeout_seconds: float = 20.0
    send_timeout_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = dict(
            max_payload_bytes=_int(env, "ENTREC_MAX_PAYLOAD_BYTES", SAGEMAKER_PAYLOAD_LIMIT),
            max_texts=_int(env, "ENTREC_MAX_TEXTS", 10_000),
            max_text_chars=_int(env, "ENTREC_MAX_TEXT_CHARS", 100_000),
            batch_max_payload_mb=_int(env, "ENTREC_BATCH_MAX_PAYLOAD_MB", 1),
            max_concurrent_transforms=(_int(env, "ENTREC_MAX_CONCURRENT_TRANSFORMS", 1)
                                       if env.get("ENTREC_MAX_CONCURRENT_TRANSFORMS") else None),
            local_runtime=env_flag(env.get("ENTREC_LOCAL_RUNTIME")),
            local_endpoint_name=env.get("ENTREC_LOCAL_ENDPOINT_NAME") or None,
            batch_size=_int(env, "ENTREC_BATCH_SIZE", 64),
            workers=_int(env, "SAGEMAKER_MODEL_SERVER_WORKERS",
                         _int(env, "MODEL_SERVER_WORKERS", 1)),
            max_request_chars=_int(env, "ENTREC_MAX_REQUEST_CHARS", 1_000_000),
            request_budget_seconds=float(_int(env, "ENTREC_REQUEST_BUDGET_SECONDS", 30)),
            body_timeout_seconds=float(_int(env, "ENTREC_BODY_TIMEOUT_SECONDS", 20)),
            send_timeout_seconds=float(_int(env, "ENTREC_SEND_TIMEOUT_SECONDS", 30)),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def model_dir_from_env(env: Mapping[str, str] | None = None) -> Path | None:
    """`SM_MODEL_DIR` or `/opt/ml/model` when it exists and is not empty, else None.

    None means "serve the embedded default engine": a SageMaker model without
    `ModelDataUrl` gets an empty `/opt/ml/model`.
    """
    env = os.environ if env is None else env
    raw = env.get("SM_MODEL_DIR")
    path = Path(raw) if raw else DEFAULT_MODEL_DIR
    if raw and not path.exists():
        raise EntrecError(f"SM_MODEL_DIR={raw} does not exist", code="artifact-not-found")
    if path.is_dir() and any(path.iterdir()):
        return path
    if path.is_file():
        return path
    return None

