from __future__ import annotations

import pytest

from entrec.engine.inequality import InequalityExtractor


@pytest.fixture(scope="session")
def ext() -> InequalityExtractor:
    return InequalityExtractor.load()


@pytest.fixture(scope="session")
def ext_half() -> InequalityExtractor:
    return InequalityExtractor.load(half_open=True)
