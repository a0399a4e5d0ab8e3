"""SageMaker Pipeline definition for retraining, emitted as JSON from code.

Why not the `sagemaker` SDK: `sagemaker.workflow` exists in SDK 2.x and was removed in 3.x,
and the SDK pulls a large dependency tree into a project that only needs the JSON. The
definition schema (version 2020-12-01) is small and stable: `Parameters`, `Steps` whose
`Arguments` are the bodies of the matching SageMaker API requests (CreateTrainingJob,
CreateProcessingJob, CreateModelPackage), and the expression forms `{"Get": ...}`,
`{"Std:Join": ...}` and `{"Std:JsonGet": ...}`. tests/pipeline/ validates the structure and
that every reference resolves.

Steps (the same stages as the Glue job, each a container run of the entrec image):

    TrainModel (Training)      python -m entrec.training.retrain sm-train
      -> EvaluateModel (Processing)  sm-evaluate: candidate AND production on the held-out
                                     documents (by content hash) neither was trained on,
                                     gate -> evaluation.json (property file)
      -> CheckGate (Condition)  gate.passed == true and candidate F1 >= MinF1
           if:   RegisterModel (model package group, approval status parameter)
                 PromoteModel (Processing)   sm-promote: recompute the gate with its own
                                             thresholds, upload models/<version>/, verify,
                                             optional deploy with rollback, PRODUCTION last
           else: GateFailed (Fail)

Deployment runs in a Processing step, not a Lambda step: waiting for an endpoint to be
InService can take longer than Lambda's 15 minutes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["PipelineOptions", "build_definition", "definition_json", "PIPELINE_SCHEMA_VERSION"]

PIPELINE_SCHEMA_VERSION = "2020-12-01"
ENTRYPOINT = ["python", "-m", "entrec.training.retrain"]
CONTENT_TYPES = ["application/json", "application/jsonlines", "text/plain"]
RESPONSE_TYPES = ["application/json", "application/jsonlines"]


@dataclass(frozen=True)
class PipelineOptions:
    """Generation-time choices (everything that varies per run is a pipeline Parameter)."""

    name: str = "entrec-retrain"
    model_package_group: str = "entrec"
    realtime_instance_types: tuple[str, ...] = ("ml.m5.large", "ml.m5.xlarge", "ml.c5.xlarge")
    transform_instance_types: tuple[str, ...] = ("ml.m5.large", "ml.m5.xlarge")
    max_train_seconds: int = 4 * 3600
    max_eval_seconds: int = 3600


def get(path: str) -> dict:
    return {"Get": path}


def param(name: str) -> dict:
    return get(f"Parameters.{name}")


def join(*values: Any, on: str = "") -> dict:
    return {"Std:Join": {"On": on, "Values": list(values)}}


def json_get(step: str, property_file: str, path: str) -> dict:
    return {"Std:JsonGet": {"PropertyFile": get(f"Steps.{step}.PropertyFiles.{property_file}"),
                            "Path": path}}


def s3_uri(*parts: Any) -> dict:
    return join("s3://", param("Bucket"), "/", *parts)


def _parameters() -> list[dict]:
    return [
        {"Name": "Env", "Type": "String", "DefaultValue": "dev"},
        {"Name": "Bucket", "Type": "String"},
        {"Name": "ImageUri", "Type": "String"},
        {"Name": "RoleArn", "Type": "String"},
        {"Name": "LabeledPrefix", "Type": "String", "DefaultValue": "labeled/"},
        {"Name": "MinF1", "Type": "Float", "DefaultValue": 0.5},
        {"Name": "MaxF1Drop", "Type": "Float", "DefaultValue": 0.02},
        {"Name": "Seed", "Type": "Integer", "DefaultValue": 0},
        {"Name": "LabelSet", "Type": "String", "DefaultValue": "rules"},
        {"Name": "HeldoutFraction", "Type": "Float", "DefaultValue": 0.2},
        {"Name": "MinComparisonDocs", "Type": "Integer", "DefaultValue": 10},
        {"Name": "TrainInstanceType", "Type": "String", "DefaultValue": "ml.m5.xlarge"},
        {"Name": "ProcessingInstanceType", "Type": "String", "DefaultValue": "ml.m5.large"},
        {"Name": "ModelApprovalStatus", "Type": "String",
         "DefaultValue": "PendingManualApproval"},
        {"Name": "Deploy", "Type": "String", "DefaultValue": "false"},
        {"Name": "EndpointName", "Type": "String", "DefaultValue": ""},
    ]


def _common_args() -> list[Any]:
    """Job arguments shared by the evaluate and promote containers (same names as Glue)."""
    return ["--env", param("Env"), "--bucket", param("Bucket"),
            "--min-f1", join(param("MinF1")), "--max-f1-drop", join(param("MaxF1Drop")),
            "--seed", join(param("Seed")), "--label-set", param("LabelSet"),
            "--heldout-fraction", join(param("HeldoutFraction")),
            "--min-comparison-docs", join(param("MinComparisonDocs"))]


def _s3_input(name: str, uri: Any, local: str) -> dict:
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix",
                        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
                        "S3CompressionType": "None"}}


def _processing(name: str, command: str, args: list[Any], inputs: list[dict],
                outputs: list[dict], opts: PipelineOptions) -> dict:
    return {
        "Name": name, "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {
                "InstanceCount": 1, "InstanceType": param("ProcessingInstanceType"),
                "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": param("ImageUri"),
                                 "ContainerEntrypoint": ENTRYPOINT + [command],
                                 "ContainerArguments": args},
            "RoleArn": param("RoleArn"),
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {"Outputs": outputs},
            "StoppingCondition": {"MaxRuntimeInSeconds": opts.max_eval_seconds},
        },
    }


def build_definition(opts: PipelineOptions | None = None) -> dict:
    """The pipeline definition as a dict (json.dumps it for CreatePipeline)."""
    opts = opts or PipelineOptions()
    train = {
        "Name": "TrainModel", "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": param("ImageUri"),
                                       "TrainingInputMode": "File",
                                       "ContainerEntrypoint": ENTRYPOINT + ["sm-train"]},
            "HyperParameters": {"env": param("Env"), "bucket": param("Bucket"),
                                "seed": join(param("Seed")), "label-set": param("LabelSet"),
                                "heldout-fraction": join(param("HeldoutFraction"))},
            "InputDataConfig": [{
                "ChannelName": "labeled",
                "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix", "S3Uri": s3_uri(param("LabeledPrefix")),
                    "S3DataDistributionType": "FullyReplicated"}},
            }],
            "OutputDataConfig": {"S3OutputPath": s3_uri("pipeline/training")},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": param("TrainInstanceType"),
                               "VolumeSizeInGB": 30},
            "RoleArn": param("RoleArn"),
            "StoppingCondition": {"MaxRuntimeInSeconds": opts.max_train_seconds},
        },
    }
    model_url = get("Steps.TrainModel.ModelArtifacts.S3ModelArtifacts")
    eval_out = get("Steps.EvaluateModel.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri")
    evaluate = _processing(
        "EvaluateModel", "sm-evaluate", _common_args(),
        [_s3_input("candidate", model_url, "/opt/ml/processing/candidate"),
         _s3_input("labeled", s3_uri(param("LabeledPrefix")), "/opt/ml/processing/labeled")],
        [{"OutputName": "evaluation", "AppManaged": False,
          "S3Output": {"S3Uri": s3_uri("pipeline/evaluation/", get("Execution.PipelineExecutionId")),
                       "LocalPath": "/opt/ml/processing/evaluation",
                       "S3UploadMode": "EndOfJob"}}],
        opts)
    evaluate["PropertyFiles"] = [{"PropertyFileName": "EvaluationReport",
                                  "OutputName": "evaluation", "FilePath": "evaluation.json"}]
    evaluate["DependsOn"] = ["TrainModel"]

    register = {
        "Name": "RegisterModel", "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": opts.model_package_group,
            "ModelApprovalStatus": param("ModelApprovalStatus"),
            "InferenceSpecification": {
                "Containers": [{"Image": param("ImageUri"), "ModelDataUrl": model_url}],
                "SupportedContentTypes": CONTENT_TYPES,
                "SupportedResponseMIMETypes": RESPONSE_TYPES,
                "SupportedRealtimeInferenceInstanceTypes": list(opts.realtime_instance_types),
                "SupportedTransformInstanceTypes": list(opts.transform_instance_types),
            },
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json", "S3Uri": join(eval_out, "/evaluation.json")}}},
        },
    }
    promote = _processing(
        "PromoteModel", "sm-promote",
        _common_args() + ["--deploy", param("Deploy"), "--endpoint-name", param("EndpointName"),
                          "--image-uri", param("ImageUri"), "--role-arn", param("RoleArn")],
        [_s3_input("candidate", model_url, "/opt/ml/processing/candidate"),
         _s3_input("evaluation", eval_out, "/opt/ml/processing/evaluation")],
        [], opts)
    promote["DependsOn"] = ["RegisterModel"]
    fail = {"Name": "GateFailed", "Type": "Fail",
            "Arguments": {"ErrorMessage": join(
                "candidate rejected by the gate, or too few unseen documents to decide "
                "(overall F1 ",
                json_get("EvaluateModel", "EvaluationReport", "summary.candidate_f1"),
                "); see evaluation.json")}}
    condition = {
        "Name": "CheckGate", "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {"Type": "Equals",
                 "LeftValue": json_get("EvaluateModel", "EvaluationReport", "gate.passed"),
                 "RightValue": True},
                {"Type": "GreaterThanOrEqualTo",
                 "LeftValue": json_get("EvaluateModel", "EvaluationReport",
                                       "summary.candidate_f1"),
                 "RightValue": param("MinF1")},
            ],
            "IfSteps": [register, promote],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": PIPELINE_SCHEMA_VERSION,
        "Metadata": {"generator": "entrec pipeline/definition.py"},
        "Parameters": _parameters(),
        "PipelineExperimentConfig": {"ExperimentName": get("Execution.PipelineName"),
                                     "TrialName": get("Execution.PipelineExecutionId")},
        "Steps": [train, evaluate, condition],
    }


def definition_json(opts: PipelineOptions | None = None, *, indent: int | None = 2) -> str:
    return json.dumps(build_definition(opts), indent=indent, sort_keys=False)
