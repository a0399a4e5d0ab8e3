"""infra/template.yaml: cfn-lint clean, plus the values cfn-lint does not check.

cfn-lint validates the resource schemas, but not that a SageMaker instance type exists, nor
Glue's command name / version / worker type combination, nor that the job's arguments are
ones the job script accepts: those are checked here.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"

# SageMaker real-time hosting instance families that serve a CPU container
SAGEMAKER_HOSTING = re.compile(
    r"^ml\.(t2\.(medium|large|xlarge|2xlarge)|m5d?\.(large|x?large|[2-9]?xlarge|12xlarge|24xlarge)"
    r"|c5d?\.(large|xlarge|2xlarge|4xlarge|9xlarge|18xlarge)|c6i\.(large|xlarge|2xlarge|4xlarge|8xlarge)"
    r"|m6i\.(large|xlarge|2xlarge|4xlarge|8xlarge)|r5\.(large|xlarge|2xlarge|4xlarge))$")
GLUE_COMMANDS = {"glueetl": {"2.0", "3.0", "4.0", "5.0"}, "gluestreaming": {"2.0", "3.0", "4.0", "5.0"},
                 "pythonshell": {"1.0", "3.0"}, "glueray": {"4.0"}}
GLUE_WORKER_TYPES = {"Standard", "G.1X", "G.2X", "G.4X", "G.8X", "G.025X", "Z.2X"}
LAMBDA_RUNTIMES = {"python3.10", "python3.11", "python3.12", "python3.13"}


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags as plain data."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        val = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        val = loader.construct_sequence(node, deep=True)
    else:
        val = loader.construct_mapping(node, deep=True)
    return {suffix: val}


_Loader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def tpl() -> dict:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (SafeLoader subclass)


def resources(tpl, rtype):
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == rtype}


def test_cfn_lint_is_clean():
    exe = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    assert Path(exe).exists(), "cfn-lint missing: `make venv` installs the test extra"
    proc = subprocess.run([exe, str(TEMPLATE)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_env_parameter_and_auth_modes(tpl):
    assert tpl["Parameters"]["Env"]["AllowedValues"] == ["dev", "hom", "prod"]
    assert set(tpl["Parameters"]["AuthMode"]["AllowedValues"]) == {"lambda", "jwt", "iam"}
    bucket = tpl["Resources"]["DataBucket"]["Properties"]
    assert bucket["BucketName"] == {"Sub": "${BucketPrefix}-${Env}-entityrecognition"}
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"]


def test_instance_types_exist(tpl):
    p = tpl["Parameters"]["EndpointInstanceType"]
    for v in p["AllowedValues"] + [p["Default"]]:
        assert SAGEMAKER_HOSTING.match(v), f"not a SageMaker hosting instance type: {v}"
    # and the checker itself rejects the classic mistakes
    for bad in ("m5.large", "ml.m5.medium", "ml.t3.micro", "ml.g9.xlarge"):
        assert not SAGEMAKER_HOSTING.match(bad)


@pytest.mark.parametrize("name", ["RetrainJob", "ExtractJob"])
def test_glue_job_command_version_worker(tpl, name):
    assert set(resources(tpl, "AWS::Glue::Job")) == {"RetrainJob", "ExtractJob"}
    props = tpl["Resources"][name]["Properties"]
    name = props["Command"]["Name"]
    assert name in GLUE_COMMANDS, f"unknown Glue command {name}"
    assert props["GlueVersion"] in GLUE_COMMANDS[name]
    if name == "pythonshell":
        assert props["Command"]["PythonVersion"] in ("3", "3.9")
        assert "WorkerType" not in props
    else:
        assert props["WorkerType"] in GLUE_WORKER_TYPES
        workers = props["NumberOfWorkers"]
        if isinstance(workers, dict):  # !Ref to a parameter: check its bounds
            workers = tpl["Parameters"][workers["Ref"]]["MinValue"]
        assert workers >= 2
    assert props["ExecutionProperty"]["MaxConcurrentRuns"] == 1  # runs never race on PRODUCTION


def test_glue_arguments_are_the_job_scripts(tpl):
    """Every `--name` the template passes is an argument the job accepts (and the required ones)."""
    from entrec.training.retrain import ARGUMENTS, REQUIRED_ARGUMENTS

    job = tpl["Resources"]["RetrainJob"]
    args = job["Properties"]["DefaultArguments"]
    ours = {k[2:] for k in args if not k.startswith(("--additional-python-modules",
                                                     "--continuous-log", "--enable-"))}
    assert ours <= set(ARGUMENTS), ours - set(ARGUMENTS)
    assert set(REQUIRED_ARGUMENTS) <= ours
    assert "--additional-python-modules" in args
    assert job["Properties"]["Command"]["ScriptLocation"]["Sub"].endswith("/entrec_retrain.py")


def test_triggers_schedule_and_new_labeled_objects(tpl):
    triggers = resources(tpl, "AWS::Glue::Trigger")
    types = {t["Properties"]["Type"] for t in triggers.values()}
    assert types == {"SCHEDULED", "EVENT"}
    (rule,) = resources(tpl, "AWS::Events::Rule").values()
    pat = rule["Properties"]["EventPattern"]
    assert pat["detail"]["object"]["key"] == [{"prefix": "labeled/"}]
    assert pat["detail-type"] == ["Object Created"]


def test_every_lambda_and_log_group_is_bounded(tpl):
    for name, fn in resources(tpl, "AWS::Lambda::Function").items():
        assert fn["Properties"]["Runtime"] in LAMBDA_RUNTIMES, name
        assert "LoggingConfig" in fn["Properties"], name
    for name, lg in resources(tpl, "AWS::Logs::LogGroup").items():
        assert "RetentionInDays" in lg["Properties"], name


def _actions(stmt):
    a = stmt["Action"]
    return a if isinstance(a, list) else [a]


def test_iam_is_least_privilege(tpl):
    """No wildcard actions; "*" resources only for actions that have no resource ARN."""
    allowed_star = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}
    for name, role in resources(tpl, "AWS::IAM::Role").items():
        for pol in role["Properties"].get("Policies", []):
            for st in pol["PolicyDocument"]["Statement"]:
                for a in _actions(st):
                    assert "*" not in a, f"{name}: wildcard action {a}"
                if st.get("Resource") == "*":
                    assert set(_actions(st)) <= allowed_star, f"{name}: {st}"
        assert "ManagedPolicyArns" not in role["Properties"], name


def test_auth_modes_wire_the_right_resources(tpl):
    r = tpl["Resources"]
    assert r["AuthorizerFunction"]["Condition"] == "UseLambdaAuth"
    assert r["HttpJwtAuthorizer"]["Properties"]["AuthorizerType"] == "JWT"
    assert r["MachineClient"]["Properties"]["AllowedOAuthFlows"] == ["client_credentials"]
    assert r["HttpExtractRoute"]["Properties"]["AuthorizationScopes"] == ["entrec/extract"]
    assert r["ExtractMethod"]["Properties"]["AuthorizationType"] == {
        "If": ["UseIamAuth", "AWS_IAM", "CUSTOM"]}
    assert r["UsagePlan"]["Properties"]["Throttle"]
    assert r["HttpStage"]["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"]


def test_extract_job_arguments_are_the_job_scripts(tpl):
    """The documents-at-scale job passes only arguments entrec_extract.py accepts."""
    from entrec.batch.job import ARGUMENTS, REQUIRED_ARGUMENTS

    props = tpl["Resources"]["ExtractJob"]["Properties"]
    args = props["DefaultArguments"]
    ours = {k[2:] for k in args if not k.startswith(("--additional-python-modules",
                                                     "--continuous-log", "--enable-"))}
    assert ours <= set(ARGUMENTS), ours - set(ARGUMENTS)
    assert set(REQUIRED_ARGUMENTS) <= ours
    assert props["Command"]["ScriptLocation"]["Sub"].endswith("/entrec_extract.py")
    assert props["GlueVersion"] == "5.0" and props["Command"]["Name"] == "glueetl"


def test_extract_role_reads_documents_and_writes_only_tables(tpl):
    (policy,) = tpl["Resources"]["ExtractRole"]["Properties"]["Policies"]
    writes = [st for st in policy["PolicyDocument"]["Statement"]
              if {"s3:PutObject", "s3:DeleteObject"} & set(_actions(st))]
    assert [st["Resource"] for st in writes] == [{"Sub": "${DataBucket.Arn}/${TablesPrefix}*"}]
    reads = {st["Sid"]: st["Resource"] for st in policy["PolicyDocument"]["Statement"]}
    assert reads["ReadDocuments"] == {"Sub": "${DataBucket.Arn}/${DocumentsPrefix}*"}
