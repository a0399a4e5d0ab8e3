"""A real moto server, in its own process on loopback, for the retraining tests (S3 + SageMaker).

The server is `tests/glue/sagemaker_standin.py`: moto plus the SageMaker UpdateEndpoint that
moto lacks, registered in the server process. Every client (boto3 in the tests, the job,
`entrec deploy` run as a subprocess) talks to it over HTTP, unpatched. `sagemaker_updates`
scripts the outcome of each update (`ok`, `failed`, `auto-rollback`, `stuck`, after N polls
of "Updating") through the server's control folder and reads back the updates it accepted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

import boto3  # the `aws` extra; moto[server] from the test extra
import moto.server  # noqa: F401  (the stand-in process runs it)

REGION = "us-east-1"
STANDIN = Path(__file__).with_name("sagemaker_standin.py")


@pytest.fixture(scope="session")
def moto_control(tmp_path_factory):
    return tmp_path_factory.mktemp("sagemaker-standin")


@pytest.fixture(scope="session")
def moto_endpoint(moto_control):
    proc = subprocess.Popen([sys.executable, str(STANDIN), "--control", str(moto_control)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"the SageMaker stand-in did not start: {line!r}")
    yield line.split(" ", 1)[1]
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture()
def aws_env(moto_endpoint, moto_control, monkeypatch):
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
    for name in ("outcomes.json", "calls.jsonl"):
        (moto_control / name).unlink(missing_ok=True)
    return env


@pytest.fixture()
def s3(aws_env, moto_endpoint):
    return boto3.client("s3", region_name=REGION, endpoint_url=moto_endpoint)


@pytest.fixture()
def sm(aws_env, moto_endpoint):
    return boto3.client("sagemaker", region_name=REGION, endpoint_url=moto_endpoint)


@pytest.fixture()
def bucket(s3):
    name = f"entrec-test-{uuid.uuid4().hex[:8]}-dev-entityrecognition"
    s3.create_bucket(Bucket=name)
    return name


class _Outcomes(dict):
    def __init__(self, control: Path):
        super().__init__()
        self.control = control

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        (self.control / "outcomes.json").write_text(json.dumps(dict(self)))


class UpdateScript:
    """Outcome of UpdateEndpoint per target config name (default `ok`), in the server."""

    def __init__(self, control: Path):
        self.control = control
        self.outcomes = _Outcomes(control)

    @property
    def calls(self) -> list[tuple[str, str]]:
        f = self.control / "calls.jsonl"
        if not f.is_file():
            return []
        return [tuple(json.loads(line)) for line in f.read_text().splitlines() if line]


@pytest.fixture()
def sagemaker_updates(aws_env, moto_control):
    return UpdateScript(moto_control)


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
