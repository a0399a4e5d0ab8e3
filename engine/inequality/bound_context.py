"""What is written next to a parsed bound and changes it: a chained comparison before it, a
scale word on a range's second end, and "inclusive" / "exclusive" after it or its first end.

Runs after the parser (`InequalityExtractor._matches_one`), only on texts where the parser
found a bound and a cheap test says one of these may apply (a bound starting with a symbol
comparator; a range whose high end is ten times its low one or more; one of the lexicon's
`inclusive_words` / `exclusive_words` in the folded text).
Each reads what the grammar cannot: the chain's variable is a word in no lexicon, a scale
word's reach depends on the numbers' values, and whether "inclusive" qualifies the bound or
the words after it depends on what follows it.

- **Chains**: "0,95 pu ≤ V ≤ 1,05 pu", "550 kV > V > 500 kV", "2.000 MW < FNS ≤ 3.500 MW".
  The grammar reads the right-hand comparison ("≤ 1,05 pu"); a number and a symbol
  comparator of the same direction before the variable close the other side: one `between`
  (production "chain"), each side inclusive as its own symbol says. The variable is one
  token of the scanner, a word that starts with a letter ("V", "f", "Vbarra", "P_max",
  "FNS"). Mixed directions ("5 < x > 3") or an empty interval stay as the grammar read them.
- **A scale word on the second end of a range**: "entre 4 e 5 mil MW", "between 2 and 3
  million" -> 4000-5000, 2-3 million. The scale ("mil", "million", a suffix "k") of the
  second number applies to a first number written without one and smaller than the
  second's mantissa; "entre 500 e 5 mil" stays 500-5000.
- **Trailing inclusive / exclusive**: "acima de 230 kV, inclusive" -> ge; "até 100 MW
  (exclusive)" -> lt; "entre 10 e 20 MW, exclusive" -> both sides open. The word counts
  only where it ends the clause (the text ends, or punctuation follows it, or it is in
  parentheses): in "abaixo de 550 kV, inclusive durante manobras" it means "even", and the
  bound stays as read. The span then runs to the end of the word (or of its ")").
  Written after a range's first end, the word is about that end only ("entre 69 kV
  (inclusive) e 230 kV (exclusive)" -> [69, 230)): `strip_marks` takes it out of the tokens
  before the parser runs (else it would end the range's window) and `apply` reads it back.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from decimal import Decimal

from .interval import Bound
from .lexicon import Lexicon
from .scanner import Tok

__all__ = ["BoundContext", "CHAIN_SYMBOLS"]

#: first characters of the symbol comparators a chain is written with
CHAIN_SYMBOLS = frozenset("<>≤≥⩽⩾")
_LESS = frozenset({"lt", "le"})
_GREATER = frozenset({"gt", "ge"})
_VARIABLE = re.compile(r"[^\W\d_][\w.\-]{0,23}")
#: what may follow a trailing word for it to end the clause (after optional whitespace)
_CLAUSE_END = frozenset(".,;:)!?")
_NEXT_CHAR = re.compile(r"\s*(\S?)")
#: the op a trailing word gives a one-sided bound: (op, inclusive?) -> op
_CLOSE = {("gt", True): "ge", ("lt", True): "le", ("ge", False): "gt", ("le", False): "lt"}
#: the ops a trailing word applies to
_CLOSE_OPS = frozenset({"gt", "ge", "lt", "le", "between"})
#: the range productions whose first end a scale word may reach, and the tokens joining ends
_RANGES = frozenset({"between", "from_to", "bare_range", "dash_range"})
_RANGE_JOINERS = frozenset({"AND", "TO", "CMPTO", "DASH"})


class BoundContext:
    """Built once per lexicon; `apply` returns the bounds with chains and trailing words read."""

    def __init__(self, lex: Lexicon):
        inclusive = lex.context_words.get("inclusive_words") or frozenset()
        exclusive = lex.context_words.get("exclusive_words") or frozenset()
        self._inclusive = inclusive
        nw = lex.numbers
        self._scales = dict(nw.scales)
        self._suffix_scales = dict(nw.suffix_scales)
        #: the trailing words
        self.words: tuple[str, ...] = tuple(sorted(inclusive | exclusive))
        #: what the extractor searches the folded text for before asking this class about
        #: the words: one substring they all hold ("clusive"), or the words themselves
        self.gate: tuple[str, ...] = _common_core(self.words)
        alternatives = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        # after the bound: ", inclusive", " inclusive", "(inclusive" (the ")" checked below)
        self._tail = re.compile(rf"(?:\s*,\s*|\s*(\()\s*|\s+)({alternatives})\b") \
            if self.words else None

    def strip_marks(self, folded: str, toks: list[Tok]) -> tuple[list[Tok], dict[int, tuple[bool, object]]]:
        """`toks` without the marks written after a range's first end ("entre 69 kV
        (inclusive) e 230 kV", "de 69 kV, inclusive, a 230 kV"), so the range parses, and
        the marks: the end offset of the quantity each follows -> (inclusive?, its number's
        value). A mark counts only between a quantity and a range joiner."""
        marks: dict[int, tuple[bool, object]] = {}
        drop: set[int] = set()
        n = len(toks)
        for i, t in enumerate(toks):
            if t.type != "OTHER" or i == 0:
                continue
            word = folded[t.start:t.end].strip(" (),")
            if word not in self.words:
                continue
            before = i - 1 if toks[i - 1].type != "COMMA" else i - 2
            after = i + 1 if i + 1 < n and toks[i + 1].type != "COMMA" else i + 2
            if before < 0 or after >= n or toks[after].type not in _RANGE_JOINERS:
                continue
            q = toks[before]
            if q.type not in ("NUMBER", "UNIT"):
                continue
            num = q if q.type == "NUMBER" else toks[before - 1] if before > 0 else None
            if num is None or num.type != "NUMBER":
                continue
            marks[q.end] = (word in self._inclusive, num.value)
            drop.update(range(before + 1, after))
        if not drop:
            return toks, marks
        return [t for k, t in enumerate(toks) if k not in drop], marks

    def apply(self, text: str, folded: str, toks: list[Tok], bounds: list[Bound],
              marks: dict[int, tuple[bool, object]] | None = None) -> list[Bound]:
        """`bounds` (the parser's, in order and apart) with chains joined, scale words and
        inclusivity marks read (`marks`: from `strip_marks`); the list is new when anything
        changed."""
        out: list[Bound] = []
        changed = False
        # token starts and mark offsets, for bisection: linear in the text however many
        # bounds it holds (the tokens and the marks are in text order)
        starts = [t.start for t in toks]
        mark_at = sorted(marks) if marks else []
        for b in bounds:
            other_side = None  # a range whose first end has its own mark: the other end
            if mark_at and b.op == "between":
                m = bisect_right(mark_at, b.start)
                inner = marks[mark_at[m]] if m < len(mark_at) and mark_at[m] < b.end else None
                if inner is not None:
                    inclusive, value = inner
                    side, other_side = ("low_inclusive", "high_inclusive") if value == b.low \
                        else ("high_inclusive", "low_inclusive")
                    b, changed = b._replace(**{side: inclusive}), True
            c = self._chain(text, toks, starts, b, out[-1].end if out else 0)
            if c is not None:
                b, changed = c, True
            if b.op == "between" and b.production in _RANGES and b.low > 0 and b.high >= b.low * 10:
                r = self._scaled(folded, toks, starts, b)
                if r is not None:
                    b, changed = r, True
            t = self._trailing(folded, b, other_side) if self._tail is not None else None
            if t is not None:
                b, changed = t, True
            out.append(b)
        return out if changed else bounds

    # -- chains ------------------------------------------------------------------------
    @staticmethod
    def _chain(text: str, toks: list[Tok], starts: list[int], b: Bound, floor: int) -> Bound | None:
        """`b` ("≤ 1,05 pu") joined with the "0,95 pu ≤ V" before it, or None (`starts`:
        the tokens' starts)."""
        if b.production != "prefix" or b.negated or text[b.start] not in CHAIN_SYMBOLS:
            return None
        k = bisect_left(starts, b.start)
        if k < 3 or k >= len(toks) or starts[k] != b.start or toks[k].type != "CMP":
            return None
        var, cmp = toks[k - 1], toks[k - 2]
        if var.type != "OTHER" or not _VARIABLE.fullmatch(text, var.start, var.end):
            return None
        if cmp.type != "CMP" or text[cmp.start] not in CHAIN_SYMBOLS:
            return None
        first, second = cmp.op, b.op
        if not ({first, second} <= _LESS or {first, second} <= _GREATER):
            return None
        q = k - 3
        unit_tok = None
        if toks[q].type == "UNIT":
            unit_tok, q = toks[q], q - 1
        if q < 0 or toks[q].type != "NUMBER" or toks[q].value is None:
            return None
        num = toks[q]
        if num.start < floor:
            return None  # the number ends an earlier bound
        ua = unit_tok.op if unit_tok is not None else num.unit
        ub = b.unit
        unit = None if ua and ub and ua != ub else ub or ua
        if first in _LESS:  # "0,95 ≤ V ≤ 1,05": the number before is the low side
            low, low_inc, high, high_inc = num.value, first == "le", b.high, b.high_inclusive
        else:  # "550 > V > 500": the number before is the high side
            low, low_inc, high, high_inc = b.low, b.low_inclusive, num.value, first == "ge"
        if low is None or high is None or not low < high:
            return None
        return Bound("between", low, high, low_inc, high_inc, unit, False, num.start, b.end,
                     "chain", b.core_end)

    # -- scale words ------------------------------------------------------------------
    def _scale_of(self, written: str) -> Decimal | None:
        """The scale a number as written (folded) ends with: "5 mil" -> 1000, "5k" -> 1000."""
        words = written.split()
        if len(words) > 1 and words[-1] in self._scales:
            return self._scales[words[-1]]
        for suffix, scale in self._suffix_scales.items():
            if written.endswith(suffix) and written[:-len(suffix)].rstrip()[-1:].isdigit():
                return scale
        return None

    def _scaled(self, folded: str, toks: list[Tok], starts: list[int], b: Bound) -> Bound | None:
        """The range `b` with the second number's scale given to the first, or None."""
        nums = [t for t in toks[bisect_left(starts, b.start):bisect_left(starts, b.end)]
                if t.type == "NUMBER" and t.end <= b.end]
        if len(nums) != 2 or nums[0].value is None or nums[1].value is None:
            return None
        first, second = nums
        scale = self._scale_of(folded[second.start:second.end])
        if scale is None or self._scale_of(folded[first.start:first.end]) is not None \
                or any(w in self._scales for w in folded[first.start:first.end].split()):
            return None
        low = first.value
        if not 0 < low < second.value / scale or b.low != low or b.high != second.value:
            return None
        return b._replace(low=low * scale)

    # -- trailing words ----------------------------------------------------------------
    def _trailing(self, folded: str, b: Bound, side: str | None = None) -> Bound | None:
        """`b` closed or opened by an "inclusive" / "exclusive" that ends the clause after it
        (`side`: of a range whose first end has its own mark, the field of the other end,
        which the word is about)."""
        if b.op not in _CLOSE_OPS:
            return None
        m = self._tail.match(folded, b.end)
        if m is None:
            return None
        end = m.end()
        nxt = _NEXT_CHAR.match(folded, end)  # the first character after it but whitespace
        follow = nxt.group(1)
        if m.group(1):  # "(inclusive)": the ")" closes it, whatever follows
            if follow != ")":
                return None
            end = nxt.end()
        elif follow and follow not in _CLAUSE_END:
            return None  # "inclusive durante manobras": "even during"
        inclusive = m.group(2) in self._inclusive
        if b.op == "between" and side is not None:
            return b._replace(**{side: inclusive}, end=end)
        if b.op == "between":
            return b._replace(low_inclusive=inclusive, high_inclusive=inclusive, end=end)
        return b._replace(op=_CLOSE.get((b.op, inclusive), b.op),
                          low_inclusive=inclusive if b.low is not None else False,
                          high_inclusive=inclusive if b.high is not None else False, end=end)


def _common_core(words: tuple[str, ...]) -> tuple[str, ...]:
    """The longest substring of 4 characters or more that every word holds, as a one-item
    tuple (one search of the text instead of one per word), else the words."""
    if not words:
        return ()
    shortest = min(words, key=len)
    for n in range(len(shortest), 3, -1):
        for i in range(len(shortest) - n + 1):
            core = shortest[i:i + n]
            if all(core in w for w in words):
                return (core,)
    return words
