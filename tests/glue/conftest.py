"""A real moto server on loopback for the retraining tests (S3 + SageMaker over HTTP).

moto 5.2.5 has no SageMaker UpdateEndpoint. Instead of stubbing the boto3 client (which would
take every other call off the wire too), `sagemaker_updates` adds an UpdateEndpoint action to
the *server's* SageMaker responder for the test's duration: the code under test still sends
real HTTP through an unpatched boto3 client, and the endpoint state it then reads back with
DescribeEndpoint lives in moto. Each new config's outcome is scripted (`ok`, `failed`,
`auto-rollback`, `stuck`, after N polls of "Updating") to exercise the wait/rollback paths.
"""
from __future__ import annotations

import json
import os
import urllib.request
import uuid
from dataclasses import dataclass, field

import pytest

import boto3  # the `aws` extra; moto[server] from the test extra
import moto.server as moto_server

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint():
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def aws_env(moto_endpoint, monkeypatch):
    """Credentials/region for boto3 in this process and in job subprocesses."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(k, raising=False)
    req = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()
    return env


@pytest.fixture()
def s3(aws_env, moto_endpoint):
    return boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)


@pytest.fixture()
def sm(aws_env, moto_endpoint):
    return boto3.client("sagemaker", region_name=REGION, endpoint_url=moto_endpoint)


@pytest.fixture()
def bucket(s3):
    name = f"entrec-test-{uuid.uuid4().hex[:8]}-entityrecognition"
    s3.create_bucket(Bucket=name)
    return name


@dataclass
class UpdateScript:
    """Outcome of UpdateEndpoint per target config name (default: `ok`)."""

    outcomes: dict[str, str] = field(default_factory=dict)
    polls_updating: int = 1
    calls: list[tuple[str, str]] = field(default_factory=list)
    pending: dict[str, dict] = field(default_factory=dict)


@pytest.fixture()
def sagemaker_updates(monkeypatch):
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse
    from moto.core.common_types import TYPE_RESPONSE  # noqa: F401  (import check only)

    script = UpdateScript()
    original_describe = SageMakerResponse.describe_endpoint

    def _tick(backend, name: str) -> None:
        p = script.pending.get(name)
        if not p:
            return
        ep = backend.endpoints[name]
        if p["polls"] > 0:
            p["polls"] -= 1
            return
        outcome = p["outcome"]
        if outcome == "stuck":
            return
        del script.pending[name]
        if outcome == "ok":
            ep.endpoint_config_name, ep.endpoint_status, ep.failure_reason = (
                p["target"], "InService", None)
        elif outcome == "failed":
            ep.endpoint_config_name, ep.endpoint_status = p["target"], "Failed"
            ep.failure_reason = "The primary container for production variant AllTraffic " \
                                "did not pass the ping health check."
        elif outcome == "auto-rollback":
            ep.endpoint_status = "InService"
            ep.failure_reason = "Update failed: health check; rolled back to previous config"

    def update_endpoint(self):
        name = self._get_param("EndpointName")
        target = self._get_param("EndpointConfigName")
        backend = self.sagemaker_backend
        if name not in backend.endpoints:
            raise ValidationError(message=f"Could not find endpoint '{name}'.")
        backend.describe_endpoint_config(target)  # raises when the config is missing
        ep = backend.endpoints[name]
        if ep.endpoint_status not in ("InService", "Failed"):
            raise ValidationError(message=f"Cannot update in-progress endpoint '{ep.arn}'.")
        script.calls.append((name, target))
        ep.endpoint_status = "Updating"
        script.pending[name] = {"target": target, "polls": script.polls_updating,
                                "outcome": script.outcomes.get(target, "ok")}
        return json.dumps({"EndpointArn": ep.arn})

    def describe_endpoint(self):
        name = self._get_param("EndpointName")
        if name in self.sagemaker_backend.endpoints:
            _tick(self.sagemaker_backend, name)
        return original_describe(self)

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    monkeypatch.setattr(SageMakerResponse, "describe_endpoint", describe_endpoint)
    return script


def run_env(aws_env: dict) -> dict:
    """Environment for a job subprocess: the test's AWS settings, checkout on PYTHONPATH."""
    env = dict(os.environ)
    env.update(aws_env)
    return env


# ------------------------------------------------------------------------------------------
# labeled data: one synthetic corpus written in four formats, with broken records
# ------------------------------------------------------------------------------------------
FIRST = ["João", "Maria", "Pedro", "Ana", "Carlos", "Beatriz", "Rafael", "Juliana", "Lucas",
         "Fernanda", "Marcos", "Patrícia", "Tiago", "Larissa", "Bruno", "Camila"]
LAST = ["Silva", "Souza", "Oliveira", "Pereira", "Costa", "Rodrigues", "Almeida", "Nunes",
        "Barbosa", "Cardoso", "Teixeira", "Moreira"]
TEMPLATES = [
    "O operador {n} autorizou a manobra no turno da noite.",
    "{n} confirmou o desligamento programado para amanhã.",
    "Contato telefônico com {n} realizado pelo despacho regional.",
    "A equipe coordenada por {n} chegou ao pátio às oito horas.",
    "Segundo {n}, o equipamento foi liberado para energização.",
    "O relatório assinado por {n} descreve a ocorrência.",
]
LABEL = "PESSOA"


def make_docs(n: int, seed: int = 1, *, corrupt: bool = False) -> list[tuple[str, list]]:
    """[(text, [(start, end, label)])]; `corrupt` puts the label on random other words."""
    import random

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        t = TEMPLATES[i % len(TEMPLATES)]
        text = t.format(n=name)
        s = text.index(name)
        spans = [(s, s + len(name), LABEL)]
        if corrupt:
            words = [(m.start(), m.end()) for m in __import__("re").finditer(r"\w+", text)]
            a, b = words[rnd.randrange(len(words))]
            spans = [(a, b, LABEL)]
        out.append((text, spans))
    return out


def _conll(docs) -> str:
    import re

    lines = []
    for text, spans in docs:
        lines.append("-DOCSTART- O")
        lines.append("")
        for m in re.finditer(r"\S+", text):
            tag = "O"
            for s, e, lab in spans:
                if m.start() == s:
                    tag = f"B-{lab}"
                elif s < m.start() < e:
                    tag = f"I-{lab}"
            lines.append(f"{m.group()} {tag}")
        lines.append("")
    return "\n".join(lines) + "\n"


def labeled_corpus(seed: int = 1, *, corrupt: bool = False, n: int = 64) -> dict[str, bytes]:
    """S3 key (under labeled/) -> bytes, four formats, a few broken records, one stray file.

    CoNLL text is rebuilt with single spaces, so its sentences keep the punctuation glued to
    words ("noite.") exactly as the importer will see them.
    """
    docs = make_docs(n, seed, corrupt=corrupt)
    q = n // 4
    jl, co, ls, cp = docs[:q], docs[q:2 * q], docs[2 * q:3 * q], docs[3 * q:]
    jsonl = [json.dumps({"text": t, "spans": [{"start": s, "end": e, "label": l}
                                             for s, e, l in sp]}, ensure_ascii=False)
             for t, sp in jl]
    jsonl.insert(3, '{"text": "registro quebrado", "spans": [')           # invalid JSON
    jsonl.insert(5, json.dumps({"text": "curto", "spans": [{"start": 0, "end": 99,
                                                             "label": LABEL}]}))  # out of range
    tasks = []
    for i, (t, sp) in enumerate(ls):
        tasks.append({"id": i + 1, "data": {"text": t}, "annotations": [{
            "id": i + 1, "was_cancelled": False, "result": [
                {"type": "labels", "from_name": "label", "to_name": "text",
                 "value": {"start": s, "end": e, "text": t[s:e], "labels": [l]}}
                for s, e, l in sp]}]})
    tasks.append({"id": 999, "data": {"text": "Tarefa cancelada."},
                  "annotations": [{"id": 999, "was_cancelled": True, "result": []}]})
    csv_lines = ["File,Line,Begin Offset,End Offset,Type"]
    for i, (t, sp) in enumerate(cp):
        for s, e, l in sp:
            csv_lines.append(f"docs.txt,{i},{s},{e},{l}")
    csv_lines.append(f"docs.txt,{len(cp) + 40},0,5,{LABEL}")  # line that does not exist
    return {
        "labeled/batch1.jsonl": ("\n".join(jsonl) + "\n").encode(),
        "labeled/batch2.conll": _conll(co).encode(),
        "labeled/labelstudio/export.json": json.dumps(tasks, ensure_ascii=False).encode(),
        "labeled/comprehend/annotations.csv": ("\n".join(csv_lines) + "\n").encode(),
        "labeled/comprehend/docs.txt": ("\n".join(t for t, _ in cp) + "\n").encode(),
        "labeled/NOTES.md": b"annotation guidelines live elsewhere\n",
    }


def _upload(s3, bucket: str, files: dict[str, bytes], *, clear: bool = True) -> None:
    if clear:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                   Prefix="labeled/"):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=o["Key"])
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


@pytest.fixture()
def corpus():
    return labeled_corpus


@pytest.fixture()
def upload():
    return _upload
