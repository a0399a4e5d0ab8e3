"""The SageMaker Pipeline's container steps run the same core as the Glue job.

Run here as the containers run them (`python -m entrec.training.retrain sm-...` semantics,
SageMaker's folder contract under a temporary /opt/ml), with S3 on the moto stand-in.
"""
from __future__ import annotations

import json
import tarfile

import pytest

from entrec.training.retraining.sagemaker_steps import sm_evaluate, sm_promote, sm_train

from .test_retrain_e2e import FAST, pointer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_train_evaluate_promote_steps(s3, bucket, corpus, tmp_path, monkeypatch):
    labeled = tmp_path / "input" / "labeled"
    for key, body in corpus(seed=6).items():
        f = labeled / key[len("labeled/"):]
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(body)
    model_dir = tmp_path / "model"
    monkeypatch.setenv("SM_CHANNEL_LABELED", str(labeled))
    monkeypatch.setenv("SM_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("SM_INPUT_CONFIG_DIR", str(tmp_path / "config"))
    args = ["--env", "dev", "--bucket", bucket, *FAST]
    assert sm_train(args, log=lambda _m: None) == 0
    assert (model_dir / "manifest.json").is_file()

    # SageMaker tars SM_MODEL_DIR into model.tar.gz for the next steps
    proc = tmp_path / "processing"
    (proc / "candidate").mkdir(parents=True)
    with tarfile.open(proc / "candidate" / "model.tar.gz", "w:gz") as tf:
        for p in sorted(model_dir.rglob("*")):
            tf.add(p, arcname=p.relative_to(model_dir).as_posix(), recursive=False)
    (proc / "labeled").symlink_to(labeled, target_is_directory=True)
    assert sm_evaluate(args, s3=s3, log=lambda _m: None, root=proc) == 0
    ev = json.loads((proc / "evaluation" / "evaluation.json").read_text())
    trained = set(json.loads((model_dir / "manifest.json").read_text())["metrics"]["data"][
        "trained_on"])
    assert ev["comparison"]["docs"] == len(ev["split"]["heldout"]) >= 5
    assert not trained & set(ev["split"]["heldout"])  # the evaluate step held out the same docs
    assert ev["gate"]["passed"] is True

    # the promote step recomputes the verdict with ITS thresholds
    assert sm_promote(args + ["--min-comparison-docs", "1000"], s3=s3, log=lambda _m: None,
                      root=proc) == 3
    assert pointer(s3, bucket) is None
    assert sm_promote(args, s3=s3, log=lambda _m: None, root=proc) == 0
    assert pointer(s3, bucket)["version"] == ev["version"]
    gate = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{ev['version']}/gate.json")[
        "Body"].read())
    assert gate["passed"] is True and gate["thresholds"]["min_comparison_docs"] == 5
