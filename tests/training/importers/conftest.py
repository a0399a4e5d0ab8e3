from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


@pytest.fixture
def fx() -> Path:
    return FIXTURES


def reasons(report) -> dict:
    """{(where, reason)} helper: what was skipped where."""
    return {(str(s.line_or_index), s.reason_code) for s in report.skipped}
