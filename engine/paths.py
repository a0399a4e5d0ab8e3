"""Where the embedded package data lives, in a checkout and in an installed wheel.

The wheel installs `grammars/` and `rules/` as `entrec/grammars` and `entrec/rules`, siblings
of `entrec/engine`; a checkout (editable install) has them as siblings of `engine/`. Either
way they sit next to this package's folder, so no import-system lookup is needed.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["grammars_dir", "rules_dir", "samples_dir"]

_ROOT = Path(__file__).resolve().parent.parent


def grammars_dir() -> Path:
    """Folder with `inequality.lark` and `lexicon/*.yaml`."""
    return _ROOT / "grammars"


def rules_dir() -> Path:
    """Folder with the default rule packs (`pt/`, `en/`, `examples/`)."""
    return _ROOT / "rules"


def samples_dir() -> Path:
    """Bundled sample texts (used by `make run`)."""
    return Path(__file__).resolve().parent / "samples"
