"""Errors as a contract: one registry of stable kebab-case codes, one exception root.

The source is scanned with `ast` for every code it can emit (keyword `code=`, class
attribute `code = ...`, `"code": ...` entries, located diagnostics, the predictor's and the
proxy's wire errors) and each must be registered in `entrec.engine.error_codes`;
`docs/errors.md` must be the registry's current rendering (`entrec errors --markdown`).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from entrec.engine import error_codes
from entrec.engine.errors import EntrecError

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ["engine", "training", "serving", "cli", "keyset", "pipeline", "lambda", "glue",
           "documents", "batch", "playground"]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: call name -> index of the positional argument that is a code
POSITIONAL = {"diagnostic": 0, "Diagnostic": 0, "_error": 1, "ApiError": 1, "ProxyError": 1,
              "TokenError": 0}


def _emitted_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for top in FOLDERS:
        base = ROOT / top
        if not base.is_dir():
            continue
        for f in sorted(base.rglob("*.py")):
            tree = ast.parse(f.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                vals: list[ast.AST] = []
                if isinstance(node, ast.keyword) and node.arg == "code":
                    vals.append(node.value)
                elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code"
                                                          for t in node.targets):
                    vals.append(node.value)
                elif isinstance(node, ast.Dict):
                    vals += [v for k, v in zip(node.keys, node.values)
                             if isinstance(k, ast.Constant) and k.value == "code"]
                elif isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    i = POSITIONAL.get(name or "")
                    if i is not None and len(node.args) > i:
                        vals.append(node.args[i])
                for v in vals:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        found.setdefault(v.value, f"{f.relative_to(ROOT)}:{getattr(v, 'lineno', 0)}")
    return found


def test_every_emitted_code_is_registered_and_kebab_case():
    emitted = _emitted_codes()
    assert len(emitted) > 100  # the scan sees the code base (a broken scan must not pass)
    bad = {c: w for c, w in emitted.items() if not KEBAB.match(c)}
    assert not bad, f"codes must be kebab-case: {bad}"
    missing = {c: w for c, w in emitted.items() if c not in error_codes.ERROR_CODES}
    assert not missing, f"register these in engine/error_codes.py: {missing}"


def test_registry_is_well_formed():
    for code, entry in error_codes.ERROR_CODES.items():
        assert KEBAB.match(code), code
        assert entry.code == code and entry.kind in error_codes.KINDS and entry.summary.strip()


def test_rule_file_codes_documented_in_loader_are_registered():
    from entrec.engine.rules import loader

    codes = set(getattr(loader, "DIAGNOSTIC_CODES", ()) or getattr(loader, "CODES", ()))
    assert codes and codes <= set(error_codes.ERROR_CODES)


def test_docs_errors_md_is_current():
    doc = ROOT / "docs" / "errors.md"
    assert doc.is_file(), "run: entrec errors --markdown > docs/errors.md"
    assert doc.read_text(encoding="utf-8") == error_codes.render_markdown(), \
        "docs/errors.md is stale; run: entrec errors --markdown > docs/errors.md"


def test_exception_tree_has_builtin_bases_and_one_root():
    from entrec.engine import errors

    assert issubclass(errors.InputError, ValueError) and issubclass(errors.RuleFileError, ValueError)
    assert issubclass(errors.ArtifactError, ValueError)
    assert not issubclass(errors.LexiconError, errors.RuleFileError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, EntrecError), name
            assert obj.code in error_codes.ERROR_CODES, (name, obj.code)


@pytest.mark.parametrize("module", ["entrec.keyset", "entrec.engine.rules.compact", "entrec.engine.rules.phrases"])
def test_error_classes_outside_errors_py_derive_from_the_root(module):
    import importlib

    mod = importlib.import_module(module)
    classes = [v for v in vars(mod).values()
               if isinstance(v, type) and issubclass(v, Exception) and v.__module__ == mod.__name__]
    assert classes
    for cls in classes:
        assert issubclass(cls, EntrecError), cls


def test_plain_value_error_handlers_catch_bad_input():
    from entrec import Engine

    eng = Engine.load(components=("grammar",))
    with pytest.raises(ValueError) as exc:
        eng.extract(12345)  # type: ignore[arg-type]
    assert exc.value.code == "text-not-string"
