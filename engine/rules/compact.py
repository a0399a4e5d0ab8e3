"""The compact token-pattern form analysts can write instead of spaCy's JSON.

    SE [TITLE]+ (de|da|do)? [TITLE]* [ROMAN]?

Each whitespace-separated spec is one token:
  word         case-insensitive literal (accent-insensitive unless the rule says otherwise)
  "Word"       exact text
  (a|b|c)      one of several words
  [TITLE] [UPPER] [LOWER] [ALPHA] [DIGITS] [NUM] [PUNCT] [ANY] [ROMAN] [SHAPE:Xx-dd]
  /regex/      the token's text matches the regex (no spaces inside)
and may end with a quantifier: ? (optional), + (one or more), * (zero or more), ! (not).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import EntrecError

from ..textfold import fold

__all__ = ["CompactPatternError", "parse_compact", "CLASSES"]

CLASSES: dict[str, dict] = {
    "TITLE": {"IS_TITLE": True},
    "UPPER": {"IS_UPPER": True},
    "LOWER": {"IS_LOWER": True},
    "ALPHA": {"IS_ALPHA": True},
    "DIGITS": {"IS_DIGIT": True},
    "NUM": {"LIKE_NUM": True},
    "PUNCT": {"IS_PUNCT": True},
    "ANY": {},
    "ROMAN": {"TEXT": {"REGEX": r"^[IVXLCDM]+$"}},
}

_SPEC_RE = re.compile(
    r'"(?P<orth>[^"]+)"|\((?P<alts>[^()\s]+)\)|\[(?P<cls>[A-Za-z]+)(?::(?P<arg>[^\]\s]+))?\]'
    r"|/(?P<rx>[^\s]+?)/|(?P<word>[^\s\"()\[\]/?+*!]+)"
)


@dataclass
class CompactPatternError(EntrecError, ValueError):
    """A compact token pattern does not parse; reported as a located `pattern-invalid`."""

    code = "pattern-invalid"
    message: str
    column: int  # 0-based offset in the pattern string
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.message} (at column {self.column + 1})"


def _literal(word: str, case_sensitive: bool, accent_sensitive: bool) -> dict:
    if case_sensitive:
        return {"ORTH": word}
    if accent_sensitive:
        return {"LOWER": word.lower()}
    return {"NORM": fold(word)}


def parse_compact(src: str, *, case_sensitive: bool = False, accent_sensitive: bool = False) -> list[dict]:
    """Parse one compact pattern into a spaCy Matcher pattern (list of token dicts)."""
    out: list[dict] = []
    pos = 0
    n = len(src)
    while pos < n:
        if src[pos].isspace():
            pos += 1
            continue
        m = _SPEC_RE.match(src, pos)
        if not m or m.end() == pos:
            raise CompactPatternError(f"cannot read a token spec at {src[pos:pos + 10]!r}", pos,
                                      'quote literal text containing ( ) [ ] / ? + * ! as "text"')
        if m.group("orth") is not None:
            tok = {"ORTH": m.group("orth")}
        elif m.group("alts") is not None:
            alts = [a for a in m.group("alts").split("|")]
            if any(not a for a in alts):
                raise CompactPatternError("empty alternative in (a|b)", m.start())
            if case_sensitive:
                tok = {"ORTH": {"IN": alts}}
            elif accent_sensitive:
                tok = {"LOWER": {"IN": [a.lower() for a in alts]}}
            else:
                tok = {"NORM": {"IN": [fold(a) for a in alts]}}
        elif m.group("cls") is not None:
            cls = m.group("cls").upper()
            arg = m.group("arg")
            if cls == "SHAPE":
                if not arg:
                    raise CompactPatternError("[SHAPE:...] needs a shape such as Xx-dd", m.start())
                tok = {"SHAPE": arg}
            elif cls in CLASSES and arg is None:
                tok = dict(CLASSES[cls])
            else:
                from ..diagnostics import did_you_mean

                raise CompactPatternError(f"unknown token class [{m.group('cls')}]", m.start(),
                                          did_you_mean(cls, list(CLASSES) + ["SHAPE"]) or
                                          f"known classes: {', '.join(list(CLASSES) + ['SHAPE:...'])}")
        elif m.group("rx") is not None:
            rx = m.group("rx")
            try:
                re.compile(rx)
            except re.error as exc:
                raise CompactPatternError(f"invalid token regex /{rx}/: {exc}", m.start()) from None
            tok = {"TEXT": {"REGEX": rx}}
        else:
            tok = _literal(m.group("word"), case_sensitive, accent_sensitive)
        pos = m.end()
        if pos < n and src[pos] in "?+*!":
            tok["OP"] = src[pos]
            pos += 1
        if pos < n and not src[pos].isspace():
            raise CompactPatternError(f"expected a space after a token spec, found {src[pos]!r}", pos,
                                      "separate token specs with spaces")
        out.append(tok)
    if not out:
        raise CompactPatternError("empty pattern", 0)
    return out
