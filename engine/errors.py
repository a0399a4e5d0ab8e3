"""One exception root, a small tree, stable kebab-case codes (registry: `error_codes.py`).

Every error a user can cause derives from `EntrecError` and carries a `code` that tests
assert exactly; the CLI prints `str(err)` (never a traceback) and exits 2. Bad input is also
a `ValueError`, so callers that do not know entrec's tree still catch it the usual way.

The tree (`TREE`, drawn once below) is appended to this docstring and to docs/errors.md:
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .diagnostics import Diagnostic

__all__ = [
    "EntrecError", "InputError", "DataImportError", "DefinitionError", "RuleFileError",
    "LexiconError", "ArtifactError", "TREE",
]

#: the exception tree, drawn once (module docstring, docs/errors.md)
TREE = """
EntrecError                      entrec-error         root (Exception)
├── InputError                   bad-input            + ValueError: texts, records, options
│   └── DataImportError          import-failed        labeled data unusable as a whole
├── DefinitionError              (abstract)           + ValueError: located diagnostics
│   ├── RuleFileError            rule-file-invalid    rule files (file:line:col, hint)
│   └── LexiconError             lexicon-invalid      inequality lexicons
├── ArtifactError                artifact-invalid     + ValueError: model artifacts
├── TrainingError                training-failed      entrec.training.train
│   └── ConfigError              train-config-invalid entrec.training.config
├── RetrainError                 retrain-failed       entrec.training.retrain
├── DeployError                  deploy-failed        entrec.training.deploy
├── KeySetError / TokenError     keyset-*             entrec.keyset (+ ValueError)
└── CompactPatternError,         pattern-invalid,     internal to rule loading; always
    PhrasesFileError,            phrases-file-invalid reported as located diagnostics
    FileProblem (userfile),      file-*, path-*       unsafe or unreadable pack files
    RegexProblem (regexcheck)    regex-*              regexes RE2 rejects or that backtrack
"""


__doc__ = (__doc__ or "") + "\n" + "\n".join(("    " + ln) if ln else "" for ln in TREE.strip("\n").split("\n")) + "\n"


class EntrecError(Exception):
    """Root of every error entrec raises on purpose."""

    code: str = "entrec-error"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        s = f"[{self.code}] {self.message}"
        if self.hint:
            s += f"\n  hint: {self.hint}"
        return s


class DefinitionError(EntrecError, ValueError):
    """A definition file (rule file, lexicon) is invalid: `diagnostics` lists every problem
    found, each located (file:line:col) with a stable code."""

    code = "rule-file-invalid"

    def __init__(self, diagnostics: "Sequence[Diagnostic]"):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in rule files")

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class RuleFileError(DefinitionError):
    """One or more rule files are invalid; `diagnostics` lists every problem found."""

    code = "rule-file-invalid"


class LexiconError(DefinitionError):
    """An inequality lexicon file is invalid (same located diagnostics as rule files)."""

    code = "lexicon-invalid"


class ArtifactError(EntrecError, ValueError):
    """A model artifact is missing, partial, tampered with or unsafe to extract."""

    code = "artifact-invalid"


class InputError(EntrecError, ValueError):
    """Input text or records the caller sent are unusable (bad JSON, wrong types...)."""

    code = "bad-input"


class DataImportError(InputError):
    """Labeled data could not be imported at all (per-record problems go to the report)."""

    code = "import-failed"
