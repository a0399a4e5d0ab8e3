"""training/deploy.py against moto's SageMaker over HTTP (UpdateEndpoint: see conftest)."""
from __future__ import annotations

import pytest

from entrec.training.deploy import DeployError, DeploySpec, deploy_version, resource_name

ROLE = "arn:aws:iam::123456789012:role/entrec-dev-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/entrec-predictor:1"


def spec(version: str, endpoint: str = "entrec-dev") -> DeploySpec:
    return DeploySpec(endpoint_name=endpoint, version=version,
                      model_data_url=f"s3://b/models/{version}/model.tar.gz",
                      image_uri=IMAGE, role_arn=ROLE, instance_type="ml.t2.medium")


def fast(sm, s, **kw):
    return deploy_version(sm, s, timeout=kw.pop("timeout", 5), poll=0.0, sleep=lambda _: None,
                          **kw)


def test_resource_name_keeps_version_and_fits_sagemaker_rules():
    v = "20250102T030405Z-0123456789ab"
    assert resource_name("entrec-prod", v) == f"entrec-prod-{v}"
    long = resource_name("x" * 80, v)
    assert len(long) <= 63 and long.endswith(v)
    assert resource_name("my_endpoint", "v1.2") == "my-endpoint-v1-2"


def test_first_deploy_creates_model_config_and_endpoint(sm, sagemaker_updates):
    r = fast(sm, spec("20250101T000000Z-aaaaaaaaaaaa"))
    name = "entrec-dev-20250101T000000Z-aaaaaaaaaaaa"
    assert (r.action, r.model_name, r.endpoint_config_name, r.previous_config) == (
        "created", name, name, None)
    model = sm.describe_model(ModelName=name)
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith("/model.tar.gz")
    assert model["PrimaryContainer"]["Image"] == IMAGE
    cfg = sm.describe_endpoint_config(EndpointConfigName=name)
    assert cfg["ProductionVariants"][0]["ModelName"] == name
    assert cfg["ProductionVariants"][0]["InstanceType"] == "ml.t2.medium"
    ep = sm.describe_endpoint(EndpointName="entrec-dev")
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService", name)
    assert sagemaker_updates.calls == []


def test_second_version_updates_endpoint_to_a_new_config(sm, sagemaker_updates):
    fast(sm, spec("v1"))
    r = fast(sm, spec("v2"))
    assert r.action == "updated" and r.previous_config == "entrec-dev-v1"
    assert sagemaker_updates.calls == [("entrec-dev", "entrec-dev-v2")]
    ep = sm.describe_endpoint(EndpointName="entrec-dev")
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService", "entrec-dev-v2")
    # immutable, versioned resources: both configs still exist
    assert {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]} >= {
        "entrec-dev-v1", "entrec-dev-v2"}


def test_redeploying_the_same_version_is_idempotent(sm, sagemaker_updates):
    fast(sm, spec("v1"))
    r = fast(sm, spec("v1"))
    assert r.action == "unchanged"
    assert sagemaker_updates.calls == []
    assert any("reused model" in e for e in r.events)


def test_failed_update_rolls_back_to_previous_config(sm, sagemaker_updates):
    fast(sm, spec("v1"))
    sagemaker_updates.outcomes["entrec-dev-v2"] = "failed"
    with pytest.raises(DeployError) as ei:
        fast(sm, spec("v2"))
    err = ei.value
    assert err.code == "deploy-failed" and err.rolled_back
    assert err.previous_config == "entrec-dev-v1"
    assert "ping health check" in err.message
    assert sagemaker_updates.calls == [("entrec-dev", "entrec-dev-v2"),
                                       ("entrec-dev", "entrec-dev-v1")]
    ep = sm.describe_endpoint(EndpointName="entrec-dev")
    assert (ep["EndpointStatus"], ep["EndpointConfigName"]) == ("InService", "entrec-dev-v1")


def test_update_that_sagemaker_rolled_back_itself_is_a_failure(sm, sagemaker_updates):
    """InService is not enough: the endpoint must be on the NEW config."""
    fast(sm, spec("v1"))
    sagemaker_updates.outcomes["entrec-dev-v2"] = "auto-rollback"
    with pytest.raises(DeployError) as ei:
        fast(sm, spec("v2"))
    assert ei.value.rolled_back
    assert sagemaker_updates.calls == [("entrec-dev", "entrec-dev-v2")]  # no 2nd update needed
    assert sm.describe_endpoint(EndpointName="entrec-dev")["EndpointConfigName"] == "entrec-dev-v1"


def test_timeout_reports_and_does_not_claim_success(sm, sagemaker_updates):
    fast(sm, spec("v1"))
    sagemaker_updates.outcomes["entrec-dev-v2"] = "stuck"
    ticks = iter(range(10_000))
    with pytest.raises(DeployError) as ei:
        deploy_version(sm, spec("v2"), timeout=3, poll=1, sleep=lambda _: None,
                       clock=lambda: float(next(ticks)))
    assert "timed out" in ei.value.message
    # the rollback update is refused while the endpoint is still Updating: reported, not hidden
    assert not ei.value.rolled_back
    assert any("rollback failed" in e for e in ei.value.events)


def test_name_conflict_with_other_model_data_is_refused(sm, sagemaker_updates):
    fast(sm, spec("v1"))
    other = DeploySpec(endpoint_name="entrec-dev", version="v1",
                       model_data_url="s3://b/models/OTHER/model.tar.gz",
                       image_uri=IMAGE, role_arn=ROLE)
    with pytest.raises(DeployError) as ei:
        fast(sm, other)
    assert ei.value.code == "deploy-name-conflict"
