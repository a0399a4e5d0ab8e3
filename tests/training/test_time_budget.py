"""The run's time budget: models start no epoch that would end after the deadline, keep the
right weights when they stop for it, and the run says so in its metrics."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from entrec.training.config import load_config
from entrec.training.importers import LabeledDocument

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "engine" / "samples" / "labeled_pt.jsonl"
NO_VECTORS = {"training.static_vectors": {"enabled": False}}


def _docs(n: int) -> list[LabeledDocument]:
    return [LabeledDocument.from_dict(json.loads(line))
            for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:n]]


def _cfg(**over):
    return load_config(overrides={"training.max_epochs": 3, "training.patience": 3, **NO_VECTORS, **over})


def _ner_bytes(res) -> bytes:
    return res.nlp.get_pipe("ner").to_bytes()


def test_training_deadline_leaves_a_reserve_for_selection_and_packaging():
    from entrec.training.pipeline import DEFAULT_TIME_BUDGET, training_deadline

    assert DEFAULT_TIME_BUDGET == 900
    assert training_deadline(1000.0, None) is None
    assert training_deadline(1000.0, 0) is None
    assert training_deadline(1000.0, -5) is None
    assert training_deadline(1000.0, 900) == pytest.approx(1000 + 900 - 63)  # 7%
    assert training_deadline(1000.0, 60) == 1000 + 60 - 10  # at least 10 s
    assert training_deadline(1000.0, 10_000) == 1000 + 10_000 - 120  # at most 2 min


def test_a_passed_deadline_stops_the_final_model_after_one_epoch_with_its_weights():
    from entrec.training.train import train_ner

    docs = _docs(20)
    one = train_ner(docs[:16], docs[16:], config=_cfg(**{"training.max_epochs": 1}))
    cut = train_ner(docs[:16], docs[16:], config=_cfg(**{"training.max_epochs": 5}),
                    deadline=time.time())
    assert cut.stopped == "time_budget" and len(cut.epochs) == 1 and cut.best_epoch == 1
    assert _ner_bytes(cut) == _ner_bytes(one)  # the best (only) dev epoch's weights


def test_a_distant_deadline_changes_nothing():
    from entrec.training.train import train_ner

    docs = _docs(20)
    free = train_ner(docs[:16], docs[16:], config=_cfg())
    timed = train_ner(docs[:16], docs[16:], config=_cfg(), deadline=time.time() + 3600)
    assert timed.stopped == free.stopped == "max_epochs" and len(timed.epochs) == 3
    assert [e.loss for e in timed.epochs] == [e.loss for e in free.epochs]
    assert _ner_bytes(timed) == _ner_bytes(free)


def test_a_fold_model_stopped_by_the_deadline_keeps_its_last_epoch():
    from entrec.training.train import train_ner

    docs = _docs(16)
    one = train_ner(docs, [], config=_cfg(), fixed_epochs=1)
    cut = train_ner(docs, [], config=_cfg(), fixed_epochs=3, deadline=time.time())
    assert cut.stopped == "time_budget" and len(cut.epochs) == 1 and cut.best_epoch == 1
    # without the snapshot at the stopping epoch the model would hold the raw (not the
    # averaged) weights, unlike a fold model that ran its epochs out
    assert _ner_bytes(cut) == _ner_bytes(one)


def test_run_folds_shares_the_deadline_and_reports_short_folds():
    from entrec.training.arbitration import fold_indices
    from entrec.training.crossval import run_folds

    docs = _docs(18)
    run = run_folds(docs, fold_indices(len(docs), 3), config_str=_cfg().to_str(), rules=None,
                    lang="pt", placements=["resolver"], epochs=3, deadline=time.time())
    assert run.epochs == 3 and run.epochs_trained == [1, 1, 1]
    assert all("for 1 epochs (of 3: time budget)" in line for line in run.lines)
    free = run_folds(docs, fold_indices(len(docs), 3), config_str=_cfg().to_str(), rules=None,
                     lang="pt", placements=["resolver"], epochs=2)
    assert free.epochs_trained == [2, 2, 2] and not any("time budget" in m for m in free.lines)


def test_entrec_train_run_over_budget_says_so_in_its_metrics(tmp_path):
    from entrec.training.pipeline import run_training

    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(d.to_dict(), ensure_ascii=False) + "\n" for d in _docs(30)),
                    encoding="utf-8")
    cfg = tmp_path / "cfg.cfg"
    cfg.write_text("[training]\nmax_epochs = 4\npatience = 4\n\n[training.static_vectors]\nenabled = false\n",
                   encoding="utf-8")
    said: list[str] = []
    run = run_training([data], out_dir=tmp_path / "out", config=cfg, time_budget=1, evaluate=False,
                       parallel_folds=False, log=said.append)
    train = run.metrics["train"]
    assert train["stopped"] == "time_budget" and train["epochs"] == 1
    assert train["time_budget_seconds"] == 1
    assert run.metrics["selection"]["fold_epochs_trained"] == [1, 1, 1]
    assert any(m.startswith("stopped after epoch 1 to end within the time budget") for m in said)
    manifest = json.loads((run.model_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["metrics"]["train"]["stopped"] == "time_budget"
