"""Inequality recognition (DESIGN §3): a Lark LALR grammar over a lexicon-driven token stream.

    from entrec.engine.inequality import InequalityExtractor, InequalitySource
    ext = InequalityExtractor.load()                  # packaged grammar + lexicons
    ext.extract("superior a 4.000 MW", "pt")          # -> [Candidate(label="INEQUALITY", ...)]
"""
from __future__ import annotations

from .extractor import DEFAULT_PRIORITY, LABEL, InequalityExtractor, Match
from .lexicon import Lexicon, load_lexicon, parse_lexicon
from .source import InequalitySource

__all__ = ["InequalityExtractor", "InequalitySource", "Match", "Lexicon", "load_lexicon",
           "parse_lexicon", "LABEL", "DEFAULT_PRIORITY"]
