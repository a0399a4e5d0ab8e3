"""boto3's real sagemaker-runtime client against the running predictor (endpoint_url), no
patching: success, ModelError (424) on predictor errors, ValidationError on a wrong endpoint."""
from __future__ import annotations

import json

import pytest

TEXT = "A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV."  # same as conftest.TEXT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def runtime(server, monkeypatch):
    import boto3
    from botocore.config import Config

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(k, v)
    return boto3.client("sagemaker-runtime", region_name="us-east-1", endpoint_url=server.url,
                        config=Config(retries={"max_attempts": 1}))


def test_invoke_endpoint_json(runtime):
    r = runtime.invoke_endpoint(EndpointName="entrec-local", ContentType="application/json",
                                Accept="application/json",
                                Body=json.dumps({"text": TEXT}).encode())
    assert r["ContentType"].startswith("application/json")
    assert r["InvokedProductionVariant"] == "AllTraffic"
    body = json.loads(r["Body"].read())
    assert {e["label"] for e in body["entities"]} >= {"AGENTE", "SUBESTACAO", "INEQUALITY"}
    assert body["model"] == {"name": "entrec-test", "version": "2024.1"}
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_invoke_endpoint_custom_attributes_and_jsonlines(runtime):
    r = runtime.invoke_endpoint(EndpointName="entrec-local", ContentType="application/jsonlines",
                                CustomAttributes="models=inequalities",
                                Body=b'{"text": "acima de 5 kV"}\n{"text": "SE Xingu"}\n')
    lines = r["Body"].read().decode().splitlines()
    assert [[e["label"] for e in json.loads(x)["entities"]] for x in lines] == [["INEQUALITY"], []]


def test_predictor_error_is_model_error(runtime):
    with pytest.raises(runtime.exceptions.ModelError) as e:
        runtime.invoke_endpoint(EndpointName="entrec-local", ContentType="application/json",
                                Body=b'{"text": 42}')
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["Error"]["Code"] == "ModelError"
    assert err["OriginalStatusCode"] == 400
    original = json.loads(err["OriginalMessage"])
    assert original["error"]["code"] == "invalid-text"
    assert "Received client error (400)" in err["Error"]["Message"]


def test_unsupported_content_type_is_model_error_415(runtime):
    with pytest.raises(runtime.exceptions.ModelError) as e:
        runtime.invoke_endpoint(EndpointName="entrec-local", ContentType="application/pdf",
                                Body=b"%PDF")
    assert e.value.response["OriginalStatusCode"] == 415


def test_unknown_endpoint_is_validation_error(runtime):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as e:
        runtime.invoke_endpoint(EndpointName="other", ContentType="application/json",
                                Body=b'{"text": "a"}')
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
