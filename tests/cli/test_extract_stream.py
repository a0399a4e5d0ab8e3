"""`entrec extract` streams records through `Engine.pipe`: same results as one call per text."""
from __future__ import annotations

import json

from entrec.cli.main import main
from entrec.engine import Engine


def test_jsonl_stream_equals_per_text_extract(tmp_path, capsys):
    texts = [f"Manter a SE Xingu entre {500 + i} kV e {550 + i} kV." if i % 3 else "nada aqui"
             for i in range(600)]  # more than two pipe batches
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    assert main(["extract", "--format", "jsonl", "--json", str(inp)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    engine = Engine.load()
    assert [r["id"] for r in out] == list(range(600))
    assert [r["entities"] for r in out] == [[e.to_dict() for e in engine.extract(t)] for t in texts]


def test_bad_record_after_good_ones_keeps_their_output(tmp_path, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text": "SE Xingu"}\n{"text": "SE Xingu"}\nnot json\n', encoding="utf-8")
    assert main(["extract", "--format", "jsonl", "--json", str(inp)]) == 2
    cap = capsys.readouterr()
    assert "in.jsonl:3" in cap.err and "bad-jsonl" in cap.err
    assert len(cap.out.splitlines()) == 2


def test_lines_mode_streams_each_non_empty_line(tmp_path, capsys):
    inp = tmp_path / "in.txt"
    inp.write_text("SE Xingu\n\n  \nacima de 500 MW\r\n", encoding="utf-8")
    assert main(["extract", "--lines", "--json", str(inp)]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in out] == ["SE Xingu", "acima de 500 MW"]
    assert out[1]["entities"][0]["label"] == "INEQUALITY"
