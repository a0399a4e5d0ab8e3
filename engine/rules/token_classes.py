"""Token specs of a Matcher pattern as predicates over one token's text.

Every attribute a rule pattern may test (ORTH, LOWER, NORM, SHAPE, IS_TITLE, LIKE_NUM, ...)
is a function of the token's text alone (NORM is `textfold.fold(text)`, as the rule source
has always set it). So a token's *class* - the set of distinct specs it satisfies - is
computed once per distinct token text and cached; matching then never looks at a token again.
Values come from spaCy's own `Lexeme` flags, so they are exactly what spaCy's Matcher reads.

Attributes that need a trained pipeline or the token's neighbours (POS, DEP, ENT_TYPE,
SPACY, IS_SENT_START, `_` extensions, FUZZY) are rejected at load time with
`TokenSpecError`: rule patterns run on the tokenizer's output only.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ..textfold import fold
from .token_regex import TokenRegexError, compile_token_regex

__all__ = ["TokenSpecError", "Atom", "compile_atom", "TokenView", "STRING_ATTRS", "INT_ATTRS"]


class TokenSpecError(ValueError):
    """A token spec the compiled matcher cannot run with spaCy's meaning."""


#: string-valued attributes: name -> getter(view)
STRING_ATTRS: dict[str, Callable[["TokenView"], str]] = {
    "ORTH": lambda v: v.text,
    "TEXT": lambda v: v.text,
    "LOWER": lambda v: v.lex.lower_,
    "NORM": lambda v: v.norm,
    "SHAPE": lambda v: v.lex.shape_,
    "PREFIX": lambda v: v.lex.prefix_,
    "SUFFIX": lambda v: v.lex.suffix_,
}
_FLAGS = ("IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT",
          "IS_SPACE", "IS_STOP", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT", "IS_RIGHT_PUNCT",
          "IS_CURRENCY", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL")
#: integer-valued attributes (flags are 0/1, as in spaCy's Matcher)
INT_ATTRS: dict[str, Callable[["TokenView"], int]] = {
    "LENGTH": lambda v: len(v.text),
    **{f: (lambda name: lambda v: int(getattr(v.lex, name.lower())))(f) for f in _FLAGS},
}
_NEEDS_PIPELINE = {"POS", "TAG", "MORPH", "LEMMA", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID", "ENT_KB_ID",
                   "SENT_START", "IS_SENT_START", "SPACY", "HEAD", "_"}


@dataclass
class TokenView:
    """What a predicate may read about a token: its text, folded text and spaCy Lexeme."""

    text: str
    norm: str
    lex: Any

    @classmethod
    def of(cls, text: str, vocab: Any) -> "TokenView":
        return cls(text, fold(text), vocab[text])


@dataclass(frozen=True)
class Atom:
    """One token spec (without OP): `test(view)` is True when the token satisfies it."""

    key: str
    checks: tuple
    #: the token regexes among the checks (to compile lazily compiled ones up front)
    regexes: tuple = ()

    def test(self, view: TokenView) -> bool:
        for check in self.checks:
            if not check(view):
                return False
        return True

    def warm(self) -> None:
        for rx in self.regexes:
            rx.warm()


def _norm_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _scalar_check(attr: str, value: Any) -> Callable[[TokenView], bool]:
    if attr in STRING_ATTRS:
        get = STRING_ATTRS[attr]
        if not isinstance(value, str):
            return lambda v: False  # spaCy compares a string hash with the number: never equal
        return lambda v: get(v) == value
    get = INT_ATTRS[attr]
    if isinstance(value, str):
        return lambda v: False
    if not isinstance(value, int):
        raise TokenSpecError(f"{attr}: expected a number or true/false, got {type(value).__name__}")
    value = _norm_value(value)
    return lambda v: get(v) == value


def _set_values(attr: str, op: str, values: Any) -> frozenset:
    if not isinstance(values, list):
        raise TokenSpecError(f"{attr}.{op} expects a list")
    if attr in STRING_ATTRS:
        return frozenset(x for x in values if isinstance(x, str))
    return frozenset(_norm_value(x) for x in values if isinstance(x, int))


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


def _dict_checks(attr: str, preds: dict, lazy: bool = False,
                 regexes: list | None = None) -> list[Callable[[TokenView], bool]]:
    get = STRING_ATTRS.get(attr) or INT_ATTRS[attr]
    out: list[Callable[[TokenView], bool]] = []
    for op, value in preds.items():
        op = str(op).upper()
        if op == "REGEX":
            if attr not in STRING_ATTRS:
                raise TokenSpecError(f"{attr}.REGEX: REGEX applies to text attributes only")
            if not isinstance(value, str):
                raise TokenSpecError(f"{attr}.REGEX must be a string (nested REGEX predicates are not supported)")
            try:
                rx = compile_token_regex(value, lazy=lazy)
            except TokenRegexError as exc:
                raise TokenSpecError(f"{attr}.REGEX {value!r}: {exc.message}") from None
            if regexes is not None:
                regexes.append(rx)
            out.append(lambda v, rx=rx, get=get: rx.search(get(v)))
        elif op == "IN":
            vals = _set_values(attr, op, value)
            out.append(lambda v, vals=vals, get=get: get(v) in vals)
        elif op == "NOT_IN":
            vals = _set_values(attr, op, value)
            out.append(lambda v, vals=vals, get=get: get(v) not in vals)
        elif op in _COMPARE:
            if attr in STRING_ATTRS:
                raise TokenSpecError(f"{attr} {op}: comparisons apply to LENGTH and flags only")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TokenSpecError(f"{attr} {op}: expected a number")
            cmp = _COMPARE[op]
            out.append(lambda v, cmp=cmp, value=value, get=get: cmp(get(v), value))
        elif op in ("IS_SUBSET", "IS_SUPERSET", "INTERSECTS"):
            vals = _set_values(attr, op, value)
            if op == "IS_SUBSET":
                out.append(lambda v, vals=vals, get=get: get(v) in vals)
            elif op == "IS_SUPERSET":
                out.append(lambda v, vals=vals, get=get: vals <= {get(v)})
            else:
                out.append(lambda v, vals=vals, get=get: get(v) in vals)
        else:
            raise TokenSpecError(f"{attr}: unsupported predicate {op!r} (use REGEX, IN, NOT_IN, ==, >=, ...)")
    return out


def compile_atom(spec: dict, *, lazy: bool = False) -> Atom:
    """Compile one token spec (a Matcher pattern element, OP removed). lazy: token
    regexes may be compiled on first use (`compile_token_regex`)."""
    if not isinstance(spec, dict):
        raise TokenSpecError("a token spec must be a mapping of attributes")
    body = {str(k).upper(): v for k, v in spec.items() if str(k).upper() != "OP"}
    checks: list[Callable[[TokenView], bool]] = []
    regexes: list = []
    for attr, value in body.items():
        if attr in _NEEDS_PIPELINE:
            raise TokenSpecError(f"attribute {attr} is not available to rule patterns: they run on the "
                                 "tokenizer's output (text attributes such as ORTH, LOWER, NORM, SHAPE, "
                                 "LENGTH, IS_TITLE, LIKE_NUM)")
        if attr not in STRING_ATTRS and attr not in INT_ATTRS:
            raise TokenSpecError(f"unknown token attribute {attr}")
        if isinstance(value, dict):
            checks.extend(_dict_checks(attr, value, lazy, regexes))
        else:
            checks.append(_scalar_check(attr, value))
    key = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return Atom(key, tuple(checks), tuple(regexes))
