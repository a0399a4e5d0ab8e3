"""`entrec deploy` against moto (S3 + SageMaker over HTTP), the Glue argument path, the gate."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from entrec.training.retrain import RetrainError, config_from_mapping, gate

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/entrec-dev-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/entrec-predictor:1"


def _upload_version(s3, bucket, tmp_path, version):
    from entrec.engine.artifact import sha256_file
    from entrec.training.package import package_model

    tar = package_model(tmp_path / version, name="entrec", version=version)  # rules-only, fast
    s3.upload_file(str(tar), bucket, f"models/{version}/model.tar.gz")
    s3.put_object(Bucket=bucket, Key=f"models/{version}/metrics.json",
                  Body=json.dumps({"artifact": {"sha256": sha256_file(tar)}}))
    return sha256_file(tar)


def _deploy(moto_endpoint, bucket, version, *extra):
    from entrec.cli.main import main

    return main(["deploy", "--bucket", bucket, "--version", version, "--env", "dev",
                 "--endpoint-name", "entrec-dev", "--image-uri", IMAGE, "--role-arn", ROLE,
                 "--endpoint-url", moto_endpoint, "--region", "us-east-1", "--timeout", "5",
                 *extra])


def _pointer(s3, bucket):
    return json.loads(s3.get_object(Bucket=bucket, Key="models/PRODUCTION")["Body"].read())


def test_cli_deploy_promotes_and_failed_update_keeps_production(
        s3, sm, bucket, moto_endpoint, sagemaker_updates, tmp_path, capsys):
    sha1 = _upload_version(s3, bucket, tmp_path, "v1")
    _upload_version(s3, bucket, tmp_path, "v2")
    assert _deploy(moto_endpoint, bucket, "v1") == 0
    assert _pointer(s3, bucket)["version"] == "v1" and _pointer(s3, bucket)["sha256"] == sha1
    assert sm.describe_endpoint(EndpointName="entrec-dev")["EndpointConfigName"] == "entrec-dev-v1"

    sagemaker_updates.outcomes["entrec-dev-v2"] = "failed"
    capsys.readouterr()
    assert _deploy(moto_endpoint, bucket, "v2") == 1
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["status"] == "deploy-failed" and out["rolled_back"] is True
    assert _pointer(s3, bucket)["version"] == "v1"  # PRODUCTION left on the previous version
    assert sm.describe_endpoint(EndpointName="entrec-dev")["EndpointConfigName"] == "entrec-dev-v1"


def test_cli_deploy_refuses_a_tampered_artifact(s3, bucket, moto_endpoint, sagemaker_updates,
                                                 tmp_path, capsys):
    _upload_version(s3, bucket, tmp_path, "v1")
    s3.put_object(Bucket=bucket, Key="models/v1/model.tar.gz", Body=b"not the artifact")
    assert _deploy(moto_endpoint, bucket, "v1") == 2
    assert "upload-verify-failed" in capsys.readouterr().err


def test_glue_path_uses_getresolvedoptions(tmp_path, monkeypatch):
    """With `awsglue` importable, the script resolves arguments the Glue way (strings)."""
    pkg = tmp_path / "awsglue"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text(
        "import argparse\n"
        "CALLS = []\n"
        "def getResolvedOptions(args, options):\n"
        "    CALLS.append(list(options))\n"
        "    p = argparse.ArgumentParser()\n"
        "    for o in options:\n"
        "        p.add_argument('--' + o, required=True)\n"
        "    ns, _ = p.parse_known_args(args[1:])\n"
        "    return vars(ns)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = {}
    import entrec.training.retrain as rt

    monkeypatch.setattr(rt, "run_retrain", lambda cfg: seen.setdefault("cfg", cfg) and
                        rt.RetrainResult("noop", "ok"))
    spec = importlib.util.spec_from_file_location("glue_job", ROOT / "glue" / "entrec_retrain.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rc = mod.main(["script.py", "--env", "hom", "--bucket", "acme-hom-entityrecognition",
                   "--min-f1", "0.7", "--deploy", "false", "--JOB_NAME", "x",
                   "--job-bookmark-option", "job-bookmark-disable"])
    assert rc == 0
    cfg = seen["cfg"]
    assert (cfg.env, cfg.bucket, cfg.min_f1, cfg.deploy) == ("hom", "acme-hom-entityrecognition",
                                                             0.7, False)
    import awsglue.utils

    assert awsglue.utils.CALLS == [["env", "bucket", "min-f1", "deploy"]]
    sys.modules.pop("awsglue", None), sys.modules.pop("awsglue.utils", None)


@pytest.mark.parametrize("values,code", [
    ({"env": "qa", "bucket": "b"}, "bad-env"),
    ({"env": "dev", "bucket": "acme-prod-entityrecognition"}, "env-bucket-mismatch"),
    ({"env": "dev", "bucket": "b", "min_f1": "1.5"}, "bad-threshold"),
    ({"env": "dev", "bucket": "b", "deploy": "true"}, "deploy-args-missing"),
    ({"env": "dev", "bucket": "b", "deploy": "maybe"}, "bad-argument"),
    ({"bucket": "b"}, "bad-argument"),
])
def test_bad_arguments_have_stable_codes(values, code):
    with pytest.raises(RetrainError) as ei:
        config_from_mapping(values)
    assert ei.value.code == code


def _scores(overall, **labels):
    return {"overall": {"f1": overall},
            "labels": {k: {"f1": v[0], "support": v[1]} for k, v in labels.items()}}


def test_gate_floor_and_drop_overall_and_per_label():
    prod = _scores(0.90, A=(0.95, 20), B=(0.80, 10), RARE=(1.0, 1))
    ok = gate(_scores(0.91, A=(0.96, 20), B=(0.79, 10), RARE=(0.0, 1)), prod,
              min_f1=0.5, max_f1_drop=0.02)
    assert ok.passed  # RARE has support 1 < 5: not checked per label
    bad_label = gate(_scores(0.92, A=(0.99, 20), B=(0.70, 10)), prod, min_f1=0.5, max_f1_drop=0.02)
    assert not bad_label.passed
    assert [(c.name, c.label) for c in bad_label.failures] == [("max-f1-drop", "B")]
    floor = gate(_scores(0.40, A=(0.40, 20)), None, min_f1=0.5, max_f1_drop=0.02)
    assert [(c.name, c.label) for c in floor.failures] == [("min-f1", "*"), ("min-f1", "A")]
