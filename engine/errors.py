"""One exception root, a small tree, stable kebab-case codes.

Every error a user can cause derives from `EntrecError` and carries a `code` that tests
assert exactly; the CLI prints `str(err)` (never a traceback) and exits 1 or 2.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .diagnostics import Diagnostic

__all__ = [
    "EntrecError", "RuleFileError", "LexiconError", "ArtifactError", "InputError",
    "DataImportError",
]


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


class RuleFileError(EntrecError):
    """One or more rule files are invalid; `diagnostics` lists every problem found."""

    code = "rule-file-invalid"

    def __init__(self, diagnostics: "Sequence[Diagnostic]"):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in rule files")

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class LexiconError(RuleFileError):
    """An inequality lexicon file is invalid (same located diagnostics as rule files)."""

    code = "lexicon-invalid"


class ArtifactError(EntrecError):
    """A model artifact is missing, partial, tampered with or unsafe to extract."""

    code = "artifact-invalid"


class InputError(EntrecError):
    """Input text or records the caller sent are unusable (bad JSON, wrong types...)."""

    code = "bad-input"


class DataImportError(EntrecError):
    """Labeled data could not be imported at all (per-record problems go to the report)."""

    code = "import-failed"
