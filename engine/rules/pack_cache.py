"""Compiled rule packs cached on disk, keyed by the content of everything they were built from.

Loading the default packs parses YAML, validates every rule with pydantic and compiles
patterns: a few hundred milliseconds on every start. `load_rule_files_cached` keeps the
compiled result (plain dicts, lists and strings, written with `marshal`: loading it cannot
run code) under `$ENTREC_CACHE_DIR/packs/`. An entry is used only if the sha256 of every
file it was built from (rule files, included files, phrase files) and of the loader's own
code still match; otherwise the packs are loaded normally and the entry is rewritten. Any
problem with the cache (unreadable, corrupt, read-only home) falls back to a normal load.
"""
from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Iterable

import re2

from ..resolver import ResolutionConfig
from .pack import LoadedTest, RulePack, discover_rule_files
from ..cache_store import cache_dir, store_entry
from .phrases import PhraseIndex
from .schema import RuleModel, TestCase
from .source import CompiledRule

__all__ = ["load_rule_files_cached"]

_FORMAT = 3
#: modules whose code shapes a compiled pack: a change to any of them invalidates entries
_CODE = ("loader.py", "schema.py", "compact.py", "phrases.py", "source.py", "automaton.py",
         "token_classes.py", "token_regex.py", "regexcheck.py", "pack_cache.py", "pack.py")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _code_hash() -> str:
    h = hashlib.sha256(str(_FORMAT).encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()


def _inputs(packs: dict[str, RulePack]) -> list[str]:
    files: set[str] = set()
    for pack in packs.values():
        files.update(str(Path(f).resolve()) for f in pack.files)
        for r in pack.rules:
            if r.kind == "phrases" and r.model.phrases_file:
                files.add(str((Path(r.file).parent / r.model.phrases_file).resolve()))
    return sorted(files)


def _dump(packs: dict[str, RulePack]) -> dict:
    out = {}
    for lang, p in packs.items():
        rules = []
        for r in p.rules:
            idx = r.phrase_index
            rules.append({
                "model": r.model.model_dump(mode="json"), "file": r.file, "kind": r.kind,
                "patterns": r.patterns,
                "phrases": None if idx is None else (idx.lower, idx.strip_accents, idx.table, idx.first),
                "regex": None if r.regex is None else (r.regex.pattern, bool(r.regex.options.case_sensitive)),
            })
        res = p.resolution
        p.merged_phrases()  # fills p.phrase_tables
        out[lang] = {
            "phrase_tables": p.phrase_tables,
            "labels": p.labels, "files": p.files, "rules": rules,
            "tests": [(t.case.model_dump(mode="json"), t.file, t.index, t.line) for t in p.tests],
            "resolution": (res.policy, res.keep_nested, res.source_order, res.source_priority),
        }
    return out


def _load(data: dict) -> dict[str, RulePack]:
    packs = {}
    for lang, d in data.items():
        rules = []
        for r in d["rules"]:
            regex = None
            if r["regex"] is not None:
                opts = re2.Options()
                opts.log_errors = False
                opts.case_sensitive = r["regex"][1]
                regex = re2.compile(r["regex"][0], opts)
            ph = r["phrases"]
            rules.append(CompiledRule(
                model=RuleModel.model_validate(r["model"]), file=r["file"], kind=r["kind"],
                phrase_index=None if ph is None else PhraseIndex(ph[0], ph[1], ph[2], ph[3]),
                patterns=r["patterns"], regex=regex))
        policy, keep_nested, source_order, source_priority = d["resolution"]
        packs[lang] = RulePack(
            language=lang, labels=d["labels"], rules=rules,
            tests=[LoadedTest(TestCase.model_validate(c), f, i, ln) for c, f, i, ln in d["tests"]],
            resolution=ResolutionConfig(policy=policy, keep_nested=keep_nested,
                                        source_order=tuple(source_order),
                                        source_priority=tuple(tuple(x) for x in source_priority)),
            files=list(d["files"]), phrase_tables=d["phrase_tables"])
    return packs


def load_rule_files_cached(paths: Iterable[str | Path], *, allow_outside_paths: bool = False
                           ) -> dict[str, RulePack]:
    """`load_rule_files(paths)`, served from the compiled-pack cache when nothing changed."""
    paths = list(paths)

    def load() -> dict[str, RulePack]:
        from .loader import load_rule_files  # YAML and validation: only when the cache misses

        return load_rule_files(paths, allow_outside_paths=allow_outside_paths)

    try:
        top = [str(p.resolve()) for p in discover_rule_files(paths)]
        code = _code_hash()
    except OSError:
        return load()
    key = hashlib.sha256("\n".join([code, f"outside={allow_outside_paths}", *top]).encode()).hexdigest()
    entry = cache_dir() / "packs" / f"{key}.marshal"
    try:
        stored = marshal.loads(entry.read_bytes())
        if all(_sha(Path(f)) == digest for f, digest in stored["inputs"]):
            return _load(stored["packs"])
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        pass  # no entry, stale input, or a corrupt entry: load for real
    packs = load()
    try:
        blob = marshal.dumps({"inputs": [(f, _sha(Path(f))) for f in _inputs(packs)], "packs": _dump(packs)})
        store_entry(entry, blob)
    except (OSError, ValueError):
        pass  # unmarshallable values (e.g. a YAML date in a pattern) or read-only home
    return packs
