"""pipeline/definition.py: the emitted SageMaker Pipeline JSON is well-formed and every
reference (`Get`, `Std:JsonGet`, property files) resolves to something that exists."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from entrec.pipeline.definition import PipelineOptions, build_definition

ROOT = Path(__file__).resolve().parents[2]
STEP_TYPES = {"Training", "Processing", "Condition", "RegisterModel", "Fail", "Lambda", "Model",
              "Transform", "Tuning", "CreateModel"}
REQUIRED_ARGS = {
    "Training": {"AlgorithmSpecification", "OutputDataConfig", "ResourceConfig", "RoleArn",
                 "StoppingCondition"},
    "Processing": {"AppSpecification", "ProcessingResources", "RoleArn"},
    "RegisterModel": {"ModelPackageGroupName", "InferenceSpecification"},
    "Condition": {"Conditions", "IfSteps", "ElseSteps"},
    "Fail": {"ErrorMessage"},
}
CONDITION_TYPES = {"Equals", "GreaterThan", "GreaterThanOrEqualTo", "LessThan",
                   "LessThanOrEqualTo", "In", "Not", "Or"}
EXECUTION_VARS = {"PipelineExecutionId", "PipelineName", "PipelineExecutionArn", "PipelineArn",
                  "StartDateTime", "CurrentDateTime"}
PARAM_TYPES = {"String": str, "Integer": int, "Float": (int, float), "Boolean": bool}
INSTANCE = re.compile(r"^ml\.[a-z0-9]+\.(medium|large|[0-9]*xlarge)$")


def all_steps(steps):
    for s in steps:
        yield s
        if s["Type"] == "Condition":
            yield from all_steps(s["Arguments"]["IfSteps"])
            yield from all_steps(s["Arguments"]["ElseSteps"])


def walk(node):
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def step_property_ok(step: dict, path: str) -> bool:
    """Is `path` (after `Steps.<name>.`) a property this step exposes?"""
    if step["Type"] == "Training":
        return path in ("ModelArtifacts.S3ModelArtifacts", "TrainingJobName", "TrainingJobArn")
    if step["Type"] == "Processing":
        m = re.fullmatch(r"ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri", path)
        if m:
            return m.group(1) in {o["OutputName"] for o in
                                  step["Arguments"]["ProcessingOutputConfig"]["Outputs"]}
        m = re.fullmatch(r"PropertyFiles\.(\w+)", path)
        if m:
            return m.group(1) in {p["PropertyFileName"] for p in step.get("PropertyFiles", [])}
        return path in ("ProcessingJobName", "ProcessingJobArn")
    return False


def validate(defn: dict) -> list[str]:
    """Every problem found (empty list = valid)."""
    errors = []
    if defn.get("Version") != "2020-12-01":
        errors.append("Version must be 2020-12-01")
    params = {}
    for p in defn.get("Parameters", []):
        if p.get("Type") not in PARAM_TYPES:
            errors.append(f"parameter {p.get('Name')}: bad type {p.get('Type')}")
        elif "DefaultValue" in p and not isinstance(p["DefaultValue"], PARAM_TYPES[p["Type"]]):
            errors.append(f"parameter {p['Name']}: default does not match {p['Type']}")
        params[p["Name"]] = p
    steps = list(all_steps(defn.get("Steps", [])))
    by_name = {}
    for s in steps:
        if s["Name"] in by_name:
            errors.append(f"duplicate step name {s['Name']}")
        by_name[s["Name"]] = s
        if s["Type"] not in STEP_TYPES:
            errors.append(f"{s['Name']}: unknown step type {s['Type']}")
        missing = REQUIRED_ARGS.get(s["Type"], set()) - set(s.get("Arguments", {}))
        if missing:
            errors.append(f"{s['Name']}: missing arguments {sorted(missing)}")
        for dep in s.get("DependsOn", []):
            if dep not in by_name and dep not in {x["Name"] for x in steps}:
                errors.append(f"{s['Name']}: DependsOn unknown step {dep}")
        if s["Type"] == "Processing":
            outs = {o["OutputName"] for o in s["Arguments"].get("ProcessingOutputConfig", {}).get("Outputs", [])}
            for pf in s.get("PropertyFiles", []):
                if pf["OutputName"] not in outs:
                    errors.append(f"{s['Name']}: property file {pf['PropertyFileName']} names "
                                  f"unknown output {pf['OutputName']}")
        if s["Type"] == "Condition":
            for c in s["Arguments"]["Conditions"]:
                if c["Type"] not in CONDITION_TYPES:
                    errors.append(f"{s['Name']}: bad condition type {c['Type']}")
    for s in steps:
        for node in walk(s):
            if not isinstance(node, dict):
                continue
            if "Get" in node:
                ref = node["Get"]
                head, _, rest = ref.partition(".")
                if head == "Parameters" and rest not in params:
                    errors.append(f"{s['Name']}: unknown parameter {ref}")
                elif head == "Execution" and rest not in EXECUTION_VARS:
                    errors.append(f"{s['Name']}: unknown execution variable {ref}")
                elif head == "Steps":
                    target, _, prop = rest.partition(".")
                    if target not in by_name:
                        errors.append(f"{s['Name']}: reference to unknown step {target}")
                    elif target == s["Name"]:
                        errors.append(f"{s['Name']}: refers to itself")
                    elif not step_property_ok(by_name[target], prop):
                        errors.append(f"{s['Name']}: {target} has no property {prop}")
                elif head not in ("Parameters", "Execution", "Steps"):
                    errors.append(f"{s['Name']}: bad reference {ref}")
            if "Std:JsonGet" in node:
                jg = node["Std:JsonGet"]
                if not str(jg.get("PropertyFile", {}).get("Get", "")).startswith("Steps.") or not jg.get("Path"):
                    errors.append(f"{s['Name']}: malformed Std:JsonGet {jg}")
    return errors


@pytest.fixture(scope="module")
def defn():
    return build_definition()


def test_definition_is_valid(defn):
    assert validate(defn) == []
    json.dumps(defn)  # serializable as is


def test_validator_catches_broken_references(defn):
    broken = json.loads(json.dumps(defn))
    cond = broken["Steps"][2]
    cond["Arguments"]["Conditions"][0]["LeftValue"]["Std:JsonGet"]["PropertyFile"]["Get"] = \
        "Steps.EvaluateModel.PropertyFiles.Nope"
    broken["Steps"][1]["Arguments"]["RoleArn"] = {"Get": "Parameters.Missing"}
    broken["Steps"][1]["PropertyFiles"][0]["OutputName"] = "nowhere"
    errs = validate(broken)
    assert any("no property PropertyFiles.Nope" in e for e in errs)
    assert any("unknown parameter Parameters.Missing" in e for e in errs)
    assert any("unknown output nowhere" in e for e in errs)


def test_shape_train_evaluate_condition_register(defn):
    assert [s["Type"] for s in defn["Steps"]] == ["Training", "Processing", "Condition"]
    cond = defn["Steps"][2]["Arguments"]
    assert [s["Type"] for s in cond["IfSteps"]] == ["RegisterModel", "Processing"]
    assert [s["Type"] for s in cond["ElseSteps"]] == ["Fail"]
    # the candidate evaluated is the one trained in this execution
    ev_inputs = {i["InputName"]: i for i in defn["Steps"][1]["Arguments"]["ProcessingInputs"]}
    assert ev_inputs["candidate"]["S3Input"]["S3Uri"] == {
        "Get": "Steps.TrainModel.ModelArtifacts.S3ModelArtifacts"}


def test_condition_reads_fields_the_evaluate_step_writes(defn):
    """The JsonGet paths exist in the metrics the job writes (entrec.training.retrain)."""
    from entrec.training.retrain import gate

    g = gate({"overall": {"f1": 0.9}, "labels": {}}, None, min_f1=0.5, max_f1_drop=0.02)
    sample = {"gate": g.to_dict(), "summary": {"candidate_f1": 0.9}}
    cond = defn["Steps"][2]["Arguments"]["Conditions"]
    for c in cond:
        node = sample
        for part in c["LeftValue"]["Std:JsonGet"]["Path"].split("."):
            node = node[part]
        assert node is not None


def test_container_commands_exist(defn):
    from entrec.training.retrain import SM_COMMANDS

    for s in all_steps(defn["Steps"]):
        spec = s["Arguments"].get("AppSpecification") or s["Arguments"].get("AlgorithmSpecification")
        if spec:
            ep = spec["ContainerEntrypoint"]
            assert ep[:3] == ["python", "-m", "entrec.training.retrain"] and ep[3] in SM_COMMANDS


def test_instance_types(defn):
    for p in defn["Parameters"]:
        if p["Name"].endswith("InstanceType"):
            assert INSTANCE.match(p["DefaultValue"]), p
    reg = defn["Steps"][2]["Arguments"]["IfSteps"][0]["Arguments"]["InferenceSpecification"]
    for t in reg["SupportedRealtimeInferenceInstanceTypes"] + reg["SupportedTransformInstanceTypes"]:
        assert INSTANCE.match(t), t


def test_cli_writes_the_same_json(tmp_path):
    out = tmp_path / "p.json"
    subprocess.run([sys.executable, "-m", "pipeline", "--out", str(out),
                    "--model-package-group", "entrec-dev"], cwd=ROOT, check=True)
    got = json.loads(out.read_text())
    assert got == build_definition(PipelineOptions(model_package_group="entrec-dev"))


def test_train_and_evaluate_hold_out_the_same_documents(defn):
    """Both steps get the held-out share and the label set: the evaluate step imports the
    data again and must pick the documents the train step set aside."""
    from entrec.training.retrain import ARGUMENTS

    hp = defn["Steps"][0]["Arguments"]["HyperParameters"]
    assert hp["heldout-fraction"] == {"Std:Join": {"On": "", "Values": [
        {"Get": "Parameters.HeldoutFraction"}]}}
    assert hp["label-set"] == {"Get": "Parameters.LabelSet"}
    assert set(hp) <= set(ARGUMENTS)
    ev_args = defn["Steps"][1]["Arguments"]["AppSpecification"]["ContainerArguments"]
    names = [a for a in ev_args if isinstance(a, str) and a.startswith("--")]
    assert {"--heldout-fraction", "--label-set", "--min-comparison-docs"} <= set(names)
    assert all(n[2:] in ARGUMENTS for n in names)
