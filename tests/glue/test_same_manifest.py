"""`entrec train` and the retraining job's core give the same manifest for the same data."""
from __future__ import annotations

import json
import tarfile

import pytest

from entrec.training.retraining import RetrainConfig, train_candidate

from .conftest import labeled_corpus

pytestmark = [pytest.mark.slow]


def _manifest(tar_path) -> dict:
    with tarfile.open(tar_path) as tf:
        return json.load(tf.extractfile("manifest.json"))


def _comparable(m: dict) -> dict:
    """The manifest without what differs between any two runs: wall-clock figures."""
    def scrub(x):
        if isinstance(x, dict):
            return {k: scrub(v) for k, v in x.items()
                    if k not in ("created_at", "seconds") and not k.endswith("_per_second")
                    and not k.endswith("_seconds")}
        if isinstance(x, list):
            return [scrub(v) for v in x]
        return x
    return scrub(m)


def test_entrec_train_and_the_job_core_write_the_same_manifest(tmp_path, capsys):
    from entrec.cli.main import main

    data = tmp_path / "labeled"
    for key, body in labeled_corpus(seed=5, n=32).items():
        f = data / key[len("labeled/"):]
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(body)
    version = "20250101T000000Z-parity"
    cfg = RetrainConfig(env="dev", bucket="b", label_set="PESSOA", heldout_fraction=0.25,
                        max_epochs=2, seed=0, name="entrec")
    job = train_candidate(cfg, data, tmp_path / "job", version=version, log=lambda _m: None)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "cli"),
                 "--label-set", "PESSOA", "--holdout", "0.25", "--epochs", "2", "--seed", "0",
                 "--dev-fraction", str(cfg.dev_fraction), "--name", "entrec",
                 "--version", version, "--quiet"]) == 0
    a, b = _manifest(job.artifact), _manifest(tmp_path / "cli" / "model.tar.gz")
    assert a["training_data_sha256"] == b["training_data_sha256"]
    assert a["metrics"]["data"]["trained_on"] == b["metrics"]["data"]["trained_on"]
    assert _comparable(a)["metrics"] == _comparable(b)["metrics"]
    assert {k: v for k, v in _comparable(a).items() if k != "files"} == \
        {k: v for k, v in _comparable(b).items() if k != "files"}
    assert a["files"] == b["files"]  # same seed, same data: the same model files
    # the data id is the one the job derives from the bucket's labeled/ prefix
    from entrec.training.pipeline import data_sha256

    assert a["training_data_sha256"] == data_sha256([data])
