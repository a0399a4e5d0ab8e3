"""Token-stream corrections for real text: numbers that are not quantities, and layouts
the grammar should read as one condition.

Runs between the scanner and the parser (`InequalityExtractor._matches_one`). Why a
separate pass: these are judgements about the *context* of a number (the words around it),
which the LALR grammar cannot see, and keeping them here leaves the scanner and the grammar
about form only. Word lists come from the lexicon's context sections (`months`,
`identifier_nouns`, `change_words`, `clock_words`), so analysts extend them in YAML.

What it does, in order:
1. dates are not conditions: a number next to a month name ("até 15 de março",
   "a partir de 1º de julho", "de abril de 2021", "January 1, 2016"), a year after a
   temporal comparator ("a partir de 2026", "até 2030"), and a range whose
   two ends are years ("2018-2019", "de 2015 a 2020") with no unit;
2. clock times are not conditions: "das 9 às 14 horas", "1200 hrs";
3. identifiers are not quantities: numbers after a noun that numbers things ("itens 4.2 a
   4.9", "os lotes de 10 a 13", "etapas de 120 a 130") with the range's other end, unless a
   unit follows the range ("barras entre 10 e 20 kV"), and zero-padded codes ("0976");
4. a change is not a condition: "passar de 60 para 80 MW" (the numbers around "para");
5. a spelled-out duplicate in parentheses is dropped: "80 (oitenta) horas" reads as "80 horas",
   "2.000 MW (dois mil megawatts) ou menos" as "2.000 MW ou menos";
6. a comma between a value and a post-posed comparator, or between a comparator and its
   value, is dropped: "trinta segundos, no mínimo", "no máximo, 2 minutos".
Dropped tokens leave the span intact (spans run from the first to the last terminal).
"""
from __future__ import annotations

import re
import sys
from decimal import Decimal

from ..textfold import fold
from ._compiled import native_refine
from .lexicon import Lexicon
from .scanner import Tok

__all__ = ["refine", "Refiner"]

_VALUE_TYPES = ("NUMBER", "UNIT")
_RANGE_JOIN = ("TO", "CMPTO", "AND", "DASH")
_YEAR_MIN, _YEAR_MAX = 1900, 2100
_ORD_MARK = r"(?:\s?[ºª°o]|\s?\.[ºª°o])?"


def _words_rx(words: frozenset[str]) -> str:
    """A regex matching exactly `words` (a space in a phrase matches any whitespace), as a
    character trie: one branch per distinct prefix, so a miss costs a character or two
    instead of one attempt per word. Only used where any match will do (no capture)."""
    return _trie_rx(_char_trie(words))


def _char_trie(words) -> dict:
    """The words as a character trie: "" ends a word, " " stands for a run of whitespace
    (what `_words_rx` writes `\s+`)."""
    trie: dict = {}
    for w in words:
        node = trie
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}  # end of a word
    return trie


def _trie_rx(node: dict) -> str:
    alts = []
    for c in sorted(node, key=lambda k: (k == "", k)):
        if c == "":
            alts.append("")
            continue
        unit = r"\s+" if c == " " else re.escape(c)
        alts.append(unit + _trie_rx(node[c]))
    if alts == [""]:
        return ""
    if len(alts) == 1:
        return alts[0]
    return "(?:" + "|".join(alts) + ")"


def _rev_words_rx(words: frozenset[str]) -> str:
    """`_words_rx` of the words spelled backwards: for patterns matched on a reversed string."""
    return _words_rx(frozenset(w[::-1] for w in words))


# "does `before` END with ...": the same patterns reversed and matched at the start of the
# reversed string, so a miss costs one anchored attempt, not a search from every position.
# "{P}" marks the runs of spaces that are possessive (`\s*+`, `\s++`) when no context word is
# empty or starts or ends with a space (what the lexicon loader makes): what follows each run
# is then never a space (a mark, a digit or a letter of a word), giving spaces back cannot
# make a match, and a miss costs 40% less
_REV_DATE_TAIL = r"(?:\s*{P},?(?:ts|dn|dr|ht)?\d{1,2})?(?:\s+{P}(?:ed|fo))?\s*{P}\.?"
_REV_ID_TAIL = r"(?:\s+{P}(?:ed|ertne|morf|neewteb))?(?:\s*{P}\.?(?:[ºo°]n|s?on))?\s*{P}"
_YEAR = re.compile(r"(?:19|20)\d\d")
_CLOCK_AFTER = re.compile(r"\s*(?:h\b|h\d{2}|horas?\b|hs\b|:\d{2}|hrs\b|o'clock)")
#: the first character after the spaces that each alternative of `_CLOCK_AFTER` needs (the
#: compiled refine loop asks the regex only after one of these)
_CLOCK_AFTER_FIRST = "h:o"
_HHMM = re.compile(r"[0-2]\d[0-5]\d")
_HRS_AFTER = re.compile(r"\s*hrs\b")
_ZERO_PADDED = re.compile(r"0\d+")


def _gate_tables(words: frozenset[str], tails: str) -> tuple[frozenset | None, dict | None]:
    """What the compiled loop asks before the `before_any` gate regex (a C test that is False
    only where the regex cannot match): (the characters its tails can hold, a trie of the
    gate's words spelled backwards). The regex reads, backwards from the number, a tail of
    marks, digits, spaces and short words, then a month or identifier word. The characters
    are over-counted (every character of the tail patterns, plus any whitespace or decimal
    digit there), which keeps the test exact. In the trie "" ends a word and " " is a run of
    whitespace (`\s+`). (None, None) where a C walk would not read the words or tails as the
    regex does: a word with an edge, doubled or non-" " space, or a tail with a class other
    than \s \d \b, or an unescaped dot."""
    if not words or re.search(r"(?<!\\)\.|\\[^sdb.]", tails) or not all(
            w and w == w.strip() and "  " not in w and not any(c.isspace() and c != " " for c in w)
            for w in words):
        return None, None
    return frozenset(tails), _char_trie(w[::-1] for w in words)


def _is_year(t: Tok) -> bool:
    v = t.value
    return (v is not None and v == v.to_integral_value() and _YEAR_MIN <= v <= _YEAR_MAX
            and t.digits)


def _other(t: Tok) -> None:
    t.type = "OTHER"
    t.op = None


class Refiner:
    """The refine pass for one lexicon: its context regexes are compiled once, here."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        ctx = lex.context_words
        months = ctx.get("months") or frozenset()
        ids = ctx.get("identifier_nouns") or frozenset()
        change = ctx.get("change_words") or frozenset()
        clock = ctx.get("clock_words") or frozenset()
        years = ctx.get("year_lead") or frozenset()
        m_rx = _words_rx(months) if months else None
        # possessive runs of spaces where exact (see _REV_DATE_TAIL)
        pos = "+" if all(w and w == w.strip() for ws in (months, ids, clock, years) for w in ws) else ""
        self.after_date = re.compile(rf"^{_ORD_MARK}\s*{pos}(?:de\s+{pos}|of\s+{pos})?(?:{m_rx})\b") \
            if m_rx else None
        # the before_* patterns are "\b(?:words)<tail>$" read backwards (see _REV_*)
        date_tail, id_tail = _REV_DATE_TAIL.replace("{P}", pos), _REV_ID_TAIL.replace("{P}", pos)
        self.before_date = re.compile(rf"{date_tail}(?:{_rev_words_rx(months)})\b") \
            if months else None
        self.before_id = re.compile(rf"{id_tail}(?:{_rev_words_rx(ids)})\b") if ids else None
        self.before_clock = re.compile(rf"\s*{pos}(?:{_rev_words_rx(clock)})\b") if clock else None
        self.before_year = re.compile(rf"\s*{pos}(?:{_rev_words_rx(years)})\b") if years else None
        self.change_rx = re.compile(rf"^\s*(?:[^\W\d_]{{1,6}}\s+)?(?:{_words_rx(change)})\s*$") \
            if change else None
        # the union of before_date and before_id: when it does not match, neither does, and
        # the common number costs one attempt instead of two (the clock and year patterns
        # run only after a cheap check of the number itself or what follows it)
        befores = [p.pattern for p in (self.before_date, self.before_id) if p is not None]
        self.before_any = re.compile("|".join(f"(?:{p})" for p in befores)) if befores else None
        self.gate_tail, self.gate_trie = _gate_tables(months | ids, date_tail + id_tail) \
            if self.before_any is not None else (None, None)
        #: first words of the comma phrases: no comma token without one of them in the text
        self.comma_words = tuple(w[0] for w, cats in lex.phrases.items() if "COMMA" in cats)
        words = sorted(set(self.comma_words), key=len, reverse=True)
        #: finds any of `comma_words` as a substring (what `any(w in s ...)` asked, in C);
        #: None when they are single characters (the shipped "," and ";"), asked with `in`
        #: instead: a search of the whole text costs 280 ns, two `in` tests 30
        self.comma_rx = re.compile("|".join(map(re.escape, words))) \
            if words and any(len(w) > 1 for w in words) else None
        self.comma_chars = tuple(words) if words and self.comma_rx is None else ()

        #: the pass as run: the compiled typed loop when this build has a current one
        #: (`_refineloop.RefineLoop`, checked equal by tests/engine/inequality/test_compiled.py)
        self._run = native_refine(self, sys.modules[__name__]) or _refine

    def __call__(self, text: str, toks: list[Tok], folded: str | None = None) -> list[Tok]:
        """`folded`: `fold(text)` when the caller has it already."""
        return self._run(self, text, toks, fold(text) if folded is None else folded)


def refine(text: str, toks: list[Tok], lex: Lexicon) -> list[Tok]:
    """Correct `toks` in place where context says a number is not a quantity; returns the
    (possibly shorter) token list. (Compiles the lexicon's regexes on every call: hold a
    `Refiner` to run it often.)"""
    return Refiner(lex)(text, toks)


def _refine(rf: Refiner, text: str, toks: list[Tok], folded: str) -> list[Tok]:
    if not toks:
        return toks
    lex = rf.lex
    after_date, before_date, before_id = rf.after_date, rf.before_date, rf.before_id
    before_clock, before_year, change_rx = rf.before_clock, rf.before_year, rf.change_rx
    before_any = rf.before_any

    n = len(toks)
    nums = []
    # is there a COMMA token (what step 6 drops)? Steps 1-4 only retype numbers, units and
    # range joins; a comma retyped by the glued-unit step below makes it unknown (None)
    has_comma: bool | None = False
    for i, t in enumerate(toks):
        typ = t.type
        if typ == "NUMBER":
            nums.append(i)
        elif typ == "COMMA":
            has_comma = True
    # a case-sensitive unit symbol glued to a number is a unit, not a word ("80A": not "a")
    for i in nums:
        if i + 1 < n and toks[i + 1].start == toks[i].end and toks[i + 1].type != "UNIT":
            sym = lex.exact_units.get((text[toks[i + 1].start:toks[i + 1].end],))
            if sym is not None:
                if toks[i + 1].type == "COMMA":
                    has_comma = None
                toks[i + 1].type, toks[i + 1].op = "UNIT", sym

    for i in nums:
        t = toks[i]
        if t.type != "NUMBER":
            continue
        raw = text[t.start:t.end]
        before = folded[max(0, t.start - 40):t.start][::-1]  # reversed: see _REV_*
        # neither before_date nor before_id matches when their union does not: skip both
        near = before_any is not None and before_any.match(before) is not None
        after = folded[t.end:t.end + 30]
        # 1. dates
        if (after_date is not None and after_date.match(after)) or (
                near and before_date is not None and before_date.match(before)):
            _other(t)
            if i + 1 < n and toks[i + 1].type == "UNIT" and toks[i + 1].end - toks[i + 1].start <= 2 \
                    and text[toks[i + 1].start:toks[i + 1].end] in ("º", "°", "o", "ª"):
                _other(toks[i + 1])
            continue
        if (before_year is not None and _YEAR.fullmatch(raw)
                and not (i + 1 < n and toks[i + 1].type == "UNIT") and before_year.match(before)):
            _other(t)  # "a partir de 2026", "until 2030": a year
            continue
        # the number that ends a range started here ("4 a 9", "10-13"), if any
        j = i + 1
        if j < n and toks[j].type == "UNIT":
            j += 1
        j = j + 1 if j + 1 < n and toks[j].type in _RANGE_JOIN and toks[j + 1].type == "NUMBER" \
            else None
        if j is not None and _is_year(t) and _is_year(toks[j]) and not (
                j + 1 < n and toks[j + 1].type == "UNIT") and toks[i + 1].type != "UNIT":
            _other(t)
            _other(toks[j])
            continue
        # 2. clock times
        if before_clock is not None and _CLOCK_AFTER.match(after) and before_clock.match(before):
            _other(t)
            if j is not None:
                _other(toks[j])
            continue
        lead = raw[0]  # both patterns below need a leading 0, 1 or 2: one test for the rest
        if lead in "012" and _HHMM.fullmatch(raw) and _HRS_AFTER.match(after):
            _other(t)
            continue
        # 3. identifiers (not a range with a unit after it: "barras entre 10 e 20 kV")
        if near and before_id is not None and before_id.match(before) and not (
                j is not None and j + 1 < n and toks[j + 1].type == "UNIT" and toks[j + 1].op != "°"):
            _other(t)
            if j is not None:
                _other(toks[j - 1])
                _other(toks[j])
            continue
        if lead == "0" and _ZERO_PADDED.fullmatch(raw):
            _other(t)
            continue
        # 4. changes: "de 60 para 80"
        if change_rx is not None:
            k = i + 1
            if k < n and toks[k].type == "UNIT":
                k += 1
            if k < n and toks[k].type == "NUMBER" and change_rx.match(folded[toks[k - 1].end:toks[k].start]):
                _other(t)
                _other(toks[k])
                continue
            if k + 1 < n and toks[k].type == "OTHER" and toks[k + 1].type == "NUMBER" \
                    and change_rx.match(folded[toks[k - 1].end:toks[k + 1].start]):
                _other(t)
                _other(toks[k + 1])
                continue
    if "(" not in text and (has_comma is False or not _has_comma_word(rf, text, folded)):
        return toks  # neither a parenthesised duplicate nor a comma phrase (see _drop_noise)
    return _drop_noise(text, toks, lex, rf.comma_words, folded)


def _has_comma_word(rf: Refiner, text: str, folded: str) -> bool:
    """Does `text` (or its folded form) hold one of the lexicon's comma words?"""
    for c in rf.comma_chars:
        if c in text or c in folded:
            return True
    rx = rf.comma_rx
    return rx is not None and (rx.search(text) is not None or rx.search(folded) is not None)


def _same_value(a: Tok, b: Tok) -> bool:
    return a.value is not None and b.value is not None and Decimal(a.value) == Decimal(b.value)


_WORD = re.compile(r"[^\W\d_]+|%|[^\w\s]")


def _unit_prefix(text: str, tok: Tok, lex: Lexicon) -> list[Tok] | None:
    """The unit an OTHER token starts with ("HORAS EQUIVALENTES por ano" -> UNIT h + OTHER):
    the scanner only reads a unit right after a number, which a dropped duplicate hid."""
    words = [(m.start() + tok.start, m.end() + tok.start, fold(m.group()))
             for m in _WORD.finditer(text[tok.start:tok.end])]
    for L in range(min(len(words), lex.max_phrase_len), 0, -1):
        cats = lex.phrases.get(tuple(w for _, _, w in words[:L]))
        if cats and "UNIT" in cats:
            out = [Tok("UNIT", words[0][0], words[L - 1][1], op=cats["UNIT"])]
            if L < len(words):
                out.append(Tok("OTHER", words[L][0], tok.end))
            return out
    return None


def _duplicate(text: str, toks: list[Tok], i: int) -> tuple[list[Tok], int] | None:
    """Step 5 at the NUMBER toks[i]: its value restated in parentheses right after it, with
    or without its unit: "80 (oitenta)", "2.000 MW (dois mil megawatts)", "30 dias (trinta
    dias)", "2.000 MW (dois mil)". Returns the tokens kept (the number, and its unit when it
    has one outside) and the index after the ")"; None when there is no such duplicate. A
    unit inside must be the same as the one outside ("5 kV (5 V)" is no duplicate); a unit
    only inside is not taken out of the parentheses ("30 (trinta dias)" stays as it is)."""
    n = len(toks)
    j = i + 1
    unit = None
    if j < n and toks[j].type == "UNIT":
        unit = toks[j]
        j += 1
    if not (j + 2 < n and text[toks[j].start:toks[j].end] == "("
            and toks[j + 1].type == "NUMBER" and _same_value(toks[i], toks[j + 1])):
        return None
    k = j + 2
    if toks[k].type == "UNIT":
        if unit is None or toks[k].op != unit.op:
            return None
        k += 1
    if k < n and text[toks[k].start:toks[k].end] == ")":
        return toks[i:j], k + 1
    return None


def _drop_noise(text: str, toks: list[Tok], lex: Lexicon, comma_words: tuple[str, ...],
                folded: str) -> list[Tok]:
    if "(" not in text and (not any(w in text or w in folded for w in comma_words)
                            or not any(t.type == "COMMA" for t in toks)):
        return toks  # neither a parenthesised duplicate nor a comma to drop
    out: list[Tok] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        # 5. "80 (oitenta)", "2.000 MW (dois mil megawatts)": drop the parenthesised duplicate
        dup = _duplicate(text, toks, i) if t.type == "NUMBER" else None
        if dup is not None:
            kept, i = dup
            out.extend(kept)
            if len(kept) == 1 and i < n and toks[i].type == "OTHER":
                split = _unit_prefix(text, toks[i], lex)
                if split:
                    out.extend(split)
                    i += 1
            continue
        # 6. commas around post-posed / pre-posed comparators
        if t.type == "COMMA" and out and i + 1 < n:
            prev, nxt = out[-1], toks[i + 1]
            if prev.type in _VALUE_TYPES and nxt.type in ("POST", "CMPPOST"):
                i += 1
                continue
            if prev.type in ("CMP", "CMPPOST") and nxt.type == "NUMBER":
                i += 1
                continue
        out.append(t)
        i += 1
    return out
