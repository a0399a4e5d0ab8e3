"""Per-language inequality lexicons: load, expand, validate with located errors.

Analysts add a phrasing ("não pode exceder", "no greater than") by editing
`grammars/lexicon/<lang>.yaml`, never the grammar. This module turns that YAML into the
lookup tables the scanner uses (a phrase trie over folded words, number words, units) and
reports every problem it finds as a located `Diagnostic` (file:line:col + YAML path), raised
together as one `LexiconError`, exactly like rule files.

Phrase syntax: plain words separated by spaces; `(a|b|)` gives alternatives (an empty
alternative makes the group optional); `{NAME}` inserts every alternative of the macro
`NAME` from the `macros:` section. "acima {DE}" with DE = [de, do, da, dos, das] gives five
phrases. Matching ignores case and accents.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, did_you_mean
from ..errors import LexiconError, RuleFileError
from ..textfold import fold
from ..yamlsource import YamlDocument, load_yaml, parse_yaml

__all__ = [
    "Lexicon", "UnitDef", "NumberWords", "load_lexicon", "parse_lexicon", "split_words",
    "OPS", "PHRASE_SECTIONS",
]

#: Comparator operators a lexicon may use.
OPS = ("gt", "ge", "lt", "le", "eq", "ne")

#: Sections holding flat phrase lists, and the scanner category each produces.
PHRASE_SECTIONS: dict[str, str] = {
    "negation": "NEG", "modal": "MODAL", "between": "BETWEEN", "from": "FROM", "to": "TO",
    "dash": "DASH", "and": "AND", "but": "BUT", "or": "OR", "comma": "COMMA",
    "approx": "APPROX", "articles": "ART",
}
_OP_SECTIONS = {"comparators": "CMP", "postfix": "POST"}
_NUMBER_KEYS = {
    "decimal_separator", "thousands_separator", "cardinals", "scales", "ordinals",
    "fractions", "standalone", "joiners", "point", "negative", "article_one", "suffix_scales",
}
#: word lists read around the grammar, not by it: what tells a number is not a quantity
#: (`refine.py`), a range's lead-in verb (`source.py`), a bound's trailing "inclusive" /
#: "exclusive" (`bound_context.py`)
CONTEXT_SECTIONS = ("months", "identifier_nouns", "change_words", "clock_words", "range_lead_in",
                    "year_lead", "inclusive_words", "exclusive_words")
_TOP_KEYS = {"lang", "description", "macros", "numbers", "units", *_OP_SECTIONS, *PHRASE_SECTIONS,
             *CONTEXT_SECTIONS}
_UNIT_KEYS = {"aliases", "exact", "prefix", "subunit_of", "factor"}

#: Category pairs allowed to share one phrase; the scanner resolves them by grammar or context.
_COMPATIBLE = {frozenset({"CMP", "POST"}), frozenset({"CMP", "TO"}), frozenset({"APPROX", "DASH"})}

_RATIO = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")

# Same splitting the scanner uses (words, digit runs, comparator symbols, single marks).
_WORD_RE = re.compile(
    r"\d+(?:[.,]\d+)*|[^\W\d_]+|<=|>=|=<|=>|<>|!=|==|''|[^\w\s]|_", re.UNICODE)
_GROUP_RE = re.compile(r"\(([^()]*)\)|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_EXPANSIONS = 2000


def split_words(text: str) -> tuple[str, ...]:
    """Folded word tuple of a phrase: 'Maior ou  igual a' -> ('maior', 'ou', 'igual', 'a')."""
    return tuple(fold(w) if w[0].isalpha() else w
                 for w in (m.group() for m in _WORD_RE.finditer(text)))


@dataclass(frozen=True)
class UnitDef:
    symbol: str
    prefix: bool = False  # may be written before the number ("$10", "R$ 5")
    subunit_of: str | None = None  # "cents" -> "$"
    factor: Decimal | None = None


@dataclass
class NumberWords:
    decimal_separator: str = "."
    thousands_separator: str = ","
    cardinals: dict[str, Decimal] = field(default_factory=dict)
    scales: dict[str, Decimal] = field(default_factory=dict)
    ordinals: dict[str, Decimal] = field(default_factory=dict)
    fractions: dict[str, Decimal] = field(default_factory=dict)  # denominator words
    standalone: dict[str, Decimal] = field(default_factory=dict)  # "metade", "half"
    joiners: frozenset[str] = frozenset()
    point: frozenset[str] = frozenset()
    negative: frozenset[str] = frozenset()
    article_one: frozenset[str] = frozenset()
    suffix_scales: dict[str, Decimal] = field(default_factory=dict)  # glued: "5k"

    def is_word(self, w: str) -> bool:
        return (w in self.cardinals or w in self.scales or w in self.ordinals
                or w in self.standalone)


@dataclass
class Lexicon:
    """Lookup tables for one language. Immutable after load (safe to share across fork)."""

    lang: str
    file: str
    #: folded word tuple -> {category: op-or-None}; categories CMP POST NEG ... UNIT
    phrases: dict[tuple[str, ...], dict[str, str | None]]
    #: case-sensitive unit symbols (tuple of raw words) -> unit symbol
    exact_units: dict[tuple[str, ...], str]
    units: dict[str, UnitDef]
    numbers: NumberWords
    max_phrase_len: int = 1
    #: first words of phrases (folded), for the cheap pre-filter
    first_words: frozenset[str] = frozenset()
    #: folded context words (CONTEXT_SECTIONS): month names, nouns numbered by identifiers
    #: ("itens", "lotes"), words of a change ("para"), words before clock times ("às")
    context_words: dict[str, frozenset[str]] = field(default_factory=dict)

    def trie_get(self, words: tuple[str, ...]) -> dict[str, str | None] | None:
        return self.phrases.get(words)


class _Collector:
    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.diags: list[Diagnostic] = []

    def err(self, code: str, message: str, path: tuple, *, key: bool = False,
            hint: str | None = None) -> None:
        self.diags.append(self.doc.diagnostic(code, message, path, key=key, hint=hint))


def _expand(phrase: str, macros: dict[str, list[str]]) -> list[str] | str:
    """All expansions of `phrase`, or an error message."""
    if phrase.count("(") != phrase.count(")"):
        return "unbalanced parentheses"
    parts: list[list[str]] = []
    pos = 0
    for m in _GROUP_RE.finditer(phrase):
        parts.append([phrase[pos:m.start()]])
        if m.group(2) is not None:
            name = m.group(2)
            if name not in macros:
                return f"unknown macro {{{name}}}"
            parts.append(macros[name])
        else:
            parts.append(m.group(1).split("|"))
        pos = m.end()
    parts.append([phrase[pos:]])
    total = 1
    for p in parts:
        total *= max(len(p), 1)
    if total > _MAX_EXPANSIONS:
        return f"expands to {total} phrases (limit {_MAX_EXPANSIONS})"
    out = []
    for combo in itertools.product(*parts):
        s = " ".join("".join(combo).split())
        if "(" in s or ")" in s or "{" in s or "}" in s:
            return "nested groups are not supported"
        if s:
            out.append(s)
    return out


def _str_list(c: _Collector, value: Any, path: tuple) -> list[tuple[int, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        c.err("lexicon-bad-type", f"expected a list of phrases, got {type(value).__name__}", path)
        return []
    out = []
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            c.err("lexicon-bad-type", f"expected a phrase (string), got {type(v).__name__}",
                  path + (i,))
            continue
        s = str(v)
        if not s.strip():
            c.err("lexicon-bad-phrase", "empty phrase", path + (i,))
            continue
        out.append((i, s))
    return out


def _number(c: _Collector, v: Any, path: tuple) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        c.err("lexicon-bad-number", f"expected a number, got {type(v).__name__}", path)
        return None
    try:
        m = _RATIO.fullmatch(v) if isinstance(v, str) else None
        # a ratio ("1/60": a minute in hours) where no decimal is exact
        d = Decimal(m.group(1)) / Decimal(m.group(2)) if m and int(m.group(2)) else Decimal(str(v))
    except InvalidOperation:
        c.err("lexicon-bad-number", f"not a number: {v!r}", path)
        return None
    if not d.is_finite():
        c.err("lexicon-bad-number", f"not a finite number: {v!r}", path)
        return None
    return d


def _word_map(c: _Collector, value: Any, path: tuple, *, positive: bool = True) -> dict[str, Decimal]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.err("lexicon-bad-type", f"expected a mapping word: number, got {type(value).__name__}", path)
        return {}
    out = {}
    for k, v in value.items():
        d = _number(c, v, path + (k,))
        if d is None:
            continue
        if positive and d <= 0 and str(k) not in ("zero",):
            if d < 0:
                c.err("lexicon-bad-number", f"{k!r} must map to a positive number", path + (k,))
                continue
        words = split_words(str(k))
        if len(words) != 1:
            c.err("lexicon-bad-phrase", f"number word {k!r} must be a single word", path + (k,),
                  key=True)
            continue
        out[words[0]] = d
    return out


def _load_numbers(c: _Collector, value: Any) -> NumberWords:
    path = ("numbers",)
    if value is None:
        return NumberWords()
    if not isinstance(value, dict):
        c.err("lexicon-bad-type", "`numbers` must be a mapping", path)
        return NumberWords()
    for k in value:
        if k not in _NUMBER_KEYS:
            c.err("lexicon-unknown-key", f"unknown key `{k}` in numbers", path + (k,), key=True,
                  hint=did_you_mean(k, _NUMBER_KEYS))
    nw = NumberWords()
    for key in ("decimal_separator", "thousands_separator"):
        if key in value:
            sep = value[key]
            if sep not in (".", ",", " "):
                c.err("lexicon-bad-value", f"{key} must be '.', ',' or ' '", path + (key,))
            else:
                setattr(nw, key, sep)
    if nw.decimal_separator == nw.thousands_separator:
        c.err("lexicon-bad-value", "decimal and thousands separators must differ", path)
    for key in ("cardinals", "scales", "ordinals", "fractions", "standalone", "suffix_scales"):
        setattr(nw, key, _word_map(c, value.get(key), path + (key,)))
    for key in ("joiners", "point", "negative", "article_one"):
        items = _str_list(c, value.get(key), path + (key,))
        setattr(nw, key, frozenset(fold(s.strip()) for _, s in items))
    return nw


def parse_lexicon(text: str, file: str = "<string>") -> Lexicon:
    """Validate and compile lexicon YAML text. Raises `LexiconError` listing every problem."""
    try:
        doc = parse_yaml(text, file)
    except RuleFileError as exc:
        raise LexiconError(exc.diagnostics) from None
    return _compile(doc)


def load_lexicon(path: str | Path) -> Lexicon:
    try:
        doc = load_yaml(path)
    except RuleFileError as exc:
        raise LexiconError(exc.diagnostics) from None
    return _compile(doc)


def _compile(doc: YamlDocument) -> Lexicon:
    c = _Collector(doc)
    data = doc.data
    if not isinstance(data, dict):
        c.err("lexicon-bad-type", "a lexicon file must be a mapping (lang:, comparators:, ...)", ())
        raise LexiconError(c.diags)
    for path, where in doc.duplicates or []:
        line, col = where
        c.diags.append(Diagnostic(code="lexicon-duplicate-key", message=f"key `{path[-1]}` repeated",
                                  file=doc.file, line=line, column=col,
                                  source_line=doc.lines[line - 1] if 0 < line <= len(doc.lines) else None))
    for k in data:
        if k not in _TOP_KEYS:
            c.err("lexicon-unknown-key", f"unknown section `{k}`", (k,), key=True,
                  hint=did_you_mean(k, _TOP_KEYS))
    lang = data.get("lang")
    if not isinstance(lang, str) or not lang.strip():
        c.err("lexicon-missing-key", "`lang` (e.g. pt, en) is required", ("lang",))
        lang = "?"

    macros: dict[str, list[str]] = {}
    mv = data.get("macros")
    if mv is not None:
        if not isinstance(mv, dict):
            c.err("lexicon-bad-type", "`macros` must be a mapping NAME: [alternatives]", ("macros",))
        else:
            for name, alts in mv.items():
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                    c.err("lexicon-bad-phrase", f"macro name {name!r} must be an identifier",
                          ("macros", name), key=True)
                    continue
                items = _str_list(c, alts, ("macros", name))
                if any("(" in s or "{" in s for _, s in items):
                    c.err("lexicon-bad-phrase", "macro alternatives cannot contain groups or macros",
                          ("macros", name))
                    continue
                macros[str(name)] = [s for _, s in items]

    phrases: dict[tuple[str, ...], dict[str, str | None]] = {}
    where: dict[tuple[tuple[str, ...], str], tuple] = {}

    def add(words: tuple[str, ...], cat: str, op: str | None, path: tuple) -> None:
        if not words:
            c.err("lexicon-bad-phrase", "phrase has no words", path)
            return
        cats = phrases.setdefault(words, {})
        if cat in cats:
            if cats[cat] != op:
                c.err("lexicon-conflict", f"phrase {' '.join(words)!r} is listed as both "
                      f"{cats[cat]} and {op} ({cat})", path,
                      hint=f"first listed at {_fmt_path(where[(words, cat)])}")
            return
        for other in cats:
            pair = frozenset({other, cat})
            if pair not in _COMPATIBLE:
                c.err("lexicon-conflict", f"phrase {' '.join(words)!r} is both {other} and {cat}",
                      path, hint=f"first listed at {_fmt_path(where[(words, other)])}; a phrase "
                      "may only be comparator+postfix, comparator+range connector or approx+dash")
                return
            if other in ("CMP", "POST") and cat in ("CMP", "POST") and cats[other] != op:
                c.err("lexicon-conflict", f"phrase {' '.join(words)!r} is {cats[other]} as "
                      f"{other} but {op} as {cat}", path)
                return
        cats[cat] = op
        where[(words, cat)] = path

    def add_phrases(items: list[tuple[int, str]], cat: str, op: str | None, path: tuple) -> None:
        for i, s in items:
            exp = _expand(s, macros)
            if isinstance(exp, str):
                hint = None
                m = re.search(r"\{(\w+)\}", s)
                if "unknown macro" in exp and m:
                    hint = did_you_mean(m.group(1), macros)
                c.err("lexicon-bad-phrase", f"{exp} in {s!r}", path + (i,), hint=hint)
                continue
            for e in exp:
                add(split_words(e), cat, op, path + (i,))

    for section, cat in _OP_SECTIONS.items():
        sv = data.get(section)
        if sv is None:
            if section == "comparators":
                c.err("lexicon-missing-key", "`comparators` is required", (section,))
            continue
        if not isinstance(sv, dict):
            c.err("lexicon-bad-type", f"`{section}` must map an operator ({', '.join(OPS)}) to phrases",
                  (section,))
            continue
        for op, lst in sv.items():
            if op not in OPS:
                c.err("lexicon-unknown-op", f"unknown operator `{op}`", (section, op), key=True,
                      hint=did_you_mean(op, OPS) or f"use one of {', '.join(OPS)}")
                continue
            add_phrases(_str_list(c, lst, (section, op)), cat, op, (section, op))

    for section, cat in PHRASE_SECTIONS.items():
        add_phrases(_str_list(c, data.get(section), (section,)), cat, None, (section,))

    numbers = _load_numbers(c, data.get("numbers"))

    units: dict[str, UnitDef] = {}
    exact_units: dict[tuple[str, ...], str] = {}
    uv = data.get("units")
    if uv is not None and not isinstance(uv, dict):
        c.err("lexicon-bad-type", "`units` must map a canonical symbol to aliases", ("units",))
        uv = {}
    for sym, spec in (uv or {}).items():
        path = ("units", sym)
        sym = str(sym)
        aliases: list[tuple[int, str]]
        exact: list[tuple[int, str]] = []
        prefix = False
        sub_of = None
        factor = None
        apath = path
        if isinstance(spec, list) or spec is None:
            aliases = _str_list(c, spec, path)
        elif isinstance(spec, dict):
            for k in spec:
                if k not in _UNIT_KEYS:
                    c.err("lexicon-unknown-key", f"unknown key `{k}` in unit {sym}", path + (k,),
                          key=True, hint=did_you_mean(k, _UNIT_KEYS))
            apath = path + ("aliases",)
            aliases = _str_list(c, spec.get("aliases"), apath)
            exact = _str_list(c, spec.get("exact"), path + ("exact",))
            prefix = spec.get("prefix", False)
            if not isinstance(prefix, bool):
                c.err("lexicon-bad-type", "`prefix` must be true or false", path + ("prefix",))
                prefix = False
            sub_of = spec.get("subunit_of")
            if sub_of is not None:
                sub_of = str(sub_of)
                factor = _number(c, spec.get("factor"), path + ("factor",)) if "factor" in spec else None
                if factor is None and "factor" not in spec:
                    c.err("lexicon-missing-key", "a subunit needs `factor`", path)
        else:
            c.err("lexicon-bad-type", f"unit {sym} must be a list of aliases or a mapping", path)
            continue
        units[sym] = UnitDef(symbol=sym, prefix=prefix, subunit_of=sub_of, factor=factor)
        add_phrases(aliases, "UNIT", sym, apath)
        for i, s in exact:
            words = tuple(m.group() for m in _WORD_RE.finditer(s))
            if not words:
                c.err("lexicon-bad-phrase", "empty unit symbol", path + ("exact", i))
            else:
                exact_units[words] = sym
    for sym, u in units.items():
        if u.subunit_of is not None and u.subunit_of not in units:
            c.err("lexicon-unknown-unit", f"subunit_of `{u.subunit_of}` is not a unit of this lexicon",
                  ("units", sym, "subunit_of"), hint=did_you_mean(u.subunit_of, units))

    context_words: dict[str, frozenset[str]] = {}
    for section in CONTEXT_SECTIONS:
        context_words[section] = frozenset(" ".join(split_words(w))
                                           for _, w in _str_list(c, data.get(section), (section,)))

    errors = [d for d in c.diags if d.severity == "error"]
    if errors:
        raise LexiconError(c.diags)
    max_len = max([len(k) for k in phrases] + [len(k) for k in exact_units] + [1])
    first = frozenset(k[0] for k in phrases)
    return Lexicon(lang=str(lang), file=doc.file, phrases=phrases, exact_units=exact_units,
                   units=units, numbers=numbers, max_phrase_len=max_len, first_words=first,
                   context_words=context_words)


def _fmt_path(path: tuple) -> str:
    from ..diagnostics import format_path

    return format_path(path)
