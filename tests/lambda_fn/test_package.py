"""The zips: built by lambda/build.py, unzipped, imported in a bare venv without spaCy.

The venv has no site-packages of its own; sys.path gets the unzipped function folder (as
/var/task) and the libraries the Lambda runtime preinstalls (boto3's closure, as
/var/runtime), so anything else the handlers import would fail here as it would on Lambda.
Built with `--platform local --source env` (offline, this machine's binaries); the Lambda
build differs only in where the wheels come from (see docs/rest-api.md).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _build_module():
    spec = importlib.util.spec_from_file_location("entrec_lambda_build", ROOT / "lambda" / "build.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    build = _build_module()
    base = tmp_path_factory.mktemp("lambda-pkg")
    assert build.main(["--platform", "local", "--out", str(base / "dist"), "--no-compile"]) == 0
    unzipped = {}
    for name in ("proxy", "authorizer"):
        dest = base / "unzipped" / name
        with zipfile.ZipFile(base / "dist" / f"lambda-{name}.zip") as z:
            z.extractall(dest)
        unzipped[name] = dest
    runtime = base / "runtime"
    build.stage_runtime_libs(runtime)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return {"dist": base / "dist", "unzipped": unzipped, "runtime": runtime, "python": venv / "bin" / "python",
            "build": build}


def _names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as z:
        return z.namelist()


@pytest.mark.parametrize("name,handler,must,must_not", [
    ("proxy", "lambda_function.py", [],
     ["jwt/", "cryptography/", "authorizer.py", "aws_lambda_powertools/"]),
    ("authorizer", "authorizer.py", ["jwt/", "cryptography/", "aws_lambda_powertools/"],
     ["lambda_function.py"]),
])
def test_zip_contents(built, name, handler, must, must_not):
    names = _names(built["dist"] / f"lambda-{name}.zip")
    assert handler in names and "entrec_tokens.py" in names
    if name == "proxy":  # standard library + runtime botocore only
        assert sorted(names) == ["entrec_tokens.py", "lambda_function.py"]
    for prefix in must:
        assert any(n.startswith(prefix) for n in names), prefix
    for prefix in must_not + ["spacy/", "engine/", "boto3/", "botocore/", "s3transfer/", "thinc/", "numpy/"]:
        assert not any(n.startswith(prefix) for n in names), prefix
    with zipfile.ZipFile(built["dist"] / f"lambda-{name}.zip") as z:
        assert z.read("entrec_tokens.py") == (ROOT / "keyset" / "__init__.py").read_bytes()
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}  # reproducible


def test_build_is_deterministic(built, tmp_path):
    again = tmp_path / "dist"
    assert built["build"].main(["--platform", "local", "--out", str(again), "--no-compile", "--only", "proxy"]) == 0
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (built["dist"] / "lambda-proxy.zip",
                                                                      again / "lambda-proxy.zip")]
    assert digest[0] == digest[1]


PROBE = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
name = sys.argv[3]
out = {}
try:
    import spacy  # noqa: F401
    out["spacy_importable"] = True
except ImportError:
    out["spacy_importable"] = False
if name == "proxy":
    import lambda_function as m
    ev = {"version": "2.0", "routeKey": "POST /v1/entities", "rawPath": "/v1/entities", "headers": {},
          "requestContext": {"requestId": "r1", "stage": "$default", "http": {"method": "POST"}},
          "body": "{not json", "isBase64Encoded": False}
    r = m.lambda_handler(ev, None)
    out["status"] = r["statusCode"]
    out["code"] = json.loads(r["body"])["error"]["code"]
else:
    import authorizer as m
    try:
        m.lambda_handler({"type": "TOKEN", "methodArn": "arn:aws:execute-api:us-east-1:1:a/s/POST/v1/entities",
                          "authorizationToken": "Bearer a.b.c"}, None)
    except Exception as exc:
        out["raised"] = str(exc)
    import jwt.algorithms
    out["has_crypto"] = jwt.algorithms.has_crypto
out["module_file"] = m.__file__
out["tokens_file"] = sys.modules["entrec_tokens"].__file__
heavy = ("spacy", "thinc", "numpy", "engine", "torch", "boto3", "s3transfer")
out["heavy_loaded"] = sorted(k for k in sys.modules if k.split(".")[0] in heavy)
print(json.dumps(out))
"""


@pytest.mark.parametrize("name", ["proxy", "authorizer"])
def test_handler_imports_from_unzipped_package_in_bare_venv(built, name):
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "KEYSET_SECRET_ID": "entrec/x",
           "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:9"}  # nothing listens: denied, not crashed
    res = subprocess.run([str(built["python"]), "-c", PROBE, str(built["unzipped"][name]), str(built["runtime"]),
                          name], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["spacy_importable"] is False  # the venv really is bare
    assert out["module_file"].startswith(str(built["unzipped"][name]))
    assert out["tokens_file"].startswith(str(built["unzipped"][name]))  # the vendored copy, not engine/
    assert out["heavy_loaded"] == []
    if name == "proxy":
        assert (out["status"], out["code"]) == (400, "bad-json")
    else:
        assert out["raised"] == "Unauthorized" and out["has_crypto"] is True
