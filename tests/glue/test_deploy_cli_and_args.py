"""`entrec deploy` against the moto stand-in (S3 + SageMaker over HTTP), run as a user runs
it; the Glue argument path; the gate."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from entrec.training.retrain import RetrainError, config_from_mapping, gate

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/entrec-dev-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/entrec-predictor:1"


def _upload_version(s3, bucket, tmp_path, version, gate_passed: bool | None = True):
    """A rules-only artifact (fast) with its metrics.json and, unless None, its gate.json."""
    from entrec.engine.artifact import sha256_file
    from entrec.training.package import package_model

    tar = package_model(tmp_path / version, name="entrec", version=version)
    s3.upload_file(str(tar), bucket, f"models/{version}/model.tar.gz")
    s3.put_object(Bucket=bucket, Key=f"models/{version}/metrics.json",
                  Body=json.dumps({"artifact": {"sha256": sha256_file(tar)}}))
    if gate_passed is not None:
        s3.put_object(Bucket=bucket, Key=f"models/{version}/gate.json", Body=json.dumps(
            {"passed": gate_passed, "decided": True,
             "failures": [] if gate_passed else ["overall: F1 0.0000 < floor 0.5000"]}))
    return sha256_file(tar)


def _deploy(moto_endpoint, bucket, version, *extra, endpoint="entrec-dev"):
    from entrec.cli.main import main

    return main(["deploy", "--bucket", bucket, "--version", version, "--env", "dev",
                 "--endpoint-name", endpoint, "--image-uri", IMAGE, "--role-arn", ROLE,
                 "--endpoint-url", moto_endpoint, "--region", "us-east-1", "--timeout", "5",
                 "--poll-interval", "0", *extra])


def _deploy_as_user(aws_env, bucket, version, *extra):
    """`entrec deploy` in its own process, with the real 15 s poll interval replaced only by
    the option a user has (--poll-interval), over HTTP to the stand-in."""
    cmd = [sys.executable, "-m", "entrec.cli", "deploy", "--bucket", bucket,
           "--version", version, "--endpoint-name", "entrec-dev", "--image-uri", IMAGE,
           "--role-arn", ROLE, "--timeout", "30", "--poll-interval", "0.05", *extra]
    return subprocess.run(cmd, env={**aws_env, "PATH": "/usr/bin:/bin"}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


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


def test_deploy_update_and_rollback_run_over_http_as_a_user_runs_them(
        s3, sm, bucket, aws_env, sagemaker_updates, tmp_path):
    _upload_version(s3, bucket, tmp_path, "v1")
    _upload_version(s3, bucket, tmp_path, "v2")
    _upload_version(s3, bucket, tmp_path, "v3")
    assert _deploy_as_user(aws_env, bucket, "v1").returncode == 0  # creates the endpoint
    ok = _deploy_as_user(aws_env, bucket, "v2")                     # UpdateEndpoint
    assert ok.returncode == 0, ok.stderr
    out = json.loads(ok.stdout.strip().splitlines()[-1])
    assert (out["status"], out["action"], out["previous_config"]) == (
        "promoted", "updated", "entrec-dev-v1")
    assert _pointer(s3, bucket)["version"] == "v2"
    sagemaker_updates.outcomes["entrec-dev-v3"] = "failed"
    bad = _deploy_as_user(aws_env, bucket, "v3")                    # update fails: rollback
    assert bad.returncode == 1
    out = json.loads(bad.stdout.strip().splitlines()[-1])
    assert out["status"] == "deploy-failed" and out["rolled_back"] is True
    assert sagemaker_updates.calls == [("entrec-dev", "entrec-dev-v2"),
                                       ("entrec-dev", "entrec-dev-v3"),
                                       ("entrec-dev", "entrec-dev-v2")]
    assert sm.describe_endpoint(EndpointName="entrec-dev")["EndpointConfigName"] == "entrec-dev-v2"
    assert _pointer(s3, bucket)["version"] == "v2"


def test_deploy_refuses_a_gated_or_ungated_version_unless_forced(
        s3, bucket, moto_endpoint, sagemaker_updates, tmp_path, capsys):
    _upload_version(s3, bucket, tmp_path, "v1")
    assert _deploy(moto_endpoint, bucket, "v1") == 0
    _upload_version(s3, bucket, tmp_path, "bad", gate_passed=False)
    _upload_version(s3, bucket, tmp_path, "nogate", gate_passed=None)
    capsys.readouterr()
    assert _deploy(moto_endpoint, bucket, "bad") == 2
    err = capsys.readouterr().err
    assert "gate-not-passed" in err and "rejected by the gate" in err and "--force" in err
    assert _deploy(moto_endpoint, bucket, "nogate") == 2
    assert "gate-missing" in capsys.readouterr().err
    assert _pointer(s3, bucket)["version"] == "v1"
    assert sagemaker_updates.calls == []  # refused before touching the endpoint
    # --force deploys it, and says so
    assert _deploy(moto_endpoint, bucket, "bad", "--force") == 0
    cap = capsys.readouterr()
    assert "deploying anyway (--force)" in cap.err
    out = json.loads(cap.out.strip().splitlines()[-1])
    assert out["status"] == "promoted" and "forced" in out
    assert _pointer(s3, bucket)["version"] == "bad"


def test_deploy_to_another_endpoint_leaves_production_alone(
        s3, sm, bucket, moto_endpoint, sagemaker_updates, tmp_path, capsys):
    _upload_version(s3, bucket, tmp_path, "v1")
    _upload_version(s3, bucket, tmp_path, "v2")
    assert _deploy(moto_endpoint, bucket, "v1") == 0
    capsys.readouterr()
    assert _deploy(moto_endpoint, bucket, "v2", endpoint="entrec-dev-shadow") == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out.strip().splitlines()[-1])
    assert out["status"] == "deployed" and out["production"] == "v1"
    assert "PRODUCTION not moved" in cap.err and "entrec-dev" in cap.err
    assert sm.describe_endpoint(EndpointName="entrec-dev-shadow")["EndpointConfigName"] == \
        "entrec-dev-shadow-v2"
    assert _pointer(s3, bucket)["version"] == "v1"


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
                        rt.RetrainResult("noop", "ok"))  # the job itself is tested end to end
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
    ({"env": "dev", "bucket": "b", "deploy": "true", "endpoint_name": "entrec-dev-shadow",
      "image_uri": "i", "role_arn": "r"}, "endpoint-not-production"),
    ({"env": "dev", "bucket": "b", "heldout_fraction": "0"}, "bad-threshold"),
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


def test_job_help_describes_every_argument_and_exit_status():
    from entrec.training.retrain import ARGUMENTS, build_arg_parser

    text = build_arg_parser().format_help()
    for action in build_arg_parser()._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.option_strings
    assert len([a for a in build_arg_parser()._actions if a.option_strings]) == len(ARGUMENTS) + 1
    assert "3 too few documents to decide" in " ".join(text.split())
