"""Fixtures for the batch tests: the generated document set (see batch_docset.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

_here = Path(__file__).resolve().parent
if str(_here) not in sys.path:
    sys.path.insert(0, str(_here))

from batch_docset import write_docset  # noqa: E402


@pytest.fixture(scope="session")
def docset(tmp_path_factory) -> Path:
    return write_docset(tmp_path_factory.mktemp("docset") / "docs")
