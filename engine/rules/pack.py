"""A loaded rule pack (one language) and where its rule files are.

Kept apart from the loader so that a start-up served from the compiled-pack cache
(`pack_cache`) imports neither the YAML reader nor the validator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from spacy.vocab import Vocab

from ..diagnostics import Diagnostic
from ..resolver import ResolutionConfig
from ..userfile import is_inside
from .phrases import MergedPhrases
from .schema import TestCase
from .source import CompiledRule, RuleSource

__all__ = ["RulePack", "LoadedTest", "discover_rule_files"]


@dataclass
class LoadedTest:
    case: TestCase
    file: str
    index: int
    line: int


@dataclass
class RulePack:
    """Everything loaded for one language."""

    language: str
    labels: dict[str, str] = field(default_factory=dict)
    rules: list[CompiledRule] = field(default_factory=list)
    tests: list[LoadedTest] = field(default_factory=list)
    resolution: ResolutionConfig = field(default_factory=ResolutionConfig)
    files: list[str] = field(default_factory=list)
    #: the merged phrase tables of the enabled phrase rules (`MergedPhrases.state()`), when
    #: the compiled-pack cache had them; else they are merged on first use
    phrase_tables: tuple | None = field(default=None, repr=False, compare=False)

    def merged_phrases(self) -> MergedPhrases | None:
        """Every enabled phrase rule on merged tables (None without phrase rules)."""
        rules = [r for r in self.rules if r.model.enabled and r.kind == "phrases"]
        if not rules:
            return None
        if self.phrase_tables is not None:
            return MergedPhrases.from_state(self.phrase_tables, rules)
        merged = MergedPhrases.build([r.phrase_index for r in rules], rules)
        self.phrase_tables = merged.state()
        return merged

    def source(self, vocab: Vocab) -> RuleSource:
        return RuleSource(self.language, self.rules, vocab, phrases=self.merged_phrases())


def discover_rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories into their *.yaml / *.yml files (recursively, sorted)."""
    return [f for f, _ in _discover(paths, [])]


def _discover(paths: Iterable[str | Path], diags: list[Diagnostic]) -> list[tuple[Path, Path]]:
    """(file, pack folder) for every rule file; a folder given is the pack folder of the
    files under it, a file given is in its own folder's pack. Problems go to `diags`."""
    out: list[tuple[Path, Path]] = []
    for p in paths:
        p = Path(p)
        try:
            is_dir = p.is_dir()
        except (OSError, ValueError) as exc:
            diags.append(Diagnostic(code="path-invalid", message=f"cannot use path: {exc}", file=str(p)[:200]))
            continue
        if is_dir:
            try:
                found = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
            except OSError as exc:
                diags.append(Diagnostic(code="file-unreadable", message=f"cannot list folder: {exc.strerror}",
                                        file=str(p)))
                continue
            for q in found:
                if not is_inside(q, p):
                    diags.append(Diagnostic(code="path-outside-pack", message="a link that points outside "
                                            "the pack folder", file=str(q), line=1, column=1,
                                            hint="copy the file into the pack"))
                    continue
                out.append((q, p))
        else:
            out.append((p, p.parent))
    seen: set[Path] = set()
    uniq = []
    for p, root in out:
        try:
            r = p.resolve()
        except (OSError, RuntimeError, ValueError):
            r = p
        if r not in seen:
            seen.add(r)
            uniq.append((p, root))
    return uniq


