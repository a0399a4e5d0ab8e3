"""Compiled inequality lexicons cached on disk, keyed by the lexicon file and the code that compiles it.

Loading `grammars/lexicon/pt.yaml` (YAML with line tracking, macro expansion, validation)
costs ~0.1 s on every start, the largest part of entrec's own start-up after the rule packs.
The compiled `Lexicon` is plain data (word tuples, strings, decimals, frozensets), so it is
stored with `marshal` (loading it cannot run code; decimals as strings) under
`$ENTREC_CACHE_DIR/lexicon/`. The key is the sha256 of the file's bytes, its resolved path
and the source of the modules that shape a compiled lexicon: an edited lexicon or a new
entrec is compiled (and validated, with located errors) again. Any cache problem (missing,
corrupt, read-only home) falls back to a normal load; a lexicon with errors is never cached.
"""
from __future__ import annotations

import dataclasses
import hashlib
import marshal
from decimal import Decimal
from pathlib import Path

from ..cache_store import cache_dir, store_entry
from .lexicon import Lexicon, NumberWords, UnitDef, load_lexicon

__all__ = ["load_lexicon_cached"]

_FORMAT = 1
#: modules whose code shapes a compiled lexicon
_CODE = ("lexicon.py", "lexicon_cache.py")


def _key(path: Path, data: bytes) -> str:
    h = hashlib.sha256(f"{_FORMAT}|{path.resolve()}|".encode())
    here = Path(__file__).parent
    for name in _CODE:
        h.update(name.encode())
        h.update((here / name).read_bytes())
    h.update(data)
    return h.hexdigest()


def _dec(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in d.items()}


def _undec(d: dict[str, str]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in d.items()}


def _dump(lex: Lexicon) -> dict:
    nw = lex.numbers
    numbers = {}
    for f in dataclasses.fields(NumberWords):
        v = getattr(nw, f.name)
        numbers[f.name] = _dec(v) if isinstance(v, dict) else v
    return {
        "lang": lex.lang, "file": lex.file, "phrases": lex.phrases, "exact_units": lex.exact_units,
        "units": {k: (u.symbol, u.prefix, u.subunit_of, None if u.factor is None else str(u.factor))
                  for k, u in lex.units.items()},
        "numbers": numbers, "max_phrase_len": lex.max_phrase_len, "first_words": lex.first_words,
        "context_words": lex.context_words,
    }


def _load(d: dict) -> Lexicon:
    numbers = NumberWords(**{k: _undec(v) if isinstance(v, dict) else v
                             for k, v in d["numbers"].items()})
    units = {k: UnitDef(symbol=s, prefix=p, subunit_of=sub, factor=None if f is None else Decimal(f))
             for k, (s, p, sub, f) in d["units"].items()}
    return Lexicon(lang=d["lang"], file=d["file"], phrases=d["phrases"], exact_units=d["exact_units"],
                   units=units, numbers=numbers, max_phrase_len=d["max_phrase_len"],
                   first_words=d["first_words"], context_words=d["context_words"])


def load_lexicon_cached(path: str | Path) -> Lexicon:
    """`load_lexicon(path)`, served from the compiled-lexicon cache when the file is unchanged."""
    path = Path(path)
    try:
        data = path.read_bytes()
        entry = cache_dir() / "lexicon" / f"{_key(path, data)}.marshal"
    except OSError:
        return load_lexicon(path)  # reports the unreadable file as a LexiconError
    try:
        return _load(marshal.loads(entry.read_bytes()))
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError, ArithmeticError):
        pass  # no entry or a corrupt one: compile for real
    lex = load_lexicon(path)
    try:
        blob = marshal.dumps(_dump(lex))
        store_entry(entry, blob)
    except (OSError, ValueError):
        pass  # read-only home: compile on every start
    return lex
