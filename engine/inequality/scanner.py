"""Text -> the grammar's token stream, cheaply.

Three passes, all linear:
1. raw tokens: digit runs ("4.000", "1,2"), letter runs, comparator symbols and single marks,
   with exact character offsets (no spaCy needed, so the grammar runs anywhere);
2. blocking: digits that are part of a date ("12/03/2024", "1995-01"), a time ("10h15"),
   a phone number or a code ("IO-ON.NE.2NE", "AT-03") never become numbers;
3. lexicon matching: longest phrase wins, with two look-aheads that keep postfix phrases
   honest ("ou igual a 6000" is OR + "igual a", "ou menor que 5" is OR + "menor que", while
   "10% ou mais da carga" keeps "ou mais": no number follows "mais da"), and
   numbers parsed by `NumberParser`.
Words the lexicon does not know become OTHER, which ends a parse window.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from operator import sub as _sub

from ..textfold import fold
from ._compiled import native_pass3, native_raw_scanner
from .lexicon import Lexicon
from .numbers import NumberParser, RawTok, parse_digits

__all__ = ["Tok", "Scanner", "raw_tokens"]

# the alternatives start with disjoint characters, so their order changes no match; words,
# the commonest, go first. Every character is whitespace or starts a token, so `_RAW_ALL`
# (each token with the whitespace before it) tiles the text and one `findall` lists every
# token as plain strings (whitespace, word, digits, mark, underscores; "" where not that
# kind), cheaper than a match object per token; offsets are the running sum of lengths
_TOKEN_ALTS = (r"([^\W\d_]+(?:'[^\W\d_]+)?)"
               r"|(\d+(?:[.,]\d+)*)"
               r"|(<=|>=|=<|=>|<>|!=|==|''|[^\w\s])"
               r"|(_+)")
_RAW_ALL = re.compile(r"(\s*)(?:" + _TOKEN_ALTS + ")", re.UNICODE)
#: builds a `RawTok` from its fields' tuple in C (the namedtuple constructor is Python code)
_new_tuple = tuple.__new__
# (?<!\d): start only where a digit run starts; without it a search over a long digit run
# is quadratic (every start position rescans the run): 99,900 digits took 270 s
_DATE_MULTI = re.compile(r"(?<!\d)\d+([/\-])\d+\1\d+")  # 12/03/2024, 2024-03-12, 222-2222-2222
_YEAR_MONTH = re.compile(r"(\d{4})[/\-](\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{4})")
_TIME = re.compile(r"\d{1,2}(?::\d{2}|h\d{2})")
_CHUNK_STRIP_R = ".,;:!?)]}\"'»"
_CHUNK_STRIP_L = "([{\"'«"
_TWELVE_PLACES = Decimal("1e-12")
_SIGNS = frozenset({"-", "−", "+"})  # a sign that may start a number ("+100 Mvar")
#: what `_chunk_is_whole`'s regexes need, so the compiled pass 2 asks it only then: one of
#: `_WHOLE_ANY` (":" or "h" of a time, "+" of a phone number), two of one of `_WHOLE_SEPS`
#: (`_DATE_MULTI`'s repeated separator) or one of them in a chunk of `_WHOLE_MIN` characters
#: or more (`_YEAR_MONTH` and `_MONTH_YEAR` read 4 digits, a separator and 1 or 2 digits)
_WHOLE_ANY = ":h+"
_WHOLE_SEPS = "/-"
_WHOLE_MIN = 6
#: and besides, each form but the phone number's needs one of `_WHOLE_JOINS` between two
#: decimal digits (`_TIME`'s ":" or "h", the dates' "/" or "-"); the phone number needs one
#: of `_WHOLE_FREE` ("+"), wherever it is
_WHOLE_JOINS = ":h/-"
_WHOLE_FREE = "+"
_NUMERIC = frozenset({"NUMBER", "UNIT"})  # token types after which units and postfixes read
# window around each number, in raw tokens: comparator phrases and negations come before it,
# units and postfix phrases after it
_BEFORE = 14
_AFTER = 10


@dataclass(slots=True)
class Tok:
    """One grammar terminal with its span and meaning."""

    type: str
    start: int
    end: int
    op: str | None = None  # comparator op for CMP/POST/CMPPOST/CMPTO, unit symbol for UNIT
    value: Decimal | None = None  # NUMBER
    unit: str | None = None  # NUMBER with a built-in unit ("1 dollar and 42 cents")
    digits: bool = True  # NUMBER written with digits (word numbers never form "a-b" ranges)


def raw_tokens(text: str, folded: str | None = None) -> list[RawTok]:
    """The raw tokens of `text` (pass 1 alone). `folded`: `fold(text)` when the caller has
    it already (it is length-preserving, so folded[a:b] is the folded token)."""
    empty = frozenset()
    return _raw_pass_py(text, fold(text) if folded is None else folded, empty, empty, empty, RawTok)[0]


def _raw_pass_py(text: str, folded: str, interesting: frozenset, anchors: frozenset,
                 known_syms: frozenset, raw_tok: type = RawTok) -> tuple:
    """Pass 1 of `Scanner.scan`: (raw tokens, indices of the digit runs, indices of the
    number words, `known` bytes: 1 where a token may become something other than OTHER).
    One `findall` and a loop; a compiled build runs passes 1 and 2 as C loops over records
    instead (`_rawscan.RawScanner`, checked equal by tests/engine/inequality/test_compiled.py)."""
    raws: list[RawTok] = []
    append = raws.append
    nums: list[int] = []
    word_anchors: list[int] = []
    known = bytearray()
    kappend = known.append
    pos = 0
    for ws, w, d, y, u in _RAW_ALL.findall(text):
        a = pos + len(ws)
        if w:
            pos = a + len(w)
            f = folded[a:pos]
            if f in interesting:
                kappend(1)
                if f in anchors:
                    word_anchors.append(len(raws))
            else:
                kappend(0)
            append(_new_tuple(raw_tok, ("word", a, pos, w, f)))
        elif d:
            pos = a + len(d)
            nums.append(len(raws))
            kappend(1)
            append(_new_tuple(raw_tok, ("num", a, pos, d, d)))
        else:  # a mark or a run of "_" (both symbols)
            y = y or u
            pos = a + len(y)
            kappend(y in known_syms)
            append(_new_tuple(raw_tok, ("sym", a, pos, y, y)))
    return raws, nums, word_anchors, known



class Scanner:
    """Turns text into `Tok`s for one lexicon. Stateless after construction."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        self.numbers = NumberParser(lex.numbers)
        nw = lex.numbers
        unit_first = {k[0] for k, cats in lex.phrases.items() if "UNIT" in cats}
        unit_first |= {fold(k[0]) for k in lex.exact_units}
        #: words that may be glued right after digits without making a code ("500MW", "5k")
        self.glue_ok = frozenset(unit_first | set(nw.suffix_scales) | set(nw.scales))
        self.first_words = lex.first_words
        self.exact_first = frozenset(k[0] for k in lex.exact_units)
        #: their folded forms: a word folding to none of these is none of them
        self._exact_first_folded = frozenset(fold(w) for w in self.exact_first)
        self._trie = self._make_trie({k: cats for k, cats in lex.phrases.items()})
        self._exact_trie = self._make_trie({k: {"UNIT": v} for k, v in lex.exact_units.items()})
        #: number words: the scanner only looks at tokens within a window around these
        self.anchors = frozenset(set(nw.cardinals) | set(nw.scales) | set(nw.ordinals)
                                 | set(nw.standalone)) - {""}
        #: folded first words whose only lexicon match is the word itself: their matches
        #: need no trie walk (the common connectors "de", "e", "ou" ...)
        self._single = {w: [(1, node[None])] for w, node in self._trie.items()
                        if len(node) == 1 and None in node}
        #: words that may start a number (besides digit runs and signs)
        self._num_words = frozenset(set(nw.negative) | set(nw.cardinals) | set(nw.scales)
                                    | set(nw.ordinals) | set(nw.standalone) | set(nw.article_one))
        #: (token type after a number or unit, type elsewhere, op) of every lexicon entry's
        #: categories, by identity of the lexicon's own dict (`_tok` precomputed)
        self._tok_kinds: dict[int, tuple[str, str, str | None]] = {}
        #: ids of the entries `_pick` takes as they are (no unit, no bare postfix)
        self._plain_cats: set[int] = set()
        for trie in (self._trie, self._exact_trie):
            for cats in _trie_values(trie):
                a, b = self._tok(cats, 0, 0, True), self._tok(cats, 0, 0, False)
                if a.op == b.op:
                    self._tok_kinds[id(cats)] = (a.type, b.type, a.op)
                if "UNIT" not in cats and not ("POST" in cats and "CMP" not in cats):
                    self._plain_cats.add(id(cats))
        #: one-word phrases whose token depends only on the previous token: no number can
        #: start there and `_pick` has nothing to check (no unit, no bare postfix), so their
        #: token comes from this table. `_fast_unless`: for those that also begin longer
        #: phrases ("ou" of "ou mais", "a" of "a partir de"), the words that continue one;
        #: before one of those the table is not used (the trie walk may find the longer
        #: phrase; before any other word it finds this same single match)
        self._fast_words: dict[str, tuple[str, str, str | None]] = {}
        self._fast_unless: dict[str, frozenset[str]] = {}
        for w, node in self._trie.items():
            cats = node.get(None)
            if (cats is None or id(cats) not in self._tok_kinds or w in self._num_words
                    or w in _SIGNS or w[:1].isdigit() or "UNIT" in cats
                    or ("POST" in cats and "CMP" not in cats)):
                continue
            self._fast_words[w] = self._tok_kinds[id(cats)]
            if len(node) > 1:
                self._fast_unless[w] = frozenset(k for k in node if k is not None)
        #: folded words that can start anything the scanner emits; other words are OTHER
        self.interesting = frozenset(
            set(self.first_words) | set(nw.cardinals) | set(nw.scales) | set(nw.ordinals)
            | set(nw.standalone) | set(nw.negative) | set(nw.article_one)
            | {fold(w) for w in self.exact_first}) - {""}  # "": not a word (see `scan`)
        #: marks that can start something (a phrase, a sign); every other mark is OTHER
        self._known_syms = frozenset(self.interesting | self.exact_first | _SIGNS) - {""}
        #: passes 1 and 2 (`_raw`: text, folded -> `_rawscan.RawSeq`) and pass 3 as run: the
        #: compiled loops when this build has current ones, else None and the Python loops
        native_raw, native3 = native_raw_scanner(), native_pass3()
        if native_raw is None or native3 is None:
            self._raw = None
            self._pass3 = self._pass3_py
        else:
            self._raw = native_raw(self, RawTok, _WHOLE_ANY, _WHOLE_SEPS, _WHOLE_MIN, _WHOLE_JOINS,
                                   _WHOLE_FREE)
            self._pass3 = native3(self, Tok, parse_digits, (_BEFORE, _AFTER), _SIGNS)

    @staticmethod
    def _make_trie(entries: dict) -> dict:
        root: dict = {}
        for words, cats in entries.items():
            node = root
            for w in words:
                node = node.setdefault(w, {})
            node[None] = cats
        return root

    # -- pass 2: block digits that are not quantities --------------------------------
    def _block(self, text: str, raws: list[RawTok], nums: list[int] | None = None) -> None:
        """`nums`: indices of the digit runs in `raws` (all of them), when known. A compiled
        build runs the same over C records (`_rawscan.RawScanner`, checked equal by
        tests/engine/inequality/test_compiled.py)."""
        n = len(raws)
        done = -1
        if nums is None:
            nums = [k for k in range(n) if raws[k].kind == "num"]
        for k in nums:
            if k < done:
                continue
            i = k
            while i > 0 and raws[i].start == raws[i - 1].end:
                i -= 1
            j = k + 1
            while j < n and raws[j].start == raws[j - 1].end:
                j += 1
            if j - i > 1:  # a lone digit run is never a date, time, phone number or code
                self._block_chunk(text, raws, i, j)
            done = j

    @staticmethod
    def _chunk_is_whole(text: str, raws: list[RawTok], i: int, j: int) -> bool:
        """Is raws[i:j] (glued tokens) a date, a time or a phone number as a whole? Each
        form needs what `_WHOLE_ANY`, `_WHOLE_SEPS`, `_WHOLE_MIN`, `_WHOLE_JOINS` and
        `_WHOLE_FREE` say (the compiled pass 2 asks this only then)."""
        s = text[raws[i].start:raws[j - 1].end]
        core = s.rstrip(_CHUNK_STRIP_R).lstrip(_CHUNK_STRIP_L)
        if _DATE_MULTI.search(core) or _TIME.search(core) or core.startswith("+") and (
                len(core) > 1 and core[1].isdigit() and "-" in core[1:]):
            return True
        for rx in (_YEAR_MONTH, _MONTH_YEAR):
            m = rx.fullmatch(core)
            if m:
                y, mo = (m.group(1), m.group(2)) if rx is _YEAR_MONTH else (m.group(2), m.group(1))
                if 1800 <= int(y) <= 2199 and 1 <= int(mo) <= 12:
                    return True
        return False

    def _block_chunk(self, text: str, raws: list[RawTok], i: int, j: int) -> None:
        if self._chunk_is_whole(text, raws, i, j):
            for k in range(i, j):
                if raws[k].kind == "num":
                    raws[k].blocked = True
            return
        for k in range(i, j):
            r = raws[k]
            if r.kind != "num":
                continue
            left = raws[k - 1] if k > i else None
            right = raws[k + 1] if k + 1 < j else None
            if left is not None and left.kind == "word":
                r.blocked = True  # "NE2", "UG3", "h15"
            elif right is not None and right.kind == "word" and right.f not in self.glue_ok:
                r.blocked = True  # "2NE", "3a"
            elif (left is not None and left.kind == "sym" and left.text in "-./_" and k - 2 >= i
                  and raws[k - 2].kind == "word" and raws[k - 2].f not in self.glue_ok):
                r.blocked = True  # "AT-03", "ON.2"
            elif (right is not None and right.kind == "sym" and right.text in "-./_" and k + 2 < j
                  and raws[k + 2].kind == "word" and raws[k + 2].f not in self.glue_ok
                  and raws[k + 2].f not in self.lex.numbers.cardinals):
                r.blocked = True  # "03-AT"
            elif left is not None and left.kind == "sym" and left.text == "_":
                r.blocked = True

    # -- pass 3 ----------------------------------------------------------------------
    def _phrases_at(self, raws: list[RawTok], i: int) -> list[tuple[int, dict]]:
        """All lexicon matches starting at raws[i], longest first: (length, {cat: op})."""
        out = _walk(self._trie, raws, i)  # lexicon phrases, on folded words
        if i < len(raws) and raws[i].text in self.exact_first:
            out += _walk(self._exact_trie, raws, i, _WRITTEN)  # case-sensitive units
            if len(out) > 1:
                out.sort(key=lambda x: -x[0])
        return out

    def _extends(self, raws: list[RawTok], i: int, L: int) -> bool:
        """Does a phrase starting inside raws[i+1 : i+L] run past i+L, with a number right
        after it? ("ou igual a 6000": OR + "igual a"; but "10% ou mais da carga" keeps its
        postfix "ou mais": "mais da" takes no value there)"""
        for k in range(i + 1, i + L):
            for L2, cats in self._phrases_at(raws, k):
                if k + L2 > i + L and "UNIT" not in cats and self.numbers.starts_number(raws, k + L2):
                    return True
        return False

    def _pick(self, raws: list[RawTok], i: int, prev: Tok | None,
              matches: list[tuple[int, dict]]) -> tuple[int, dict] | None:
        for L, cats in matches:
            if "POST" in cats and "CMP" not in cats:
                if self.numbers.starts_number(raws, i + L) or self._extends(raws, i, L):
                    continue
            if "UNIT" in cats:
                prev_num = prev is not None and prev.type == "NUMBER" and prev.end <= raws[i].start
                sym = cats["UNIT"]
                u = self.lex.units.get(sym)
                prefix = u is not None and u.prefix
                ok = prev_num or (prefix and self.numbers.starts_number(raws, i + L))
                short = L == 1 and len(raws[i].text) <= 2 and raws[i].kind == "word"
                glued = prev_num and prev.end == raws[i].start
                spaced = i + L < len(raws) and raws[i + L].start > raws[i + L - 1].end
                if ok and short and spaced and not glued and not prefix and (
                        self.numbers.starts_number(raws, i + L)):
                    ok = False  # "more than 30000 in 2009": "in" is not inches here
                if not ok:
                    cats = {k: v for k, v in cats.items() if k != "UNIT"}  # the lexicon's own: copy
                    if not cats:
                        continue
            return L, cats
        return None

    def scan(self, text: str, folded: str | None = None) -> list[Tok]:
        """`folded`: `fold(text)` when the caller has it already."""
        if folded is None:
            folded = fold(text)
        if self._raw is not None:  # compiled: passes 1 and 2 on records, then pass 3
            seq = self._raw(text, folded)
            if not seq:
                return []
            toks, units_at = self._pass3(text, seq)
            return self._post(toks, units_at)
        # pass 1, with what the later passes need: digit runs, number words (anchors) and
        # the words and marks the lexicon does not know (always OTHER)
        raws, nums, word_anchors, known = _raw_pass_py(text, folded, self.interesting, self.anchors,
                                                       self._known_syms, RawTok)
        if not raws:
            return []
        if nums:
            self._block(text, raws, nums)
        toks, units_at = self._pass3_py(text, raws, nums, word_anchors, known)
        return self._post(toks, units_at)

    def _pass3_py(self, text: str, raws: list[RawTok], nums: list[int], word_anchors: list[int],
                  known: bytearray) -> tuple[list[Tok], list[int]]:
        """Pass 3 of `scan`: (tokens, indices of the UNIT tokens `_post` may change: those
        followed by a NUMBER or an AND) before `_post`. A compiled build runs the same as a
        typed loop (`_scanloop.Pass3`, checked equal by tests/engine/inequality/test_compiled.py)."""
        toks: list[Tok] = []
        n = len(raws)
        i = 0
        nparse = self.numbers
        nw = self.lex.numbers
        num_words, single, tok_kinds = self._num_words, self._single, self._tok_kinds
        first_words, exact_first, fast_words = self.first_words, self.exact_first, self._fast_words
        fast_unless = self._fast_unless
        plain_cats = self._plain_cats
        # candidate windows: only tokens near a number can belong to an inequality
        at = [k for k in nums if not raws[k].blocked]
        if word_anchors:
            at = sorted(at + word_anchors)
        if at and at[0] <= _BEFORE and at[-1] >= n - 1 - _AFTER and (
                len(at) == 1 or max(map(_sub, at[1:], at)) <= _BEFORE + _AFTER + 1):
            look = known  # the windows cover every token (short texts, dense numbers)
        else:
            active = bytearray(n)
            for k in at:
                lo, hi = max(0, k - _BEFORE), min(n, k + _AFTER + 1)
                active[lo:hi] = b"\x01" * (hi - lo)
            # tokens to look at: active and not an unknown word; other runs are one OTHER
            look = (int.from_bytes(active, "big") & int.from_bytes(known, "big")).to_bytes(n, "big")
        prev: Tok | None = None  # toks[-1]
        prev_numeric = False  # prev is a NUMBER or a UNIT
        units_at: list[int] = []  # indices of the UNIT tokens (for `_post`)
        emit = toks.append
        while i < n:
            r = raws[i]
            if not look[i]:
                # a run of tokens far from any number or unknown to the lexicon: one OTHER
                j = look.find(1, i)
                j = n if j < 0 else j
                if prev is not None and prev.type == "OTHER":
                    prev.end = raws[j - 1].end
                else:
                    prev = Tok("OTHER", r.start, raws[j - 1].end)
                    emit(prev)
                    prev_numeric = False
                i = j
                continue
            # fractions written with a slash: "1/2"
            if (r.kind == "num" and not r.blocked and i + 2 < n and raws[i + 1].text == "/"
                    and raws[i + 1].start == r.end and raws[i + 2].start == raws[i + 1].end
                    and raws[i + 2].kind == "num"):
                a, b = parse_digits(r.text, nw), parse_digits(raws[i + 2].text, nw)
                if (a is not None and b and not raws[i + 2].text.startswith("0") and a < b <= 100
                        and a == a.to_integral_value() and b == b.to_integral_value()):
                    prev = Tok("NUMBER", r.start, raws[i + 2].end, value=a / b)
                    prev_numeric = True
                else:
                    prev = Tok("OTHER", r.start, raws[i + 2].end)
                    prev_numeric = False
                emit(prev)
                i += 3
                continue
            fast = fast_words.get(r.f)
            if fast is not None and r.text not in exact_first and not (
                    r.f in fast_unless and i + 1 < n and raws[i + 1].f in fast_unless[r.f]):
                # a one-word connector ("de", "e", "ou", ","): its token needs no look-ahead
                typ = fast[0] if prev_numeric else fast[1]
                prev = Tok(typ, r.start, r.end, fast[2])
                emit(prev)
                prev_numeric = typ in _NUMERIC
                if typ == "UNIT":
                    units_at.append(len(toks) - 1)
                i += 1
                continue
            num = None
            if r.kind == "num" or r.f in num_words or r.text in _SIGNS:
                num = nparse.parse_at(raws, i, allow_sign=not prev_numeric)
            if r.text in exact_first:
                matches = self._phrases_at(raws, i)
            elif r.f in first_words:
                matches = single.get(r.f) or _walk(self._trie, raws, i)
            else:
                matches = None
            if matches:
                # the longest entry is taken as it is unless a unit or a postfix needs a look
                pick = matches[0] if id(matches[0][1]) in plain_cats else self._pick(
                    raws, i, prev, matches)
            else:
                pick = None
            plen = pick[0] if pick else 0
            nlen = num[1] - i if num else 0
            if num and (pick is None or nlen > plen or (nlen == plen and not (
                    "UNIT" in pick[1] and prev is not None and prev.type == "NUMBER"))):
                prev = Tok("NUMBER", r.start, raws[num[1] - 1].end, None, num[0], None,
                           r.kind == "num" or r.text in _SIGNS)
                emit(prev)
                prev_numeric = True
                i = num[1]
                continue
            if pick:
                L, cats = pick
                end = raws[i + L - 1].end
                kinds = tok_kinds.get(id(cats))
                if kinds is None:
                    prev = self._tok(cats, r.start, end, prev_numeric)
                else:
                    prev = Tok(kinds[0] if prev_numeric else kinds[1], r.start, end, kinds[2])
                emit(prev)
                prev_numeric = prev.type in _NUMERIC
                if prev.type == "UNIT":
                    units_at.append(len(toks) - 1)
                i += L
                continue
            # "a dollar", "an hour": the article is the number one before a unit word
            if r.f in nw.article_one and i + 1 < n:
                nm = self._phrases_at(raws, i + 1)
                if nm and "UNIT" in nm[0][1] and len(raws[i + 1].text) >= 3:
                    prev = Tok("NUMBER", r.start, r.end, value=Decimal(1))
                    emit(prev)
                    prev_numeric = True
                    i += 1
                    continue
            prev = Tok("OTHER", r.start, r.end)
            emit(prev)
            prev_numeric = False
            i += 1
        return toks, _post_units(toks, units_at)

    def _tok(self, cats: dict, start: int, end: int, prev_numeric: bool) -> Tok:
        if "CMP" in cats and "POST" in cats:
            return Tok("CMPPOST", start, end, op=cats["CMP"])
        if "CMP" in cats and "TO" in cats:
            return Tok("CMPTO", start, end, op=cats["CMP"])
        if "APPROX" in cats and "DASH" in cats:
            return Tok("DASH" if prev_numeric else "APPROX", start, end)
        if "DASH" in cats and not prev_numeric:
            return Tok("OTHER", start, end)
        cat, op = next(iter(cats.items()))
        return Tok(cat, start, end, op=op)

    def _post(self, toks: list[Tok], units_at: list[int] | None = None) -> list[Tok]:
        """Units next to numbers: "1 dollar and 42 cents" -> one NUMBER 1.42 with unit $;
        a prefix unit before a number ("$ 10", "R$ 5") -> PUNIT. Only the tokens around
        UNITs are visited. `units_at`: their indices in `toks` (all, or those `_post_units`
        keeps), when known."""
        if units_at is None:
            units_at = [i for i, t in enumerate(toks) if t.type == "UNIT"]
        if not units_at:
            return toks
        units = self.lex.units
        n = len(toks)
        merges: list[tuple[int, Tok]] = []  # (first index, merged NUMBER) of 5-token groups
        done = 0  # toks[:done] are consumed by a merge
        for u in units_at:
            if u < done:
                continue
            i = u - 1
            if (i >= done and toks[i].type == "NUMBER" and i + 4 < n and toks[i + 2].type == "AND"
                    and toks[i + 3].type == "NUMBER" and toks[i + 4].type == "UNIT"):
                main, sub = units.get(toks[u].op), units.get(toks[i + 4].op)
                if (main is not None and sub is not None and sub.subunit_of == main.symbol
                        and sub.factor is not None):
                    t = toks[i]
                    v = t.value + toks[i + 3].value * sub.factor
                    if v.as_tuple().exponent < -12:  # an inexact factor ("1/60" of an hour):
                        q = v.quantize(_TWELVE_PLACES).normalize()  # 1 h 30 min = 1.5 h,
                        if q.as_tuple().exponent >= -6:  # not 1.4999...; 1 h 20 min stays
                            v = q  # 1.3333... (a float's digits), not 12 places
                    merges.append((i, Tok("NUMBER", t.start, toks[i + 4].end, value=v,
                                          unit=main.symbol)))
                    done = i + 5
                    continue
            t = toks[u]
            if u + 1 < n and toks[u + 1].type == "NUMBER" and not (
                    u > 0 and (toks[u - 1].type == "NUMBER" or (merges and merges[-1][0] + 5 == u))):
                un = units.get(t.op)
                if un is not None and un.prefix:
                    toks[u] = Tok("PUNIT", t.start, t.end, op=t.op)
        if not merges:
            return toks
        out: list[Tok] = []
        k = 0
        for i, tok in merges:
            out.extend(toks[k:i])
            out.append(tok)
            k = i + 5
        out.extend(toks[k:])
        return out


def _post_units(toks: list[Tok], units_at: list[int]) -> list[int]:
    """The UNITs of `units_at` that `Scanner._post` may change: a merge ("1 dollar and 42
    cents") needs an AND after the unit, a prefix unit ("$ 10") a NUMBER; at any other unit
    `_post` changes nothing and keeps its state, so leaving it out gives the same tokens."""
    n = len(toks)
    return [u for u in units_at if u + 1 < n and toks[u + 1].type in ("NUMBER", "AND")]


def _trie_values(trie: dict):
    """Every entry (categories dict) stored in a phrase trie."""
    for key, node in trie.items():
        if key is None:
            yield node
        else:
            yield from _trie_values(node)


#: RawTok field read by a trie walk: folded words, or the words as written
_FOLDED, _WRITTEN = 4, 3


def _walk(trie: dict, raws: list, i: int, field: int = _FOLDED) -> list[tuple[int, dict]]:
    """(length, categories) of every trie entry spelled by raws[i:] (their folded words, or
    with `_WRITTEN` the words as written: case-sensitive unit symbols), longest first."""
    out: list[tuple[int, dict]] = []
    node, k, n = trie, i, len(raws)
    while k < n:
        node = node.get(raws[k][field])
        if node is None:
            break
        k += 1
        cats = node.get(None)
        if cats is not None:
            out.append((k - i, cats))
    out.reverse()
    return out
