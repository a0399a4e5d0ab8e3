"""The /invocations wire format without HTTP: parsing, negotiation, combining models."""
from __future__ import annotations

import pytest

from entrec.engine.entity import Entity
from entrec.serving.protocol import (JSON, JSONL, ApiError, combine, negotiate, parse_body,
                              parse_content_type, parse_custom_attributes, parse_models, render)
from entrec.serving.settings import Settings

S = Settings(max_texts=3, max_text_chars=50)
LANGS = ("pt", "en")


def parse(body, ctype="application/json", attrs=None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return parse_body(body, ctype, attrs, S, LANGS)


def err(body, ctype="application/json", attrs=None) -> ApiError:
    with pytest.raises(ApiError) as e:
        parse(body, ctype, attrs)
    return e.value


@pytest.mark.parametrize("header, expected", [
    (None, JSON), ("", JSON), ("application/json; charset=utf-8", JSON),
    ("Application/JSON", JSON), ("application/x-jsonlines", JSONL), ("application/jsonl", JSONL),
    ("text/plain;charset=UTF-8", "text/plain"),
])
def test_content_type(header, expected):
    assert parse_content_type(header)[0] == expected


@pytest.mark.parametrize("accept, kind, expected", [
    (None, "single", JSON), (None, "lines", JSONL), ("*/*", "lines", JSONL),
    ("application/json", "lines", JSON), ("application/jsonlines", "single", JSONL),
    ("text/html, application/json;q=0.5", "single", JSON),
    ("application/json;q=0.2, application/jsonlines;q=0.9", "single", JSONL),
    ("application/jsonlines;q=0, */*", "lines", JSONL),
    ("application/*", "batch", JSON),
])
def test_negotiate(accept, kind, expected):
    assert negotiate(accept, kind) == expected


@pytest.mark.parametrize("accept", ["text/html", "text/csv, image/png", "application/json;q=0"])
def test_negotiate_406(accept):
    with pytest.raises(ApiError) as e:
        negotiate(accept, "single")
    assert (e.value.status, e.value.code) == (406, "not-acceptable")


def test_custom_attributes_and_models():
    assert parse_custom_attributes("models=inequalities; lang=en; trace=abc") == {
        "models": "inequalities", "lang": "en"}
    assert parse_models("inequalities,entities", "h", header=True) == ("entities", "inequalities")
    assert parse_models("entities+inequalities", "h", header=True) == ("entities", "inequalities")
    assert parse_models(["inequalities"], "b") == ("inequalities",)
    for bad in ("", "foo", ["entities", 3], [], "entities,foo", 7):
        with pytest.raises(ApiError) as e:
            parse_models(bad, "x", header=isinstance(bad, str))
        assert e.value.code == "invalid-models"
    with pytest.raises(ApiError) as e:
        parse_custom_attributes("models=entities;" + "x" * 1100)
    assert e.value.code == "invalid-custom-attributes"


def test_single_batch_lines_text():
    r = parse('{"text": "oi", "lang": "en", "id": 7}')
    assert r.kind == "single" and r.records[0].text == "oi" and r.records[0].lang == "en"
    assert r.records[0].id == 7 and r.records[0].has_id
    r = parse('{"texts": ["a", {"text": "b", "lang": "en", "id": "x"}], "lang": "pt", '
              '"models": ["inequalities"]}')
    assert [(x.text, x.lang, x.models) for x in r.records] == [
        ("a", "pt", ("inequalities",)), ("b", "en", ("inequalities",))]
    r = parse('{"text": "a"}\r\n\n  \n"b"\n{"text": "c\\u2028d\\u0085e", "models": ["inequalities"]}\n',
              "application/jsonlines")
    assert [x.text for x in r.records] == ["a", "b", "c\u2028d\u0085e"]
    assert r.skipped_lines == 2 and r.kind == "lines" and r.multi_model is False
    r = parse("  só um texto \n com linhas ", "text/plain", attrs="models=entities,inequalities;lang=en")
    assert r.records[0].text == "  só um texto \n com linhas "
    assert r.records[0].lang == "en" and r.multi_model
    assert parse("\ufeff{\"text\": \"bom\"}").records[0].text == "bom"  # BOM tolerated


def test_body_models_override_header():
    r = parse('{"text": "a", "models": ["entities"]}', attrs="models=inequalities")
    assert r.models == ("entities",)


@pytest.mark.parametrize("body, ctype, status, code", [
    (b"", "application/json", 400, "empty-body"),
    (b"", "text/plain", 400, "empty-body"),
    (b"\n\n", "application/jsonlines", 400, "empty-body"),
    (b"\xff\xfe", "text/plain", 400, "invalid-utf8"),
    (b'{"text": "\xc3"}', "application/json", 400, "invalid-utf8"),
    (b"{nope", "application/json", 400, "invalid-json"),
    (b"   ", "application/json", 400, "invalid-json"),
    (b"[" * 100_000, "application/json", 400, "invalid-json"),
    (b"[1]", "application/json", 400, "invalid-body"),
    (b'"text"', "application/json", 400, "invalid-body"),
    (b'{"txt": "a"}', "application/json", 400, "unknown-field"),
    (b'{"lang": "pt"}', "application/json", 400, "missing-text"),
    (b'{"text": "a", "texts": []}', "application/json", 400, "ambiguous-text"),
    (b'{"text": 5}', "application/json", 400, "invalid-text"),
    (b'{"text": null}', "application/json", 400, "invalid-text"),
    (b'{"text": "\\ud800"}', "application/json", 400, "invalid-text"),
    (b'{"texts": "a"}', "application/json", 400, "invalid-texts"),
    (b'{"texts": [1]}', "application/json", 400, "invalid-body"),
    (b'{"texts": [{"lang": "pt"}]}', "application/json", 400, "missing-text"),
    (b'{"texts": ["a"], "id": 1}', "application/json", 400, "unknown-field"),
    (b'{"text": "a", "id": [1]}', "application/json", 400, "invalid-id"),
    (b'{"text": "a", "id": true}', "application/json", 400, "invalid-id"),
    (b'{"text": "a", "lang": "fr"}', "application/json", 400, "unsupported-language"),
    (b'{"text": "a", "lang": 1}', "application/json", 400, "unsupported-language"),
    (b'{"text": "a", "models": "entities"}', "application/json", 400, "invalid-models"),
    (b'{"text": "a"}\n{"text": 1}\n', "application/jsonlines", 400, "invalid-text"),
    (b'{"text": "a"}\nnot json\n', "application/jsonlines", 400, "invalid-json"),
    (b'{"texts": ["a", "b", "c", "d"]}', "application/json", 413, "too-many-texts"),
    (b'"a"\n"b"\n"c"\n"d"\n', "application/jsonlines", 413, "too-many-texts"),
    (b'{"text": "' + b"x" * 51 + b'"}', "application/json", 413, "text-too-long"),
    (b"x" * 51, "text/plain", 413, "text-too-long"),
    (b"x", "application/xml", 415, "unsupported-content-type"),
    (b"x", "text/plain; charset=latin-1", 415, "unsupported-charset"),
])
def test_errors(body, ctype, status, code):
    e = err(body, ctype)
    assert (e.status, e.code) == (status, code), e.message


def test_error_message_locates_the_line():
    e = err(b'{"text": "a"}\n{"text": "b", "x": 1}\n', "application/jsonlines")
    assert e.code == "unknown-field" and e.message.startswith("line 2:")


def _ent(start, end, label, source="rule"):
    return Entity(start=start, end=end, label=label, text="x" * (end - start), source=source)


def test_combine_union_dedup_and_by_model():
    full = [_ent(5, 10, "INEQUALITY", "grammar"), _ent(0, 3, "AGENTE")]
    ineq = [_ent(5, 10, "INEQUALITY", "grammar"), _ent(4, 12, "INEQUALITY", "grammar")]
    out = combine({"entities": full, "inequalities": ineq}, ("entities", "inequalities"), True)
    assert [(e["start"], e["end"]) for e in out["entities"]] == [(0, 3), (4, 12), (5, 10)]
    assert len(out["by_model"]["entities"]) == 2 and len(out["by_model"]["inequalities"]) == 2
    single = combine({"entities": full}, ("entities",), False)
    assert "by_model" not in single and [e["start"] for e in single["entities"]] == [0, 5]


def test_render_shapes():
    req = parse('{"texts": ["a", {"text": "b", "id": "k"}]}')
    res = [{"entities": []}, {"entities": []}]
    info = {"name": "m", "version": "1"}
    assert render(req, res, JSONL, info) == b'{"entities":[]}\n{"id":"k","entities":[]}\n'
    import json

    body = json.loads(render(req, res, JSON, info))
    assert body == {"results": [{"entities": []}, {"id": "k", "entities": []}],
                    "model": info, "models": ["entities"]}
