"""Regression floor on the shared conformance suites (read in place, nothing copied).

Recognizers-Text suites are scored in half-open mode (their convention for "between"),
Duckling in the default mode (it states no inclusivity). The floors are the F1 reached when
this was written, rounded down: lower them only with a reason.
"""
from __future__ import annotations

import pathlib
import pytest

from entrec.engine.inequality.conformance import score_file

ROOT = pathlib.Path(__file__).resolve().parents[3]
CONF = ROOT.parent / "shared" / "conformance"

pytestmark = pytest.mark.skipif(not CONF.is_dir(), reason=f"{CONF} not present (../shared absent)")

FLOORS = [
    ("recognizers-text-pt.jsonl", True, 0.98),
    ("recognizers-text-en.jsonl", True, 0.96),
    ("recognizers-text-en-experimental.jsonl", False, 0.98),
    ("duckling-en.jsonl", False, 0.99),
    ("duckling-es.jsonl", False, 0.95),
]


@pytest.mark.parametrize("name,half_open,floor", FLOORS, ids=[f[0] for f in FLOORS])
def test_conformance_floor(ext, ext_half, name, half_open, floor):
    path = CONF / name
    if not path.exists():
        pytest.skip(f"{path} missing")
    score = score_file(ext_half if half_open else ext, path)
    p, r, f1 = score.strict
    assert score.skipped == 0
    assert f1 >= floor, [m.__dict__ for m in score.misses]
    assert score.relaxed[2] >= f1


def _cli(argv, capsys):
    import argparse

    from entrec.cli import conformance as cmd
    from entrec.engine.errors import EntrecError

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    try:
        rc = cmd.run(parser.parse_args(argv))
    except EntrecError as exc:  # main() prints these and exits 2
        return 2, "", str(exc)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_conformance_reports_and_gates(tmp_path, capsys):
    path = str(CONF / "recognizers-text-pt.jsonl")
    rc, out, _ = _cli(["--half-open", path], capsys)
    assert rc == 0
    assert "recognizers-text-pt.jsonl" in out and "F1" in out
    rc, out, err = _cli(["--half-open", path, "--min-f1", "1.01", "--json"], capsys)
    assert rc == 1 and '"f1"' in out and "below" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "maior que 5", "lang": "pt", "expected": []}\nnot json\n', encoding="utf-8")
    rc, out, _ = _cli(["--json", str(bad)], capsys)
    assert rc == 0
    assert '"skipped": 1' in out and '"spurious"' in out
    rc, _, err = _cli([str(tmp_path / "nope.jsonl")], capsys)
    assert rc == 2 and "file-not-found" in err
