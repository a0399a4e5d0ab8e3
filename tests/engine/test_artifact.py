"""Model artifacts: safe extraction, verification, deterministic packaging (DESIGN §7)."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from entrec.engine.artifact import open_model, safe_extract, verify_model_dir
from entrec.engine.errors import ArtifactError
from entrec.training.package import package_model

RULES = """\
version: 1
language: pt
labels:
  SUBESTACAO: subestação
  AGENTE: agente
rules:
  - id: t.subestacao
    label: SUBESTACAO
    regex: "SE [A-Z][a-z]+"
  - id: t.agente
    label: AGENTE
    phrases: [CHESF, ONS]
"""


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    rules = tmp_path / "in" / "pt"
    rules.mkdir(parents=True)
    (rules / "basic.yaml").write_text(RULES, encoding="utf-8")
    (rules / "__pycache__").mkdir()
    (rules / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    gram = tmp_path / "in" / "grammars"
    (gram / "lexicon").mkdir(parents=True)
    (gram / "inequality.lark").write_text("start: /x/\n", encoding="utf-8")
    (gram / "lexicon" / "pt.yaml").write_text("units: {}\n", encoding="utf-8")
    return {"rules": rules, "grammars": gram}


def _pkg(out: Path, inputs: dict[str, Path], **kw) -> Path:
    kw.setdefault("version", "v1")
    kw.setdefault("created_at", "2024-01-01T00:00:00Z")
    return package_model(out, rules=[inputs["rules"]], grammars_dir=inputs["grammars"], **kw)


@pytest.fixture
def model(tmp_path: Path, inputs) -> Path:
    return _pkg(tmp_path / "out", inputs, metrics={"f1": 0.5}, training_data_sha256="ab" * 32)


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


# ------------------------------------------------------------------ packaging


def test_round_trip_layout_and_manifest(model: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert model == out / "model.tar.gz"
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "model", "model.tar.gz"]
    manifest = verify_model_dir(out / "model")
    assert manifest["name"] == "entrec" and manifest["version"] == "v1"
    assert manifest["created_at"] == "2024-01-01T00:00:00Z"
    assert manifest["components"] == ["rules", "grammar"]
    assert manifest["format_version"] == 1
    assert manifest["metrics"] == {"f1": 0.5}
    assert manifest["training_data_sha256"] == "ab" * 32
    assert manifest["spacy_version"] and manifest["entrec_version"]
    assert set(manifest["files"]) == {"rules/pt/basic.yaml", "grammars/inequality.lark",
                                      "grammars/lexicon/pt.yaml"}
    digest = hashlib.sha256((out / "model/rules/pt/basic.yaml").read_bytes()).hexdigest()
    assert manifest["files"]["rules/pt/basic.yaml"] == digest
    # every accepted form opens to the same manifest
    for form in (model, out, out / "model"):
        d, m = open_model(form, workdir=tmp_path / f"w{hash(form) & 0xffff}")
        assert m == manifest
        assert (d / "rules/pt/basic.yaml").read_text(encoding="utf-8") == RULES


def test_tarball_members_are_relative_and_normalized(model: Path):
    with tarfile.open(model) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert "manifest.json" in names and "rules/pt/basic.yaml" in names
    assert not any(n.startswith(("/", "./")) or ".." in n for n in names)
    assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members)
    assert all(m.isfile() or m.isdir() for m in members)


def test_same_inputs_same_sha256(tmp_path: Path, inputs):
    a = _pkg(tmp_path / "a", inputs)
    os.utime(inputs["rules"] / "basic.yaml", (1, 1))  # mtimes must not matter
    b = _pkg(tmp_path / "b", inputs)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    c = _pkg(tmp_path / "c", inputs, version="v2")
    assert c.read_bytes() != a.read_bytes()


def test_default_version_is_utc_timestamp(tmp_path: Path, inputs, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    tar = package_model(tmp_path / "o", rules=[inputs["rules"]], grammars_dir=inputs["grammars"])
    m = json.loads((tar.parent / "model" / "manifest.json").read_text())
    assert m["version"] == "20231114T221320Z"
    assert m["created_at"] == "2023-11-14T22:13:20Z"


def test_package_refuses_existing_output_and_broken_rules(tmp_path: Path, inputs, model):
    with pytest.raises(ArtifactError) as e:
        _pkg(tmp_path / "out", inputs)
    assert e.value.code == "package-out-exists"
    (inputs["rules"] / "bad.yaml").write_text("version: 1\nlanguage: xx\n", encoding="utf-8")
    from entrec.engine.errors import RuleFileError

    with pytest.raises(RuleFileError):
        _pkg(tmp_path / "bad", inputs)
    assert not (tmp_path / "bad" / "model").exists()


def test_package_with_ner_dir(tmp_path: Path, inputs):
    ner = tmp_path / "ner"
    ner.mkdir()
    (ner / "config.cfg").write_text("[nlp]\nlang = \"pt\"\n", encoding="utf-8")
    (ner / "meta.json").write_text('{"lang": "pt"}', encoding="utf-8")
    tar = _pkg(tmp_path / "o", inputs, ner_dir=ner)
    _, m = open_model(tar, workdir=tmp_path / "x")
    assert m["components"] == ["rules", "grammar", "model"]
    assert m["language"] == "pt"
    assert "ner/config.cfg" in m["files"]
    with pytest.raises(ArtifactError) as e:
        _pkg(tmp_path / "o2", inputs, ner_dir=tmp_path / "in")
    assert e.value.code == "package-bad-input"


# -------------------------------------------------------------- verification


def test_flipped_byte_is_checksum_mismatch(model: Path):
    f = model.parent / "model" / "rules" / "pt" / "basic.yaml"
    data = bytearray(f.read_bytes())
    data[10] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as e:
        verify_model_dir(model.parent / "model")
    assert e.value.code == "artifact-checksum-mismatch"
    assert "rules/pt/basic.yaml" in e.value.message


def test_missing_file(model: Path):
    (model.parent / "model" / "grammars" / "lexicon" / "pt.yaml").unlink()
    with pytest.raises(ArtifactError) as e:
        open_model(model.parent / "model")
    assert e.value.code == "artifact-missing-file"
    assert "grammars/lexicon/pt.yaml" in e.value.message


def test_unlisted_file(model: Path):
    (model.parent / "model" / "rules" / "pt" / "extra.yaml").write_text("x", encoding="utf-8")
    with pytest.raises(ArtifactError) as e:
        verify_model_dir(model.parent / "model")
    assert e.value.code == "artifact-unlisted-file"
    assert "rules/pt/extra.yaml" in e.value.message


def test_symlink_inside_model_dir(model: Path, tmp_path: Path):
    (model.parent / "model" / "link.yaml").symlink_to(tmp_path / "in" / "pt" / "basic.yaml")
    with pytest.raises(ArtifactError) as e:
        verify_model_dir(model.parent / "model")
    assert e.value.code == "artifact-unsafe-member"


@pytest.mark.parametrize("content, fragment", [
    (None, "missing"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"name": "x", "version": "1"}', "files"),
    ('{"name": "x", "version": "1", "files": {"../etc/passwd": "' + "0" * 64 + '"}}', "unsafe"),
    ('{"name": "x", "version": "1", "files": {}, "format_version": 99}', "not supported"),
])
def test_manifest_invalid(tmp_path: Path, content, fragment):
    d = tmp_path / "m"
    d.mkdir()
    if content is not None:
        (d / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(ArtifactError) as e:
        verify_model_dir(d)
    assert e.value.code == "artifact-manifest-invalid"
    assert fragment in e.value.message


def test_tampered_tarball_is_refused_after_extraction(model: Path, tmp_path: Path):
    """A tarball whose file differs from its manifest fails verification on open."""
    src = model.parent / "model"
    (src / "rules" / "pt" / "basic.yaml").write_text(RULES + "# evil\n", encoding="utf-8")
    from entrec.training.package import write_tarball

    bad = write_tarball(src, tmp_path / "bad.tar.gz")
    with pytest.raises(ArtifactError) as e:
        open_model(bad, workdir=tmp_path / "w")
    assert e.value.code == "artifact-checksum-mismatch"


def test_not_found_and_unreadable(tmp_path: Path):
    with pytest.raises(ArtifactError) as e:
        open_model(tmp_path / "nope")
    assert e.value.code == "artifact-not-found"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError) as e:
        open_model(tmp_path / "empty")
    assert e.value.code == "artifact-not-found"
    junk = tmp_path / "model.tar.gz"
    junk.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(ArtifactError) as e:
        open_model(junk, workdir=tmp_path / "w")
    assert e.value.code == "artifact-unreadable"


# ---------------------------------------------------------------- extraction


def _assert_unsafe(tar: Path, dest: Path, member: str) -> None:
    with pytest.raises(ArtifactError) as e:
        safe_extract(tar, dest)
    assert e.value.code == "artifact-unsafe-member"
    assert repr(member) in e.value.message
    # nothing was written: checks run before the first byte
    assert not dest.exists() or not any(dest.iterdir())


def test_dotdot_member(tmp_path: Path):
    tar = _tar(tmp_path / "t.tar.gz", [_file("manifest.json"), _file("../evil.txt")])
    _assert_unsafe(tar, tmp_path / "d", "../evil.txt")
    assert not (tmp_path / "evil.txt").exists()


def test_nested_dotdot_member(tmp_path: Path):
    tar = _tar(tmp_path / "t.tar.gz", [_file("rules/../../evil.txt")])
    _assert_unsafe(tar, tmp_path / "d", "rules/../../evil.txt")


def test_absolute_member(tmp_path: Path):
    target = tmp_path / "abs-evil.txt"
    tar = _tar(tmp_path / "t.tar.gz", [_file("manifest.json"), _file(str(target))])
    _assert_unsafe(tar, tmp_path / "d", str(target))
    assert not target.exists()


def test_symlink_member(tmp_path: Path):
    link = tarfile.TarInfo("rules/evil")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    tar = _tar(tmp_path / "t.tar.gz", [_file("manifest.json"), (link, None)])
    _assert_unsafe(tar, tmp_path / "d", "rules/evil")


def test_symlink_then_write_through(tmp_path: Path):
    """The classic attack: a link to outside, then a file 'inside' the link."""
    link = tarfile.TarInfo("x")
    link.type = tarfile.SYMTYPE
    link.linkname = str(tmp_path)
    tar = _tar(tmp_path / "t.tar.gz", [(link, None), _file("x/pwned.txt")])
    _assert_unsafe(tar, tmp_path / "d", "x")
    assert not (tmp_path / "pwned.txt").exists()


def test_hardlink_member(tmp_path: Path):
    link = tarfile.TarInfo("hard")
    link.type = tarfile.LNKTYPE
    link.linkname = "manifest.json"
    tar = _tar(tmp_path / "t.tar.gz", [_file("manifest.json"), (link, None)])
    _assert_unsafe(tar, tmp_path / "d", "hard")


def test_device_member(tmp_path: Path):
    dev = tarfile.TarInfo("dev")
    dev.type = tarfile.CHRTYPE
    tar = _tar(tmp_path / "t.tar.gz", [(dev, None)])
    _assert_unsafe(tar, tmp_path / "d", "dev")


def test_duplicate_member(tmp_path: Path):
    tar = _tar(tmp_path / "t.tar.gz", [_file("a.txt", b"1"), _file("a.txt", b"2")])
    _assert_unsafe(tar, tmp_path / "d", "a.txt")


def test_extract_into_non_empty_dir_refused(model: Path, tmp_path: Path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "stale").write_text("x")
    with pytest.raises(ArtifactError) as e:
        safe_extract(model, d)
    assert e.value.code == "artifact-dest-not-empty"


def test_sagemaker_dir_with_only_tarball(model: Path, tmp_path: Path):
    sm = tmp_path / "opt_ml_model"
    sm.mkdir()
    (sm / "model.tar.gz").write_bytes(model.read_bytes())
    d, m = open_model(sm)
    assert d != sm and (d / "manifest.json").is_file()
    assert m["version"] == "v1"
    assert oct((d / "rules/pt/basic.yaml").stat().st_mode & 0o777) == oct(0o644)


def test_cli_package(tmp_path: Path, inputs, capsys):
    import argparse

    from entrec.cli import package as cmd

    parser = argparse.ArgumentParser()
    cmd.add_arguments(parser)
    (tmp_path / "metrics.json").write_text('{"f1": 0.9}', encoding="utf-8")
    args = parser.parse_args(["--rules", str(inputs["rules"]), "--grammars", str(inputs["grammars"]),
                              "--out", str(tmp_path / "o"), "--name", "grid", "--version", "7",
                              "--metrics", str(tmp_path / "metrics.json")])
    assert cmd.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "grid" and out["version"] == "7" and out["files"] == 3
    assert out["sha256"] == hashlib.sha256((tmp_path / "o" / "model.tar.gz").read_bytes()).hexdigest()
    _, m = open_model(tmp_path / "o" / "model.tar.gz", workdir=tmp_path / "w")
    assert m["metrics"] == {"f1": 0.9}
    bad = parser.parse_args(["--out", str(tmp_path / "o2"), "--metrics", str(tmp_path / "nope.json")])
    from entrec.engine.errors import InputError

    with pytest.raises(InputError) as e:
        cmd.run(bad)
    assert e.value.code == "bad-metrics-file"


FORK_SCRIPT = """\
import os, sys
from entrec.engine.artifact import open_model
d, _ = open_model(sys.argv[1])
pid = os.fork()
if pid == 0:
    sys.exit(0)  # a normal exit runs the atexit handlers the child inherited
os.waitpid(pid, 0)
print(d)
print((d / "manifest.json").is_file())
"""


def test_temporary_extraction_survives_forked_children_and_goes_with_its_owner(model: Path, tmp_path: Path):
    """A gunicorn master opens the tarball before forking its workers; a worker that exits
    (recycled, timed out) must not delete the directory its siblings read, and the process
    that made it still removes it at exit."""
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    out = subprocess.run([sys.executable, "-c", FORK_SCRIPT, str(model)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    extracted, still_there = out.stdout.split()
    assert still_there == "True"  # after the child's exit
    assert Path(extracted).parent == tmp_path / "tmp"
    assert not Path(extracted).exists()  # removed when the owner exited
