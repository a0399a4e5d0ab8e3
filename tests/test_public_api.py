"""The public surface is deliberate: each public module's `__all__` is exactly this list.

A change here is an API change: update the list on purpose (and the README), never by
accident. Every name in `__all__` must resolve.
"""
from __future__ import annotations

import importlib

import pytest

_ROOT_API = {"ArtifactError", "Candidate", "DataImportError", "Discarded", "Engine", "Entity",
             "EntrecError", "InputError", "LexiconError", "Resolution", "ResolutionConfig",
             "RuleFileError", "__version__", "register_policy"}

PUBLIC: dict[str, set[str]] = {
    "entrec": _ROOT_API,
    "entrec.engine": _ROOT_API,
    "entrec.engine.errors": {"ArtifactError", "DataImportError", "DefinitionError", "EntrecError",
                             "InputError", "LexiconError", "RuleFileError", "TREE"},
    "entrec.engine.error_codes": {"ERROR_CODES", "ErrorCode", "KINDS", "render_markdown"},
    "entrec.engine.entity": {"Candidate", "Entity", "SOURCES", "Source"},
    "entrec.engine.artifact": {"COMPONENT_DIRS", "FORMAT_VERSION", "MANIFEST_NAME", "REQUIRED_FIELDS",
                               "TARBALL_NAME", "iter_artifact_files", "open_model", "read_manifest",
                               "safe_extract", "sha256_file", "verify_model_dir"},
    "entrec.engine.inequality": {"DEFAULT_PRIORITY", "InequalityExtractor", "InequalitySource", "LABEL",
                                 "Lexicon", "Match", "load_lexicon", "parse_lexicon", "compiled_status",
                                 "CompiledStatus"},
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_all_is_exact_and_resolves(name):
    mod = importlib.import_module(name)
    assert set(mod.__all__) == PUBLIC[name]
    assert len(mod.__all__) == len(set(mod.__all__)), "duplicates in __all__"
    for attr in mod.__all__:
        assert getattr(mod, attr) is not None, attr


def test_root_and_engine_export_the_same_objects():
    import entrec
    import entrec.engine

    for attr in _ROOT_API - {"__version__"}:
        assert getattr(entrec, attr) is getattr(entrec.engine, attr), attr
