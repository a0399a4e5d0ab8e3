# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The refine pass as a typed loop (compiled builds only).

Same result as `refine._refine`, which stays the reference and the fallback: the same checks
in the same order with the same regexes (the `Refiner`'s and the refine module's own), over
the tokens' slots read and written directly (offsets from `_slotfill.slot_offsets`) instead of
attribute look-ups, with C indices. Some regexes are asked only after a C test of what they
need: `_YEAR` and `_HHMM` are read in C exactly ("19dd"/"20dd", `_is_hhmm`); `_CLOCK_AFTER`
needs one of `_CLOCK_AFTER_FIRST` after the spaces; the Refiner's `after_date` needs an
ordinal mark or the first two letters of "de", "of" or a month there; its `before_any` needs
a month or identifier word behind a run of tail characters (`_gate`, tables from
`refine._gate_tables`, and a table of the character pairs its words can start with). Steps 5
and 6 (parenthesised duplicates, commas) are `_drop_noise` ported the same way; they call the
reference's `_duplicate` (only where a "(" follows a number or its unit) and `_unit_prefix`.
A call whose tokens are not all `Tok` runs the reference.
`tests/engine/inequality/test_compiled.py` checks both agree token for token.
"""
import re

from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.unicode cimport Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE
from libc.string cimport memset


cdef inline object _get(object t, Py_ssize_t off):
    # a slot of a `Tok` (checked by the caller): a new reference to its value
    cdef PyObject* v = (<PyObject**>(<char*><PyObject*>t + off))[0]
    if v == NULL:
        raise AttributeError("a Tok slot is unset")
    return <object>v


cdef inline void _set(object t, Py_ssize_t off, object value) noexcept:
    cdef PyObject** slot = <PyObject**>(<char*><PyObject*>t + off)
    cdef PyObject* old = slot[0]
    Py_INCREF(value)
    slot[0] = <PyObject*>value
    Py_XDECREF(old)


cdef inline bint _is_year_text(str raw):
    # _YEAR.fullmatch(raw): (?:19|20)\d\d
    if len(raw) != 4:
        return False
    cdef Py_UCS4 a = raw[0], b = raw[1]
    return ((a == u"1" and b == u"9") or (a == u"2" and b == u"0")) \
        and Py_UNICODE_ISDECIMAL(raw[2]) and Py_UNICODE_ISDECIMAL(raw[3])


#: the one `_HHMM` pattern `_is_hhmm` reads in C (another pattern is asked as a regex)
_HHMM_PATTERN = r"[0-2]\d[0-5]\d"


cdef inline bint _is_hhmm(str raw):
    # _HHMM.fullmatch(raw) for `_HHMM_PATTERN` (`\d`: a Unicode decimal digit, as in `re`)
    if len(raw) != 4:
        return False
    cdef Py_UCS4 a = raw[0], c = raw[2]
    return (u"0" <= a <= u"2" and Py_UNICODE_ISDECIMAL(raw[1]) and u"0" <= c <= u"5"
            and Py_UNICODE_ISDECIMAL(raw[3]))


def is_hhmm(str raw) -> bool:
    """`_is_hhmm` (for tests)."""
    return _is_hhmm(raw)


cdef inline Py_ssize_t _skip_spaces(str s):
    # the index of the first character of `s` that `\s` does not match (len(s) if none)
    cdef Py_ssize_t k = 0, n = len(s)
    while k < n and Py_UNICODE_ISSPACE(s[k]):
        k += 1
    return k


cdef class RefineLoop:
    """Built once per `Refiner` from its regexes (it keeps no reference to the refiner);
    called as the refiner's `_run(refiner, text, toks, folded)`."""

    cdef object tok, exact_units, reference, value_types, has_comma_word, is_year
    cdef object after_date, before_date, before_id, before_clock, before_year, change_rx, before_any
    cdef object clock_after, hhmm, hrs_after, zero_padded, range_join
    cdef readonly bint hhmm_in_c  # `_HHMM` is `_HHMM_PATTERN`: `_is_hhmm` answers for it
    cdef object unit_prefix, duplicate, date_pairs
    cdef object gate_tail, gate_trie  # the refiner's: see `refine._gate_tables`
    cdef unsigned char gate_ascii[128]  # per ASCII character: 1 a tail character, 2 a word's first
    # per ASCII pair (c, c2), a bit: a gate word spelled backwards may start "c" then "c2"
    # (its trie node after "c" ends a word, goes on with "c2", or with " " and c2 is a space)
    cdef unsigned char gate_pairs[128][16]
    cdef str clock_first, date_firsts, date_marks
    cdef Py_ssize_t o_type, o_start, o_end, o_op

    def __init__(self, rf, module, dict slots):
        """`module`: the refine module (its `Tok`, regexes and reference functions);
        `slots`: `Tok`'s slot offsets."""
        self.tok = module.Tok
        self.exact_units = rf.lex.exact_units
        self.reference = module._refine
        self.value_types = module._VALUE_TYPES
        self.has_comma_word = module._has_comma_word
        self.is_year = module._is_year
        self.after_date, self.before_date, self.before_id = rf.after_date, rf.before_date, rf.before_id
        self.before_clock, self.before_year = rf.before_clock, rf.before_year
        self.change_rx, self.before_any = rf.change_rx, rf.before_any
        self.clock_after, self.hhmm = module._CLOCK_AFTER, module._HHMM
        self.hhmm_in_c = self.hhmm.pattern == _HHMM_PATTERN and self.hhmm.flags == re.UNICODE
        self.hrs_after, self.zero_padded = module._HRS_AFTER, module._ZERO_PADDED
        self.range_join = module._RANGE_JOIN
        self.o_type, self.o_start, self.o_end, self.o_op = (
            slots["type"], slots["start"], slots["end"], slots["op"])
        self.unit_prefix, self.duplicate = module._unit_prefix, module._duplicate
        self.clock_first = module._CLOCK_AFTER_FIRST
        # `after_date` = ^ord-mark? \s* (de\s+|of\s+)? month \b: after the spaces it needs an
        # ordinal mark (or "."), or the first two letters of "de", "of" or a month. Exact
        # only when every month has two first characters that are not spaces
        months = rf.lex.context_words.get("months") or frozenset()
        if rf.after_date is not None and all(len(w) >= 2 and not any(c.isspace() for c in w[:2])
                                             for w in months):
            self.date_pairs = frozenset(w[:2] for w in months) | {"de", "of"}
            self.date_firsts = "".join(sorted({p[0] for p in self.date_pairs}))
        else:
            self.date_pairs, self.date_firsts = None, None
        self.date_marks = "ºª°o."
        self.gate_tail, self.gate_trie = rf.gate_tail, rf.gate_trie
        cdef Py_UCS4 c
        cdef unsigned int c2
        memset(self.gate_pairs, 0, sizeof(self.gate_pairs))
        for c in range(128):
            self.gate_ascii[c] = 0
            if self.gate_trie is not None:
                ch = chr(c)
                if ch.isspace() or ch.isdecimal() or ch in self.gate_tail:
                    self.gate_ascii[c] |= 1
                if ch in self.gate_trie:
                    self.gate_ascii[c] |= 2
                    node = self.gate_trie[ch]
                    for c2 in range(128):
                        ch2 = chr(c2)
                        if "" in node or ch2 in node or (ch2.isspace() and " " in node):
                            self.gate_pairs[c][c2 >> 3] |= 1 << (c2 & 7)

    def gate(self, str folded, Py_ssize_t start) -> bool:
        """`_gate` (for tests): False only where `before_any` cannot match before `start`."""
        return self._gate(folded, start)

    cdef bint _gate(self, str folded, Py_ssize_t start) except -1:
        # `before_any` reads the 40 folded characters before the number backwards: a tail of
        # characters from `gate_tail` (or whitespace, or digits), then a word of `gate_trie`.
        # A word is tried after every such prefix: True whenever the regex can match
        cdef Py_ssize_t lo = start - 40 if start > 40 else 0, k = start - 1
        cdef Py_UCS4 c
        cdef unsigned char fl
        if self.gate_trie is None:
            return True
        while k >= lo:  # (no word is empty: none starts before `lo`)
            c = folded[k]
            if c < 128:  # the same two questions, from the table
                fl = self.gate_ascii[c]
                if fl & 2 and self._pair_may(folded, k, lo) and self._word_at(folded, k, lo):
                    return True
                if not fl & 1:
                    return False
            else:
                if c in <dict>self.gate_trie and self._word_at(folded, k, lo):
                    return True
                if not (Py_UNICODE_ISSPACE(c) or Py_UNICODE_ISDECIMAL(c) or c in self.gate_tail):
                    return False
            k -= 1
        return False

    cdef inline bint _pair_may(self, str folded, Py_ssize_t k, Py_ssize_t lo) noexcept:
        # False only where `_word_at(folded, k, lo)` is False, for an ASCII folded[k]: the
        # character before it is ASCII too and no gate word (backwards) starts with the pair
        cdef unsigned int c2, c
        if k - 1 < lo:
            return True
        c2 = <Py_UCS4>folded[k - 1]
        if c2 >= 128:
            return True
        c = <Py_UCS4>folded[k]
        return (self.gate_pairs[c][c2 >> 3] >> (c2 & 7)) & 1

    cdef bint _word_at(self, str folded, Py_ssize_t k, Py_ssize_t lo) except -1:
        # a word of `gate_trie` spelled backwards from folded[k] (not before folded[lo]); a
        # " " in it is a run of whitespace, as `\s+` in the regex
        cdef object node = self.gate_trie
        cdef Py_UCS4 c
        while True:
            if "" in <dict>node:
                return True
            if k < lo:
                return False
            c = folded[k]
            if Py_UNICODE_ISSPACE(c):
                node = (<dict>node).get(" ")
                if node is None:
                    return False
                while k >= lo and Py_UNICODE_ISSPACE(folded[k]):
                    k -= 1
                continue
            node = (<dict>node).get(c)
            if node is None:
                return False
            k -= 1

    cdef str _before(self, str folded, Py_ssize_t start):
        # what the before_* regexes read: the 40 folded characters before `start`, backwards
        return folded[start - 40 if start > 40 else 0:start][::-1]

    cdef inline void _other(self, object t) noexcept:
        _set(t, self.o_type, "OTHER")
        _set(t, self.o_op, None)

    cdef inline bint _is_open(self, str text, list toks, Py_ssize_t i) except -1:
        # toks[i] is the one character "("
        cdef Py_ssize_t start = self._start(toks, i)
        return self._end(toks, i) == start + 1 and text[start] == u"("

    cdef inline object _type(self, list toks, Py_ssize_t i):
        return _get(toks[i], self.o_type)

    cdef inline Py_ssize_t _start(self, list toks, Py_ssize_t i) except? -1:
        return _get(toks[i], self.o_start)

    cdef inline Py_ssize_t _end(self, list toks, Py_ssize_t i) except? -1:
        return _get(toks[i], self.o_end)

    def __call__(self, rf, str text, list toks, str folded):
        cdef Py_ssize_t n = len(toks), i
        if n == 0:
            return toks
        tok = self.tok
        for t in toks:
            if type(t) is not tok:
                return self.reference(rf, text, toks, folded)
        cdef list nums = []
        cdef object has_comma = False  # False, True or None (unknown), as in the reference
        for i in range(n):
            typ = self._type(toks, i)
            if typ == "NUMBER":
                nums.append(i)
            elif typ == "COMMA":
                has_comma = True
        # a case-sensitive unit symbol glued to a number is a unit, not a word ("80A")
        for i in nums:
            if i + 1 < n and self._start(toks, i + 1) == self._end(toks, i) \
                    and self._type(toks, i + 1) != "UNIT":
                sym = self.exact_units.get((text[self._start(toks, i + 1):self._end(toks, i + 1)],))
                if sym is not None:
                    if self._type(toks, i + 1) == "COMMA":
                        has_comma = None
                    _set(toks[i + 1], self.o_type, "UNIT")
                    _set(toks[i + 1], self.o_op, sym)
        for i in nums:
            self._number(text, toks, folded, i, n)
        if "(" not in text and (has_comma is False or not self.has_comma_word(rf, text, folded)):
            return toks
        return self._drop_noise(text, toks, rf, folded)

    cdef list _drop_noise(self, str text, list toks, rf, str folded):
        """`refine._drop_noise` (steps 5 and 6) over the slots."""
        cdef Py_ssize_t n = len(toks), i = 0
        if "(" not in text:
            # the reference's own early exit: no comma word in the text or no COMMA token
            if not any(w in text or w in folded for w in rf.comma_words):
                return toks
            for i in range(n):
                if self._type(toks, i) == "COMMA":
                    break
            else:
                return toks
            i = 0
        cdef list out = []
        while i < n:
            t = toks[i]
            typ = _get(t, self.o_type)
            # 5. "80 (oitenta)", "2.000 MW (dois mil megawatts)": drop the parenthesised
            # duplicate (the reference's `_duplicate` decides, asked only where a "(" follows
            # the number or its unit)
            dup = None
            if typ == "NUMBER" and i + 3 < n and (
                    self._is_open(text, toks, i + 1)
                    or (self._type(toks, i + 1) == "UNIT" and self._is_open(text, toks, i + 2))):
                dup = self.duplicate(text, toks, i)
            if dup is not None:
                kept, i = dup
                out.extend(kept)
                if len(kept) == 1 and i < n and self._type(toks, i) == "OTHER":
                    split = self.unit_prefix(text, toks[i], rf.lex)
                    if split:
                        out.extend(split)
                        i += 1
                continue
            # 6. commas around post-posed / pre-posed comparators
            if typ == "COMMA" and out and i + 1 < n:
                prev_type = _get(out[len(out) - 1], self.o_type)
                next_type = self._type(toks, i + 1)
                if prev_type in self.value_types and (
                        next_type == "POST" or next_type == "CMPPOST"):
                    i += 1
                    continue
                if (prev_type == "CMP" or prev_type == "CMPPOST") and next_type == "NUMBER":
                    i += 1
                    continue
            out.append(t)
            i += 1
        return out

    cdef bint _may_be_date(self, str after) except -1:
        """False only where `after_date` cannot match `after` (see `__init__`)."""
        if self.date_pairs is None:
            return True
        cdef Py_ssize_t k = _skip_spaces(after)
        if k >= len(after):
            return False
        c = after[k]
        if c in self.date_marks:
            return True
        return c in self.date_firsts and after[k:k + 2] in self.date_pairs

    cdef int _number(self, str text, list toks, str folded, Py_ssize_t i, Py_ssize_t n) except -1:
        """Steps 1-4 of the reference for the number toks[i]."""
        t = toks[i]
        if _get(t, self.o_type) != "NUMBER":
            return 0
        cdef Py_ssize_t start = _get(t, self.o_start), end = _get(t, self.o_end), j, k
        cdef bint has_j, near
        cdef str raw = text[start:end]
        # the reversed text before the number is made only for a regex that reads it: the
        # date/identifier gate only after its C test (`_gate`)
        cdef str before = None
        near = False
        if self.before_any is not None and self._gate(folded, start):
            before = self._before(folded, start)
            near = self.before_any.match(before) is not None
        cdef str after = folded[end:end + 30]
        # 1. dates
        if (self.after_date is not None and self._may_be_date(after) and self.after_date.match(after)) or (
                near and self.before_date is not None and self.before_date.match(before)):
            self._other(t)
            if i + 1 < n and self._type(toks, i + 1) == "UNIT" \
                    and self._end(toks, i + 1) - self._start(toks, i + 1) <= 2 \
                    and text[self._start(toks, i + 1):self._end(toks, i + 1)] in ("º", "°", "o", "ª"):
                self._other(toks[i + 1])
            return 0
        if (self.before_year is not None and _is_year_text(raw)
                and not (i + 1 < n and self._type(toks, i + 1) == "UNIT")
                and self.before_year.match(before if before is not None else self._before(folded, start))):
            self._other(t)  # "a partir de 2026", "until 2030": a year
            return 0
        # the number that ends a range started here ("4 a 9", "10-13"), if any
        j = i + 1
        if j < n and self._type(toks, j) == "UNIT":
            j += 1
        has_j = j + 1 < n and self._type(toks, j) in self.range_join \
            and self._type(toks, j + 1) == "NUMBER"
        if has_j:
            j += 1
        if has_j and self.is_year(t) and self.is_year(toks[j]) and not (
                j + 1 < n and self._type(toks, j + 1) == "UNIT") and self._type(toks, i + 1) != "UNIT":
            self._other(t)
            self._other(toks[j])
            return 0
        # 2. clock times
        k = _skip_spaces(after)
        if self.before_clock is not None and k < len(after) and after[k] in self.clock_first \
                and self.clock_after.match(after) and self.before_clock.match(
                    before if before is not None else self._before(folded, start)):
            self._other(t)
            if has_j:
                self._other(toks[j])
            return 0
        cdef Py_UCS4 lead = raw[0]
        if (lead == u"0" or lead == u"1" or lead == u"2") and (
                _is_hhmm(raw) if self.hhmm_in_c else self.hhmm.fullmatch(raw) is not None) \
                and self.hrs_after.match(after):
            self._other(t)
            return 0
        # 3. identifiers (not a range with a unit after it: "barras entre 10 e 20 kV")
        if near and self.before_id is not None and self.before_id.match(before) and not (
                has_j and j + 1 < n and self._type(toks, j + 1) == "UNIT" and toks[j + 1].op != u"°"):
            self._other(t)
            if has_j:
                self._other(toks[j - 1])
                self._other(toks[j])
            return 0
        if lead == u"0" and self.zero_padded.fullmatch(raw):
            self._other(t)
            return 0
        # 4. changes: "de 60 para 80"
        if self.change_rx is not None:
            k = i + 1
            if k < n and self._type(toks, k) == "UNIT":
                k += 1
            if k < n and self._type(toks, k) == "NUMBER" and self.change_rx.match(
                    folded[self._end(toks, k - 1):self._start(toks, k)]):
                self._other(t)
                self._other(toks[k])
                return 0
            if k + 1 < n and self._type(toks, k) == "OTHER" and self._type(toks, k + 1) == "NUMBER" \
                    and self.change_rx.match(folded[self._end(toks, k - 1):self._start(toks, k + 1)]):
                self._other(t)
                self._other(toks[k + 1])
                return 0
        return 0
