"""Numbers as people write them in pt and en: digits with either separator convention,
number words ("mil e quinhentos", "three thousand nine hundred and sixty five"), scale words
after digits ("10 mil", "1,2 milhão", "5k"), fractions ("um quarto", "two fifths"),
ordinals ("vigésima", "the tenth") and decimal words ("three point five").

All arithmetic is `Decimal` so "1,2 milhão" is exactly 1200000, never 1199999.9999.
The parser works on the scanner's raw tokens (so offsets stay exact) and never raises:
anything it cannot read is simply not a number.
"""
from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Sequence

from .lexicon import NumberWords

__all__ = ["RawTok", "parse_digits", "NumberParser", "to_json_number"]

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
#: signs glued to a digit run: "-30", "−30", "+100" ("entre -100 Mvar e +100 Mvar")
_SIGNS = frozenset({"-", "−", "–", "+"})
_DIGITS_MEMO = 4096
_ONE, _MINUS_ONE = Decimal(1), Decimal(-1)


class RawTok(namedtuple("_RawTokFields", "kind start end text f")):
    """One raw token of the input: a digit run, a letter run, or a single mark.

    A tuple (fields read through C getters) so the scanner builds a text's tokens in bulk,
    without running Python code per token; `blocked` lives in the instance dict only once
    set (digits that belong to a date, time, phone number or code)."""

    kind: str  # "num" | "word" | "sym"
    start: int
    end: int
    text: str
    f: str  # folded (lower case, no accents)
    blocked = False


def to_json_number(d: Decimal) -> int | float:
    """Decimal -> int when integral (4000, not 4000.0), else float."""
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _valid_thousands(groups: list[str]) -> bool:
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def parse_digits(s: str, nw: NumberWords) -> Decimal | None:
    """'4.000' (pt) -> 4000, '59,5' -> 59.5, '1.000,5' -> 1000.5, '4,000' (en) -> 4000.

    A single separator followed by exactly three digits follows the language convention
    (thousands in "4.000" pt / "4,000" en); otherwise it is a decimal point whatever the
    language ("59.5" in pt, "1,5" in en). Malformed groupings ("1.00.0") are not numbers.
    """
    if not _DIGITS.fullmatch(s):
        return None
    seps = [c for c in s if c in ".,"]
    try:
        if not seps:
            return Decimal(s)
        kinds = set(seps)
        if len(kinds) == 2:
            last = seps[-1]
            other = "," if last == "." else "."
            if seps.count(last) != 1:
                return None
            int_part, frac = s.rsplit(last, 1)
            if other in frac:
                return None
            groups = int_part.split(other)
            if not _valid_thousands(groups):
                return None
            return Decimal("".join(groups) + "." + frac)
        sep = seps[0]
        groups = re.split(r"[.,]", s)
        if len(seps) > 1:
            return Decimal("".join(groups)) if _valid_thousands(groups) else None
        a, b = groups
        if len(b) == 3 and sep == nw.thousands_separator and len(a) <= 3:
            return Decimal(a + b)
        return Decimal(a + "." + b)
    except InvalidOperation:  # pragma: no cover - regex guarantees digits
        return None


def _place(v: Decimal) -> Decimal:
    """The largest value that may be added after `v` without a scale word: 20 -> 10 ("vinte
    e cinco"), 900 -> 100 ("novecentos e sessenta"), 15 -> 1 (nothing: "dez e quinze" is two
    numbers)."""
    if v != v.to_integral_value() or v < 20:
        return Decimal(1)
    p = Decimal(1)
    while v % (p * 10) == 0 and p < 1000:
        p *= 10
    return p


@dataclass(slots=True)
class _Words:
    value: Decimal
    end: int
    limit: Decimal  # next additive value must be below this


class NumberParser:
    """Reads one number starting at a raw token index. Stateless after construction."""

    def __init__(self, nw: NumberWords):
        self.nw = nw
        self._neg_words = frozenset(w for w in nw.negative if w not in _SIGNS)
        #: memo of `parse_digits` (a pure function of the digit run; the same few runs -
        #: "500", "10", "4.000" - recur in every document); bounded, clearing changes nothing
        self._digits: dict[str, Decimal | None] = {}

    def digits(self, s: str) -> Decimal | None:
        """`parse_digits(s)` in this language's convention, memoized."""
        try:
            return self._digits[s]
        except KeyError:
            pass
        v = parse_digits(s, self.nw)
        if len(self._digits) >= _DIGITS_MEMO:
            self._digits.clear()
        self._digits[s] = v
        return v

    # -- quick tests -------------------------------------------------------------------
    def starts_number(self, raws: Sequence[RawTok], i: int) -> bool:
        if i >= len(raws):
            return False
        t = raws[i]
        if t.kind == "num":
            return not t.blocked
        f = t.f
        nw = self.nw
        if nw.is_word(f):
            return True
        if t.kind == "sym" and f in _SIGNS:
            return i + 1 < len(raws) and raws[i + 1].kind == "num" and raws[i + 1].start == t.end
        if f in self._neg_words or f in nw.article_one:
            return self.parse_at(raws, i, allow_sign=True) is not None
        return False

    # -- parsing -----------------------------------------------------------------------
    def parse_at(self, raws: Sequence[RawTok], i: int, *, allow_sign: bool = True
                 ) -> tuple[Decimal, int] | None:
        """(value, end index exclusive) of the number starting at raws[i], or None."""
        n = len(raws)
        if i >= n:
            return None
        sign = _ONE
        j = i
        t = raws[j]
        if allow_sign:
            if t.kind == "sym" and t.f in _SIGNS:
                if j + 1 < n and raws[j + 1].kind == "num" and raws[j + 1].start == t.end:
                    sign = _ONE if t.f == "+" else _MINUS_ONE
                    j += 1
                else:
                    return None
            elif t.kind == "word" and t.f in self._neg_words:
                inner = self.parse_at(raws, j + 1, allow_sign=False)
                if inner is None:
                    return None
                return -inner[0], inner[1]
        t = raws[j]
        if t.kind == "num":
            if t.blocked:
                return None
            v = self.digits(t.text)
            if v is None:
                return None
            j += 1
            # glued suffix scale: "5k", "10mil"
            if (j < n and raws[j].kind == "word" and raws[j].start == raws[j - 1].end
                    and raws[j].f in self.nw.suffix_scales):
                v *= self.nw.suffix_scales[raws[j].f]
                j += 1
            else:
                if j < n and raws[j].f in self.nw.point:
                    v, j = self._decimal_words(raws, j, v)
                # scale words after digits: "10 mil", "1,2 milhão", "5 thousand"
                if j < n and raws[j].kind == "word" and raws[j].f in self.nw.scales:
                    v *= self.nw.scales[raws[j].f]
                    j += 1
                    scale = self.nw.scales[raws[j - 1].f]
                    v, j = self._join_tail(raws, j, v, scale)
            # (not `_ONE * v`: a product is rounded to the context's precision)
            return (v if sign is _ONE else sign * v), j
        if t.kind != "word" and not (t.kind == "sym" and t.f in self.nw.joiners):
            return None
        if t.kind != "word":
            return None
        w = self._words(raws, j)
        if w is None:
            return None
        v, j = self._decimal_words(raws, w.end, w.value)
        return sign * v, j

    def _join_tail(self, raws, j: int, v: Decimal, limit: Decimal) -> tuple[Decimal, int]:
        """'2 mil e 500': after a scale, a joiner and a smaller number add up; so does a
        smaller scaled group ('2 milhões e 500 mil'). Before a scale as large as the first
        ('4 mil e 5 mil') the joiner joins two numbers, and the first ends at it."""
        n = len(raws)
        if j + 1 < n and raws[j].f in self.nw.joiners and raws[j].kind == "word":
            nxt = raws[j + 1]
            if nxt.kind == "num" and not nxt.blocked:
                d = self.digits(nxt.text)
                if d is None or d != d.to_integral_value():
                    return v, j
                k = j + 2
                if k < n and raws[k].kind == "word" and raws[k].f in self.nw.scales:
                    s = self.nw.scales[raws[k].f]
                    if s >= limit:
                        return v, j  # "4 mil e 5 mil": the second is a number of its own
                    if d * s < limit:
                        return v + d * s, k + 1  # "2 milhões e 500 mil"
                    return v, j
                if d < limit:
                    return v + d, k
        return v, j

    def _decimal_words(self, raws, j: int, v: Decimal) -> tuple[Decimal, int]:
        """'three point five', '1 point 1'."""
        n = len(raws)
        if not self.nw.point or j + 1 >= n or raws[j].f not in self.nw.point:
            return v, j
        if v != v.to_integral_value() or v < 0:
            return v, j
        digits = ""
        k = j + 1
        while k < n:
            t = raws[k]
            if t.kind == "num" and t.text.isdigit() and not t.blocked:
                digits += t.text
                k += 1
                break
            c = self.nw.cardinals.get(t.f)
            if t.kind == "word" and c is not None and c < 10 and c == c.to_integral_value():
                digits += str(int(c))
                k += 1
                continue
            break
        if not digits:
            return v, j
        return Decimal(f"{int(v)}.{digits}"), k

    def _words(self, raws: Sequence[RawTok], i: int) -> _Words | None:
        nw = self.nw
        n = len(raws)
        total = Decimal(0)
        cur = Decimal(0)
        limit: Decimal | None = None
        last_scale: Decimal | None = None
        best: _Words | None = None
        j = i
        seen = False
        ordinal = False
        while j < n:
            t = raws[j]
            w = t.f
            if t.kind == "word" and not seen and w in nw.article_one and j + 1 < n and (
                    raws[j + 1].f in nw.scales or raws[j + 1].f in nw.fractions):
                cur = Decimal(1)
                limit = Decimal(1)
                seen = True
                j += 1
                continue
            if t.kind == "word" and w in nw.cardinals and not ordinal:
                v = nw.cardinals[w]
                if limit is not None and v >= limit:
                    break
                cur += v
                limit = _place(v)
                seen = True
                j += 1
                best = _Words(total + cur, j, limit)
                continue
            if t.kind == "word" and w in nw.scales and seen and not ordinal:
                s = nw.scales[w]
                if s < 1000:  # hundred, dozen: multiply the current group
                    if cur == 0 or cur >= s:
                        break
                    cur *= s
                    limit = s
                else:
                    if last_scale is not None and s >= last_scale:
                        break
                    total += (cur or Decimal(1)) * s
                    cur = Decimal(0)
                    last_scale = s
                    limit = s
                j += 1
                best = _Words(total + cur, j, limit)
                continue
            if t.kind == "word" and w in nw.scales and not seen:
                # a bare scale word: "mil" = 1000, "hundred" = 100
                s = nw.scales[w]
                if s >= 1000:
                    total, last_scale = s, s
                else:
                    cur = s
                limit = s
                seen = True
                j += 1
                best = _Words(total + cur, j, limit)
                continue
            if t.kind == "word" and w in nw.ordinals:
                v = nw.ordinals[w]
                composable = limit is not None and v < limit and (ordinal or cur > 0)
                if not seen or composable:
                    cur += v
                    limit = Decimal(10) if v == 10 else _place(v)  # "décima primeira"
                    ordinal = True
                    seen = True
                    j += 1
                    best = _Words(total + cur, j, limit)
                    continue
            if t.kind == "word" and w in nw.fractions and seen and not ordinal and (total + cur) > 0:
                d = nw.fractions[w]
                j += 1
                return _Words((total + cur) / d, j, Decimal(1))
            if t.kind == "word" and not seen and w in nw.standalone:
                return _Words(nw.standalone[w], j + 1, Decimal(1))
            if seen and w in nw.joiners and limit is not None and j + 1 < n:
                glued_ok = t.kind == "word" or (
                    t.start == raws[j - 1].end and raws[j + 1].start == t.end)
                if not glued_ok:
                    break
                sub = self._words(raws, j + 1)
                if sub is not None and sub.value < limit and sub.value > 0:
                    return _Words(total + cur + sub.value, sub.end, Decimal(1))
                break
            break
        return best
