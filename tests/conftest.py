"""Shared test configuration: paths and a per-session phrase cache directory."""
from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory):
    """Keep the phrase-index cache out of the user's home during tests."""
    d = tmp_path_factory.mktemp("entrec-cache")
    old = os.environ.get("ENTREC_CACHE_DIR")
    os.environ["ENTREC_CACHE_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("ENTREC_CACHE_DIR", None)
    else:
        os.environ["ENTREC_CACHE_DIR"] = old


@pytest.fixture(autouse=True)
def _unfrozen_collector():
    """Shells freeze what they loaded (`freeze_loaded`: the batch runners' `load_engine`, the
    CLI's extract); in the test process that would keep every later test's objects of the
    moment out of the collector, so each test ends with nothing frozen."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (read-only project material not available here)")
    return SHARED


@pytest.fixture(scope="session")
def spark():
    """ONE local[2] SparkSession for every Spark test (batch runner, Glue job): starting a JVM
    costs seconds. Java is required: CI installs it (.ci/run), a missing one fails loudly."""
    from entrec.batch.spark import spark_session

    session = spark_session("local[2]", app_name="entrec-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def pytest_report_header(config):
    """Say which grammar build the suite runs (compiled by `make venv` where a C compiler is)."""
    from entrec.engine.inequality import compiled_status

    return f"entrec grammar modules: {compiled_status().describe()}"
