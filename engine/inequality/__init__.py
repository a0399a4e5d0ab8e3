"""Inequality recognition (DESIGN §3): a Lark LALR grammar over a lexicon-driven token stream.

    from entrec.engine.inequality import InequalityExtractor, InequalitySource
    ext = InequalityExtractor.load()                  # packaged grammar + lexicons
    ext.extract("superior a 4.000 MW", "pt")          # -> [Candidate(label="INEQUALITY", ...)]
"""
from __future__ import annotations

from pathlib import Path as _Path

from ._compiled import CompiledStatus, install_guard as _install_guard

# before any grammar module is imported: a compiled build runs only while it matches the source
_STATUS = _install_guard(__name__, _Path(__file__).resolve().parent)

from .extractor import DEFAULT_PRIORITY, LABEL, InequalityExtractor, Match  # noqa: E402
from .lexicon import Lexicon, load_lexicon, parse_lexicon  # noqa: E402
from .source import InequalitySource  # noqa: E402


def compiled_status() -> CompiledStatus:
    """Whether the grammar's hot modules run compiled in this process, and why not."""
    return _STATUS


__all__ = ["InequalityExtractor", "InequalitySource", "Match", "Lexicon", "load_lexicon",
           "parse_lexicon", "LABEL", "DEFAULT_PRIORITY", "compiled_status", "CompiledStatus"]
