"""The registry of importers by format name: one place that `detect` and `load_documents` read.

Kept apart from the package `__init__` so that format detection can read the registry
without importing the package that imports detection (no import circle).
"""
from __future__ import annotations

from .base import Importer
from .comprehend import ComprehendAnnotationsImporter, ComprehendEntityListImporter
from .conll import ConllImporter
from .jsonl_spans import JsonlSpansImporter
from .label_studio import LabelStudioImporter

__all__ = ["IMPORTERS", "register_importer", "get_importer"]

#: format name -> importer (aliases resolve through `get_importer`).
IMPORTERS: dict[str, Importer] = {}
_ALIASES: dict[str, str] = {}


def register_importer(importer: Importer, *, replace_existing: bool = False) -> Importer:
    """Make a format available by `importer.name` (and its `aliases`)."""
    name = importer.name
    if name in IMPORTERS and not replace_existing:
        raise ValueError(f"an importer named {name!r} is already registered")
    IMPORTERS[name] = importer
    for alias in getattr(importer, "aliases", ()):
        _ALIASES[alias] = name
    return importer


for _imp in (JsonlSpansImporter(), ConllImporter(), LabelStudioImporter(),
             ComprehendAnnotationsImporter(), ComprehendEntityListImporter()):
    register_importer(_imp)


def get_importer(fmt: str) -> Importer:
    from entrec.engine.diagnostics import did_you_mean
    from entrec.engine.errors import DataImportError

    key = fmt.strip().lower()
    name = key if key in IMPORTERS else _ALIASES.get(key)
    if name is None:
        hint = did_you_mean(key, list(IMPORTERS) + list(_ALIASES))
        raise DataImportError(f"unknown format {fmt!r}", code="unknown-format",
                              hint=(hint + " " if hint else "") + "formats: "
                              + ", ".join(sorted(IMPORTERS)))
    return IMPORTERS[name]


