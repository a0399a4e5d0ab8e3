"""The Flask app with the real engines of a real artifact, through Flask's test client."""
from __future__ import annotations

import json
import threading

import pytest

from entrec.serving.app import create_app
from entrec.serving.models import ModelSet

TEXT = "A CHESF deve manter a tensão na SE Xingu entre 525 kV e 550 kV."  # same as conftest.TEXT

JSONL = "application/jsonlines"


def labels(entities):
    return sorted((e["label"], e["text"]) for e in entities if e["source"] != "model")


EXPECTED_FULL = [("AGENTE", "CHESF"), ("INEQUALITY", "entre 525 kV e 550 kV"),
                 ("SUBESTACAO", "SE Xingu")]
EXPECTED_INEQ = [("INEQUALITY", "entre 525 kV e 550 kV")]


def test_ping_ready_with_model_info(client):
    r = client.get("/ping")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "model": {"name": "entrec-test", "version": "2024.1"}}


def test_ping_503_until_loaded(artifact, settings):
    """`/ping` is 503 while loading (eager=False loads on a thread) and 200 once done."""
    gate = threading.Event()

    class SlowModels(ModelSet):
        def load(self):
            gate.wait(30)
            return super().load()

    app = create_app(models=SlowModels(artifact), settings=settings, eager=False)
    c = app.test_client()
    r = c.get("/ping")
    assert r.status_code == 503 and r.get_json()["status"] == "loading"
    r = c.post("/invocations", json={"text": "x"})
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "model-not-ready"
    gate.set()
    models = app.extensions["entrec.models"]
    for _ in range(600):
        if models.state != "loading" and models.state != "new":
            break
        threading.Event().wait(0.1)
    assert c.get("/ping").status_code == 200


def test_ping_503_when_load_failed(tmp_path, settings):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "manifest.json").write_text("{}", encoding="utf-8")
    models = ModelSet(bad)
    t = models.load_in_background()
    t.join(60)
    app = create_app(models=models, settings=settings, eager=False)
    r = app.test_client().get("/ping")
    assert r.status_code == 503
    assert r.get_json()["error"]["code"] == "model-load-failed"


def test_eager_load_of_tampered_artifact_raises(artifact, tmp_path):
    from entrec.engine.errors import ArtifactError
    from entrec.engine.artifact import safe_extract

    d = safe_extract(artifact, tmp_path / "m")
    (d / "rules" / "pt" / "test.yaml").write_text("# tampered\n", encoding="utf-8")
    with pytest.raises(ArtifactError) as e:
        create_app(d)
    assert e.value.code == "artifact-checksum-mismatch"


def test_model_components_loaded(models):
    full = models.engines["entities"]
    assert {s.source for s in full.sources("pt")} == {"rule", "grammar", "model"}
    assert {s.source for s in models.engines["inequalities"].sources("pt")} == {"grammar"}


def test_json_single_default_model(client):
    r = client.post("/invocations", json={"text": TEXT})
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.get_json()
    assert labels(body["entities"]) == EXPECTED_FULL
    assert body["model"] == {"name": "entrec-test", "version": "2024.1"}
    assert body["models"] == ["entities"] and "by_model" not in body
    assert r.headers["X-Entrec-Model-Version"] == "2024.1"
    for e in body["entities"]:
        assert TEXT[e["start"]:e["end"]] == e["text"]
    ineq = next(e for e in body["entities"] if e["label"] == "INEQUALITY")
    assert ineq["value"]["op"] == "between" and ineq["value"]["unit"] == "kV"


def test_model_entities_come_from_the_ner(client):
    body = client.post("/invocations", json={"text": "A ANEEL decidiu hoje."}).get_json()
    assert any(e["source"] == "model" and e["label"] == "ORGAO" for e in body["entities"])


def test_inequalities_model_by_body_and_header(client):
    r = client.post("/invocations", json={"text": TEXT, "models": ["inequalities"]})
    assert labels(r.get_json()["entities"]) == EXPECTED_INEQ
    r = client.post("/invocations", json={"text": TEXT},
                    headers={"X-Amzn-SageMaker-Custom-Attributes": "models=inequalities"})
    assert labels(r.get_json()["entities"]) == EXPECTED_INEQ
    assert r.get_json()["models"] == ["inequalities"]


def test_both_models_union_and_by_model(client):
    r = client.post("/invocations", json={"text": TEXT, "models": ["inequalities", "entities"]})
    body = r.get_json()
    assert body["models"] == ["entities", "inequalities"]
    assert labels(body["entities"]) == EXPECTED_FULL  # the inequality appears once
    assert labels(body["by_model"]["inequalities"]) == EXPECTED_INEQ
    assert labels(body["by_model"]["entities"]) == EXPECTED_FULL


def test_inequalities_engine_matches_a_grammar_only_load(models, artifact):
    """The derived `inequalities` engine equals Engine.load(components=("grammar",))."""
    from entrec.engine import Engine

    ref = Engine.load(model=artifact, components=("grammar",))
    texts = [TEXT, "Tensão não superior a 800 kV; frequência acima de 59,5 Hz.",
             "Keep the load between 10 MW and 20 MW.", "sem números"]
    got = [[e.to_dict() for e in es] for es in models.engines["inequalities"].pipe(texts)]
    assert got == [[e.to_dict() for e in es] for es in ref.pipe(texts)]


def test_batch_texts_keeps_order_and_ids(client):
    texts = ["SE Xingu", {"text": "nada aqui", "id": "b"}, {"text": "Keep it above 5 kV", "lang": "en"}]
    body = client.post("/invocations", json={"texts": texts}).get_json()
    assert [r.get("id") for r in body["results"]] == [None, "b", None]
    assert labels(body["results"][0]["entities"]) == [("SUBESTACAO", "SE Xingu")]
    assert labels(body["results"][1]["entities"]) == []
    assert [e["label"] for e in body["results"][2]["entities"]] == ["INEQUALITY"]


def test_jsonlines_in_out(client):
    lines = [json.dumps({"text": TEXT, "id": 1}), json.dumps("SE Xingu"), "",
             json.dumps({"text": TEXT, "models": ["inequalities"]})]
    r = client.post("/invocations", data="\n".join(lines) + "\n", content_type=JSONL)
    assert r.status_code == 200 and r.mimetype == JSONL
    assert r.headers["X-Entrec-Skipped-Lines"] == "1"
    out = [json.loads(x) for x in r.get_data(as_text=True).splitlines()]
    assert len(out) == 3 and out[0]["id"] == 1
    assert labels(out[0]["entities"]) == EXPECTED_FULL
    assert labels(out[1]["entities"]) == [("SUBESTACAO", "SE Xingu")]
    assert labels(out[2]["entities"]) == EXPECTED_INEQ


def test_jsonlines_in_json_out(client):
    r = client.post("/invocations", data='"SE Xingu"\n"CHESF"\n', content_type=JSONL,
                    headers={"Accept": "application/json"})
    body = r.get_json()
    assert [labels(x["entities"]) for x in body["results"]] == [
        [("SUBESTACAO", "SE Xingu")], [("AGENTE", "CHESF")]]


def test_text_plain(client):
    r = client.post("/invocations", data=TEXT.encode(), content_type="text/plain; charset=utf-8")
    assert labels(r.get_json()["entities"]) == EXPECTED_FULL
    r = client.post("/invocations", data=TEXT.encode(), content_type="text/plain",
                    headers={"Accept": JSONL,
                             "X-Amzn-SageMaker-Custom-Attributes": "models=inequalities"})
    assert r.mimetype == JSONL
    assert labels(json.loads(r.get_data(as_text=True))["entities"]) == EXPECTED_INEQ


def test_lang_from_header_and_body(client):
    text = "keep it between 10 and 20 MW"
    en = client.post("/invocations", data=text.encode(), content_type="text/plain",
                     headers={"X-Amzn-SageMaker-Custom-Attributes": "lang=en"}).get_json()
    assert any(e["label"] == "INEQUALITY" for e in en["entities"])


@pytest.mark.parametrize("kwargs, status, code", [
    (dict(data=b"", content_type="application/json"), 400, "empty-body"),
    (dict(data=b"\xff", content_type="text/plain"), 400, "invalid-utf8"),
    (dict(data=b"{", content_type="application/json"), 400, "invalid-json"),
    (dict(json={"text": 1}), 400, "invalid-text"),
    (dict(json={"texts": ["a"] * 6}), 413, "too-many-texts"),
    (dict(json={"text": "a" * 2001}), 413, "text-too-long"),
    (dict(data=b"x" * 20_001, content_type="text/plain"), 413, "payload-too-large"),
    (dict(data=b"x", content_type="application/pdf"), 415, "unsupported-content-type"),
    (dict(json={"text": "a"}, headers={"Accept": "text/csv"}), 406, "not-acceptable"),
    (dict(json={"text": "a", "models": ["nope"]}), 400, "invalid-models"),
    (dict(json={"text": "a"}, headers={"X-Amzn-SageMaker-Custom-Attributes": "models=x"}), 400,
     "invalid-models"),
])
def test_errors_are_json_4xx(client, kwargs, status, code):
    r = client.post("/invocations", **kwargs)
    assert r.status_code == status
    assert r.mimetype == "application/json"
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]


def test_chunked_body_over_limit_is_413(client):
    """No Content-Length (chunked upload): Werkzeug's stream limit still answers 413."""
    import io

    r = client.post("/invocations", input_stream=io.BytesIO(b"x" * 30_000),
                    content_type="text/plain", headers={"Transfer-Encoding": "chunked"},
                    environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload-too-large"


def test_unknown_route_and_method_are_json(client):
    r = client.get("/nope")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not-found"
    r = client.get("/invocations")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method-not-allowed"
    assert "POST" in r.headers["Allow"]


def test_execution_parameters(client):
    assert client.get("/execution-parameters").get_json() == {
        "MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 1}


def test_request_id_echoed_and_access_log(client, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="entrec.access")
    logging.getLogger("entrec").propagate = True
    r = client.post("/invocations", json={"texts": ["a", "b"]}, headers={"X-Amzn-RequestId": "abc-1"})
    assert r.headers["X-Request-Id"] == "abc-1"
    rec = [x for x in caplog.records if x.name == "entrec.access"][-1]
    assert rec.fields["request_id"] == "abc-1" and rec.fields["status"] == 200
    assert rec.fields["n_texts"] == 2 and rec.fields["latency_ms"] >= 0
    r = client.post("/invocations", json={"text": 1})
    assert len(r.headers["X-Request-Id"]) == 36  # generated uuid4
    rec = [x for x in caplog.records if x.name == "entrec.access"][-1]
    assert rec.fields["error"] == "invalid-text"


def test_engine_input_error_is_400(app, models, monkeypatch):
    """An InputError raised inside the engine is the client's problem: 400, not 500."""
    from entrec.engine.errors import InputError

    def boom(*a, **k):
        raise InputError("bad text", code="text-weird")

    monkeypatch.setattr(models, "run", boom)
    r = app.test_client().post("/invocations", json={"text": "a"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "text-weird"


def test_unexpected_error_is_json_500(app, models, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("bug")

    monkeypatch.setattr(models, "run", boom)
    r = app.test_client().post("/invocations", json={"text": "a"})
    assert r.status_code == 500 and r.get_json()["error"]["code"] == "internal-error"


def test_default_engine_without_model(settings):
    """No model dir: the embedded default engine, default name/version."""
    from entrec.engine import __version__

    app = create_app(None, settings=settings)
    body = app.test_client().post("/invocations", json={"text": "entre 525 kV e 550 kV"}).get_json()
    assert body["model"] == {"name": "entrec-default", "version": __version__}
    assert [e["label"] for e in body["entities"]] == ["INEQUALITY"]


def test_body_exactly_at_the_limit_is_accepted(client):
    import io

    body = b'{"texts": ["' + b"a" * 1000 + b'"]}'
    body = body + b" " * (20_000 - len(body))
    for chunked in (False, True):
        kw = dict(input_stream=io.BytesIO(body), headers={"Transfer-Encoding": "chunked"},
                  environ_overrides={"wsgi.input_terminated": True}) if chunked else dict(data=body)
        r = client.post("/invocations", content_type="application/json", **kw)
        assert r.status_code == 200, r.get_data()
        kw = dict(input_stream=io.BytesIO(body + b" "), headers={"Transfer-Encoding": "chunked"},
                  environ_overrides={"wsgi.input_terminated": True}) if chunked else dict(data=body + b" ")
        r = client.post("/invocations", content_type="application/json", **kw)
        assert r.status_code == 413 and r.get_json()["error"]["code"] == "payload-too-large"


def test_time_budget_and_character_limit_answer_json(models, settings):
    """Past the per-request engine budget: 422 `time-budget-exceeded` (the worker is not
    killed, the thread is freed); over the per-request character limit: 413."""
    from dataclasses import replace

    from entrec.serving.app import create_app

    slow = create_app(models=models, settings=replace(settings, request_budget_seconds=0.0))
    r = slow.test_client().post("/invocations", json={"texts": ["SE Xingu acima de 5 kV"] * 3})
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "time-budget-exceeded"
    small = create_app(models=models, settings=replace(settings, max_request_chars=10))
    r = small.test_client().post("/invocations", json={"texts": ["123456", "123456"]})
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too-many-characters"
    assert small.test_client().post("/invocations", json={"texts": ["12345", "12345"]}).status_code == 200


def test_responses_carry_server_timing(client):
    r = client.post("/invocations", json={"text": "SE Xingu acima de 5 kV"})
    parts = dict(p.strip().split(";dur=") for p in r.headers["Server-Timing"].split(","))
    assert set(parts) == {"read", "engine", "render", "app"} and all(float(v) >= 0 for v in parts.values())
    assert float(parts["app"]) >= float(parts["read"]) + float(parts["engine"]) + float(parts["render"]) - 0.03


def test_orjson_falls_back_for_integers_past_64_bits():
    from entrec.serving.protocol import dumps

    assert dumps({"v": 2 ** 70, "t": "ção"}) == '{"v":1180591620717411303424,"t":"ção"}'.encode()
