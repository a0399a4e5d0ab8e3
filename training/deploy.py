"""Deploy one model version to a SageMaker real-time endpoint, with rollback.

Why every resource is named after the version: SageMaker Models and EndpointConfigs are
immutable. A job that reuses a fixed name ("entrec-model") either fails on the second run or,
worse, "updates" the endpoint to the config it already has, and the endpoint silently keeps
serving the old model. Here the Model and the EndpointConfig are both called
`<endpoint>-<version>`; `update_endpoint` therefore always points at a new config, and success
is checked as "InService AND the endpoint's EndpointConfigName is the new one" (a failed
update can end InService on the *old* config: SageMaker rolls back by itself).

On failure the endpoint is put back on the config it had before (when it is not already
there) and `DeployError` (`deploy-failed`) is raised; the caller (training/retrain.py,
`entrec deploy`) then leaves `models/PRODUCTION` on the previous version.

Re-running a deployment of the same version is idempotent: existing Model/EndpointConfig of
that name are reused, and an endpoint already on that config is only waited for.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from entrec.engine.errors import EntrecError

__all__ = [
    "DeployError", "DeploySpec", "DeployResult", "deploy_version", "resource_name",
    "model_data_url",
]

_NAME_MAX = 63  # SageMaker: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}


class DeployError(EntrecError):
    """The endpoint did not reach InService on the new config (it was rolled back)."""

    code = "deploy-failed"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None,
                 rolled_back: bool = False, previous_config: str | None = None,
                 events: list[str] | None = None):
        super().__init__(message, code=code, hint=hint)
        self.rolled_back = rolled_back
        self.previous_config = previous_config
        self.events = list(events or [])


@dataclass(frozen=True)
class DeploySpec:
    """What to deploy and where. `model_data_url` is the S3 URL of `model.tar.gz`."""

    endpoint_name: str
    version: str
    model_data_url: str
    image_uri: str
    role_arn: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    variant_name: str = "AllTraffic"
    environment: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DeployResult:
    endpoint_name: str
    model_name: str
    endpoint_config_name: str
    previous_config: str | None
    action: str  # "created" | "updated" | "unchanged"
    events: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_name": self.endpoint_name, "model_name": self.model_name,
            "endpoint_config_name": self.endpoint_config_name,
            "previous_config": self.previous_config, "action": self.action,
            "events": list(self.events),
        }


def model_data_url(bucket: str, version: str, models_prefix: str = "models/") -> str:
    return f"s3://{bucket}/{models_prefix.rstrip('/')}/{version}/model.tar.gz"


def resource_name(endpoint_name: str, version: str) -> str:
    """`<endpoint>-<version>` squeezed into SageMaker's 63-char name rule.

    The version part is kept whole (it is what makes the name unique); the endpoint part is
    cut when needed. Characters outside [A-Za-z0-9-] become "-".
    """
    clean_v = re.sub(r"[^A-Za-z0-9-]+", "-", version).strip("-")
    clean_e = re.sub(r"[^A-Za-z0-9-]+", "-", endpoint_name).strip("-")
    room = _NAME_MAX - len(clean_v) - 1
    if room < 1:
        name = clean_v[-_NAME_MAX:]
    else:
        name = f"{clean_e[:room].rstrip('-')}-{clean_v}"
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name):
        raise EntrecError(f"cannot build a SageMaker name from {endpoint_name!r} and {version!r}",
                          code="bad-resource-name")
    return name


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _error_message(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Message", exc))


def _is_missing(exc: Exception) -> bool:
    return _error_code(exc) in ("ValidationException", "ValidationError") and (
        "could not find" in _error_message(exc).lower())


def _describe_endpoint(sm, name: str) -> dict | None:
    try:
        return sm.describe_endpoint(EndpointName=name)
    except Exception as exc:  # botocore.exceptions.ClientError
        if _is_missing(exc):
            return None
        raise


def _exists(describe: Callable[[], dict]) -> dict | None:
    try:
        return describe()
    except Exception as exc:  # botocore.exceptions.ClientError
        if _is_missing(exc):
            return None
        raise


def _ensure_model(sm, spec: DeploySpec, name: str, events: list[str]) -> None:
    """Create the Model, or reuse it when a previous attempt of this version made it.

    Describe first instead of catching "already exists": the error text is not a contract.
    """
    existing = _exists(lambda: sm.describe_model(ModelName=name))
    if existing is not None:
        url = (existing.get("PrimaryContainer") or {}).get("ModelDataUrl")
        if url != spec.model_data_url:
            raise DeployError(f"model {name} exists with other model data ({url})",
                              code="deploy-name-conflict", events=events)
        events.append(f"reused model {name}")
        return
    kwargs: dict[str, Any] = {
        "ModelName": name,
        "PrimaryContainer": {"Image": spec.image_uri, "ModelDataUrl": spec.model_data_url,
                             "Environment": dict(spec.environment)},
        "ExecutionRoleArn": spec.role_arn,
    }
    if spec.tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    sm.create_model(**kwargs)
    events.append(f"created model {name}")


def _ensure_config(sm, spec: DeploySpec, name: str, model_name: str, events: list[str]) -> None:
    existing = _exists(lambda: sm.describe_endpoint_config(EndpointConfigName=name))
    if existing is not None:
        models = {v.get("ModelName") for v in existing.get("ProductionVariants", [])}
        if models != {model_name}:
            raise DeployError(f"endpoint config {name} exists with other models {sorted(models)}",
                              code="deploy-name-conflict", events=events)
        events.append(f"reused endpoint config {name}")
        return
    kwargs: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": [{
            "VariantName": spec.variant_name, "ModelName": model_name,
            "InitialInstanceCount": spec.instance_count,
            "InstanceType": spec.instance_type, "InitialVariantWeight": 1.0,
        }],
    }
    if spec.tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
    sm.create_endpoint_config(**kwargs)
    events.append(f"created endpoint config {name}")


def _wait(sm, endpoint: str, *, timeout: float, poll: float,
          sleep: Callable[[float], None], clock: Callable[[], float]) -> dict:
    """Poll until the endpoint leaves Creating/Updating/...; returns the last description."""
    deadline = clock() + timeout
    while True:
        desc = sm.describe_endpoint(EndpointName=endpoint)
        status = desc.get("EndpointStatus")
        if status in ("InService", "Failed", "OutOfService", "UpdateRollbackFailed"):
            return desc
        if clock() >= deadline:
            return desc
        sleep(poll)


def deploy_version(sm, spec: DeploySpec, *, timeout: float = 1800.0, poll: float = 15.0,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic) -> DeployResult:
    """Create Model + EndpointConfig `<endpoint>-<version>`, point the endpoint at it, wait.

    `sm` is a boto3 SageMaker client. Raises DeployError after rolling back when the endpoint
    does not end InService on the new config within `timeout` seconds.
    """
    events: list[str] = []
    name = resource_name(spec.endpoint_name, spec.version)
    _ensure_model(sm, spec, name, events)
    _ensure_config(sm, spec, name, name, events)

    before = _describe_endpoint(sm, spec.endpoint_name)
    previous = before.get("EndpointConfigName") if before else None
    if before is None:
        kwargs: dict[str, Any] = {"EndpointName": spec.endpoint_name, "EndpointConfigName": name}
        if spec.tags:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in spec.tags.items()]
        sm.create_endpoint(**kwargs)
        action = "created"
        events.append(f"created endpoint {spec.endpoint_name} on {name}")
    elif previous == name:
        action = "unchanged"
        events.append(f"endpoint {spec.endpoint_name} already on {name}")
    else:
        if before.get("EndpointStatus") not in ("InService", "Failed", "OutOfService"):
            # an update in flight would make ours fail with a confusing message
            before = _wait(sm, spec.endpoint_name, timeout=timeout, poll=poll, sleep=sleep,
                           clock=clock)
            previous = before.get("EndpointConfigName")
        try:
            sm.update_endpoint(EndpointName=spec.endpoint_name, EndpointConfigName=name)
        except Exception as exc:
            raise DeployError(f"update_endpoint refused: {_error_message(exc)}",
                              previous_config=previous, events=events) from None
        action = "updated"
        events.append(f"update_endpoint {spec.endpoint_name}: {previous} -> {name}")

    desc = _wait(sm, spec.endpoint_name, timeout=timeout, poll=poll, sleep=sleep, clock=clock)
    status = desc.get("EndpointStatus")
    current = desc.get("EndpointConfigName")
    if status == "InService" and current == name:
        events.append(f"endpoint {spec.endpoint_name} InService on {name}")
        return DeployResult(spec.endpoint_name, name, name, previous, action, events)

    reason = desc.get("FailureReason") or (
        f"timed out after {timeout:.0f}s" if status not in ("InService", "Failed") else "")
    events.append(f"endpoint {spec.endpoint_name} ended {status} on {current}: {reason}")
    rolled_back = _rollback(sm, spec.endpoint_name, previous, desc, events, timeout=timeout,
                            poll=poll, sleep=sleep, clock=clock)
    raise DeployError(
        f"endpoint {spec.endpoint_name} did not become InService on {name} "
        f"(status {status}, config {current}){': ' + reason if reason else ''}",
        hint=("rolled back to " + previous) if rolled_back and previous else
             "no previous config to roll back to" if previous is None else
             f"rollback to {previous} failed: see the events",
        rolled_back=rolled_back, previous_config=previous, events=events)


def _rollback(sm, endpoint: str, previous: str | None, desc: dict, events: list[str], *,
              timeout: float, poll: float, sleep, clock) -> bool:
    """Put the endpoint back on `previous`; True when it is InService there afterwards."""
    if previous is None:
        events.append("no previous endpoint config: nothing to roll back")
        return False
    if desc.get("EndpointConfigName") == previous and desc.get("EndpointStatus") == "InService":
        events.append(f"endpoint already back on {previous} (SageMaker rolled back)")
        return True
    try:
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=previous)
        events.append(f"rollback: update_endpoint {endpoint} -> {previous}")
        after = _wait(sm, endpoint, timeout=timeout, poll=poll, sleep=sleep, clock=clock)
    except Exception as exc:
        events.append(f"rollback failed: {_error_message(exc)}")
        return False
    ok = after.get("EndpointStatus") == "InService" and after.get("EndpointConfigName") == previous
    events.append(f"rollback {'succeeded' if ok else 'failed'}: "
                  f"{after.get('EndpointStatus')} on {after.get('EndpointConfigName')}")
    return ok
