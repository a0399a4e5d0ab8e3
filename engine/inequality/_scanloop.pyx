# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The scanner's passes 2 and 3 as typed loops (compiled builds only).

Same result as `Scanner._pass3_py`, which stays the reference and the fallback: the same
decisions in the same order, over the raw tokens' tuple fields read directly (kind, start,
end, text, folded) with C indices, the look mask as a byte array and the previous token's
type in a local, instead of attribute look-ups per token. The rare paths (phrase look-aheads,
units and postfixes, number parsing) call the scanner's own methods.
`tests/engine/inequality/test_compiled.py` checks both agree token for token.
Pass 2 (`Pass2`, blocking digits that are not quantities) is `Scanner._block` the same way:
the neighbours of each glued digit run read as tuple fields; the date, time and phone
regexes run (through the scanner's own `_chunk_is_whole`) only for a chunk that can match
one of them (the scanner's `_WHOLE_ANY`, `_WHOLE_SEPS` and `_WHOLE_MIN`).
"""
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF
from libc.stdlib cimport free, malloc
from libc.string cimport memset

import dataclasses
from decimal import Decimal


cdef extern from "Python.h":
    # the one slot of PyTypeObject this module needs (Cython's own declaration lacks it)
    ctypedef PyObject* (*allocfunc)(PyTypeObject*, Py_ssize_t) except NULL
    ctypedef struct _AllocType "PyTypeObject":
        allocfunc tp_alloc
    PyObject** _PyObject_GetDictPtr(object obj)


cdef object _MISSING = object()

cdef int _KIND = 0, _START = 1, _END = 2, _TEXT = 3, _F = 4
#: what a folded word is to pass 3: the fold of a case-sensitive unit's first word (ask the
#: word as written), a one-word connector, a number word or sign, a phrase's first word, an
#: article that may be the number one
cdef enum:
    _W_EXACT = 1
    _W_FAST = 2
    _W_NUM = 4
    _W_FIRST = 8
    _W_ART = 16
cdef object _ONE = Decimal(1)
#: stands for "no neighbour" in pass 2: a token of no kind
cdef tuple _NONE_TOK = (None, -1, -1, None, None)


#: `Tok`'s fields in constructor order and the defaults of the last four (checked against
#: the class in `Pass3.__init__`)
_TOK_FIELDS = ("type", "start", "end", "op", "value", "unit", "digits")
_TOK_DEFAULTS = (None, None, None, True)


cdef inline bint _blocked(tuple r, object raw_type, bint raw_default) except -1:
    # `r.blocked`: the instance dict's entry when pass 2 set one, else the class's value
    # (`raw_default` for `raw_type`, the class of this call's tokens), read through the
    # dict pointer instead of an attribute look-up through the type
    cdef PyObject** dictptr
    if type(r) is not raw_type:
        return bool(getattr(r, "blocked"))
    dictptr = _PyObject_GetDictPtr(<object>r)
    if dictptr == NULL or dictptr[0] == NULL:
        return raw_default
    value = (<dict>dictptr[0]).get("blocked", _MISSING)
    return raw_default if value is _MISSING else bool(value)


cdef list _walk(dict trie, list raws, Py_ssize_t i, Py_ssize_t n):
    """`scanner._walk(trie, raws, i)` over the folded words: (length, categories) of every
    trie entry spelled by raws[i:], longest first."""
    cdef list out = []
    cdef object node = trie, cats
    cdef Py_ssize_t k = i
    while k < n:
        node = (<dict>node).get((<tuple>raws[k])[_F])
        if node is None:
            break
        k += 1
        cats = (<dict>node).get(None)
        if cats is not None:
            out.append((k - i, cats))
    out.reverse()
    return out


cdef inline void _put(PyObject* obj, Py_ssize_t offset, object value):
    # a fresh instance's slot (NULL): stores a new reference
    Py_INCREF(value)
    (<PyObject**>(<char*>obj + offset))[0] = <PyObject*>value


cdef class Pass3:
    """Built once per `Scanner` (its tables); called as `scanner._pass3`."""

    cdef object scanner, tok, parse_digits, nparse, nw
    cdef dict trie
    cdef object exact_first, signs, digits, num_next
    cdef Py_ssize_t before, after  # the window around each number, in raw tokens
    cdef dict single, tok_kinds, fast_words, info, digits_memo
    cdef frozenset prefix_units
    cdef set plain_cats
    cdef PyTypeObject* tok_type
    cdef Py_ssize_t offsets[7]
    cdef readonly bint direct  # Toks are built by filling their slots (else by calling the class)

    def __init__(self, scanner, tok, parse_digits, tuple window, frozenset signs):
        """`window`: (tokens before, tokens after) each number; `signs`: the minus signs."""
        self.scanner = scanner
        self.before, self.after = window
        self.signs = signs
        self.tok = tok
        self.parse_digits = parse_digits
        self.trie = scanner._trie
        self.nparse = scanner.numbers
        self.nw = scanner.lex.numbers
        self.exact_first = scanner.exact_first
        self.single = scanner._single
        self.tok_kinds = scanner._tok_kinds
        self.fast_words = scanner._fast_words
        #: the unit symbols written before their number ("$ 10", "R$ 5")
        self.prefix_units = frozenset(sym for sym, u in scanner.lex.units.items() if u.prefix)
        # folded word -> _W_* flags: which of the tables above hold it (the sign marks are
        # their own folded form; a word is never a sign, a digit run is parsed apart)
        info = {}
        for words, flag in ((scanner._exact_first_folded, _W_EXACT), (self.fast_words, _W_FAST),
                            (scanner._num_words, _W_NUM), (signs, _W_NUM),
                            (scanner.first_words, _W_FIRST),
                            (scanner.lex.numbers.article_one, _W_ART)):
            for w in words:
                info[w] = info.get(w, 0) | flag
        self.info = info
        self.plain_cats = scanner._plain_cats
        self.digits = scanner.numbers.digits
        self.digits_memo = scanner.numbers._digits
        #: the folded words after a digit run that `parse_at` reads on (suffix scales, the
        #: decimal point words, scales); after any other, the run's value is the number
        self.num_next = frozenset(set(self.nw.suffix_scales) | set(self.nw.point)
                                  | set(self.nw.scales))
        self.direct = self._slots(tok)

    cdef bint _slots(self, tok) except -1:
        # `Tok` is a slots dataclass `_slotfill` can fill (its generated __init__ only stores
        # the fields) with no __post_init__, exactly these fields and these defaults: an
        # instance allocated by its type and given the seven values in their slots is the
        # same object. Anything else: call the class
        from ._slotfill import fillable, slot_offsets

        cdef int k
        if (fillable(tok) is not None or hasattr(tok, "__post_init__")
                or tuple(f.name for f in dataclasses.fields(tok)) != _TOK_FIELDS
                or tuple(f.default for f in dataclasses.fields(tok)[3:]) != _TOK_DEFAULTS):
            return False
        offsets = slot_offsets(tok)
        self.tok_type = <PyTypeObject*>tok
        for k, name in enumerate(_TOK_FIELDS):
            self.offsets[k] = offsets[name]
        return True

    cdef object _tok(self, object typ, object start, object end, object op=None,
                     object value=None, object unit=None, object digits=True):
        """`Tok(typ, start, end, op, value, unit, digits)`."""
        if not self.direct:
            return self.tok(typ, start, end, op, value, unit, digits)
        cdef PyObject* t = (<_AllocType*>self.tok_type).tp_alloc(self.tok_type, 0)
        obj = <object>t  # a second reference: released here, `obj` keeps the first
        Py_DECREF(obj)
        _put(t, self.offsets[0], typ)
        _put(t, self.offsets[1], start)
        _put(t, self.offsets[2], end)
        _put(t, self.offsets[3], op)
        _put(t, self.offsets[4], value)
        _put(t, self.offsets[5], unit)
        _put(t, self.offsets[6], digits)
        return obj

    def __call__(self, str text, list raws, list nums, list word_anchors, bytearray known):
        cdef Py_ssize_t n = len(raws)
        cdef unsigned char* look = <unsigned char*>malloc(n + 1)
        if look == NULL:
            raise MemoryError()
        try:
            # the tokens' class and its `blocked` default, once per call (see `_blocked`)
            raw_type = type(raws[0]) if n else tuple
            raw_default = bool(getattr(raw_type, "blocked", False))
            self._mask(raws, nums, word_anchors, known, look, n, raw_type, raw_default)
            return self._loop(raws, look, n, raw_type, raw_default)
        finally:
            free(look)

    cdef int _mask(self, list raws, list nums, list word_anchors, bytearray known,
                   unsigned char* look, Py_ssize_t n, object raw_type, bint raw_default) except -1:
        # look[k]: raws[k] is within a window around a number (or number word) and may be
        # something other than OTHER; the reference builds the same from `known` & windows
        cdef Py_ssize_t k, lo, hi, m, before = self.before, after = self.after
        cdef unsigned char* kn = <unsigned char*><char*>known
        memset(look, 0, n + 1)
        for k in nums:
            if not _blocked(<tuple>raws[k], raw_type, raw_default):
                lo = k - before if k > before else 0
                hi = k + after + 1 if k + after + 1 < n else n
                memset(look + lo, 1, hi - lo)
        for k in word_anchors:
            lo = k - before if k > before else 0
            hi = k + after + 1 if k + after + 1 < n else n
            memset(look + lo, 1, hi - lo)
        for m in range(n):
            look[m] = look[m] & (kn[m] != 0)
        return 0

    cdef tuple _pick(self, list raws, Py_ssize_t i, Py_ssize_t n, object prev, object prev_type,
                     list matches):
        """`Scanner._pick`: the first of `matches` a unit or a bare postfix may take here."""
        cdef Py_ssize_t L
        cdef tuple m, r = <tuple>raws[i]
        cdef bint prev_num, prefix, ok, short, glued, spaced
        nparse = self.nparse
        for m in matches:
            L = m[0]
            cats = m[1]
            if "POST" in cats and "CMP" not in cats:
                if nparse.starts_number(raws, i + L) or self.scanner._extends(raws, i, L):
                    continue
            if "UNIT" in cats:
                prev_num = prev_type == "NUMBER" and prev.end <= r[_START]
                prefix = cats["UNIT"] in self.prefix_units
                ok = prev_num or (prefix and nparse.starts_number(raws, i + L))
                short = L == 1 and len(r[_TEXT]) <= 2 and r[_KIND] == "word"
                glued = prev_num and prev.end == r[_START]
                spaced = i + L < n and (<tuple>raws[i + L])[_START] > (<tuple>raws[i + L - 1])[_END]
                if ok and short and spaced and not glued and not prefix and (
                        nparse.starts_number(raws, i + L)):
                    ok = False  # "more than 30000 in 2009": "in" is not inches here
                if not ok:
                    cats = {k: v for k, v in cats.items() if k != "UNIT"}  # the lexicon's own: copy
                    if not cats:
                        continue
            return (L, cats)
        return None

    cdef tuple _loop(self, list raws, unsigned char* look, Py_ssize_t n, object raw_type,
                     bint raw_default):
        cdef list toks = []
        cdef list units_at = []
        cdef Py_ssize_t i = 0, j, plen, nlen, num_end
        cdef bint prev_numeric = False
        cdef tuple r, r1, r2, fast, pick, kinds
        cdef int flags
        cdef bint exact
        cdef object prev = None, prev_type = None, typ, num, matches, a, b, f, txt, kind, cats
        scanner = self.scanner
        while i < n:
            r = <tuple>raws[i]
            if not look[i]:
                # a run of tokens far from any number or unknown to the lexicon: one OTHER
                j = i + 1
                while j < n and not look[j]:
                    j += 1
                if prev_type == "OTHER":
                    prev.end = (<tuple>raws[j - 1])[_END]
                else:
                    prev = self._tok("OTHER", r[_START], (<tuple>raws[j - 1])[_END])
                    prev_type = "OTHER"
                    toks.append(prev)
                    prev_numeric = False
                i = j
                continue
            kind = r[_KIND]
            txt = r[_TEXT]
            f = r[_F]
            # fractions written with a slash: "1/2"
            if kind == "num" and i + 2 < n and not _blocked(r, raw_type, raw_default):
                r1 = <tuple>raws[i + 1]
                r2 = <tuple>raws[i + 2]
                if (r1[_TEXT] == "/" and r1[_START] == r[_END] and r2[_START] == r1[_END]
                        and r2[_KIND] == "num"):
                    a = self.parse_digits(txt, self.nw)
                    b = self.parse_digits(r2[_TEXT], self.nw)
                    if (a is not None and b and not r2[_TEXT].startswith("0") and a < b <= 100
                            and a == a.to_integral_value() and b == b.to_integral_value()):
                        prev = self._tok("NUMBER", r[_START], r2[_END], None, a / b)
                        prev_numeric = True
                    else:
                        prev = self._tok("OTHER", r[_START], r2[_END])
                        prev_numeric = False
                    prev_type = prev.type
                    toks.append(prev)
                    i += 3
                    continue
            # what the scanner's tables say of this folded word, in one look-up
            fl = self.info.get(f)
            flags = 0 if fl is None else <int>fl
            exact = (flags & _W_EXACT) != 0 and txt in self.exact_first
            if flags & _W_FAST and not exact:
                fast = <tuple>self.fast_words[f]
                # a one-word connector ("de", "e", "ou", ","): its token needs no look-ahead
                typ = fast[0] if prev_numeric else fast[1]
                prev = self._tok(typ, r[_START], r[_END], fast[2])
                prev_type = typ
                toks.append(prev)
                prev_numeric = typ == "NUMBER" or typ == "UNIT"
                if typ == "UNIT":
                    units_at.append(len(toks) - 1)
                i += 1
                continue
            num = None
            if kind == "num":
                if i + 1 < n and (<tuple>raws[i + 1])[_F] in self.num_next:
                    num = self.nparse.parse_at(raws, i, allow_sign=not prev_numeric)
                elif not _blocked(r, raw_type, raw_default):
                    # `parse_at` of a digit run that no scale, point or suffix word follows:
                    # its value alone
                    a = self.digits_memo.get(txt, _MISSING)  # `digits`' own memo first
                    if a is _MISSING:
                        a = self.digits(txt)
                    if a is not None:
                        num = (a, i + 1)
            elif flags & _W_NUM:
                num = self.nparse.parse_at(raws, i, allow_sign=not prev_numeric)
            if exact:
                matches = scanner._phrases_at(raws, i)
            elif flags & _W_FIRST:
                matches = self.single.get(f) or _walk(self.trie, raws, i, n)
            else:
                matches = None
            if matches:
                # the longest entry is taken as it is unless a unit or a postfix needs a look
                pick = <tuple>matches[0]
                if id(pick[1]) not in self.plain_cats:
                    pick = self._pick(raws, i, n, prev, prev_type, matches)
            else:
                pick = None
            plen = pick[0] if pick is not None else 0
            if num is not None:
                num_end = (<tuple>num)[1]
                nlen = num_end - i
            else:
                nlen = 0
            if num is not None and (pick is None or nlen > plen or (nlen == plen and not (
                    "UNIT" in pick[1] and prev_type == "NUMBER"))):
                prev = self._tok("NUMBER", r[_START], (<tuple>raws[num_end - 1])[_END], None,
                           (<tuple>num)[0], None, kind == "num" or txt in self.signs)
                prev_type = "NUMBER"
                toks.append(prev)
                prev_numeric = True
                i = num_end
                continue
            if pick is not None:
                cats = pick[1]
                kinds = <tuple>self.tok_kinds.get(id(cats))
                if kinds is None:
                    prev = scanner._tok(cats, r[_START], (<tuple>raws[i + plen - 1])[_END],
                                        prev_numeric)
                    typ = prev.type
                else:
                    typ = kinds[0] if prev_numeric else kinds[1]
                    prev = self._tok(typ, r[_START], (<tuple>raws[i + plen - 1])[_END], kinds[2])
                prev_type = typ
                toks.append(prev)
                prev_numeric = typ == "NUMBER" or typ == "UNIT"
                if typ == "UNIT":
                    units_at.append(len(toks) - 1)
                i += plen
                continue
            # "a dollar", "an hour": the article is the number one before a unit word
            if flags & _W_ART and i + 1 < n:
                matches = scanner._phrases_at(raws, i + 1)
                if matches and "UNIT" in (<tuple>matches[0])[1] and len((<tuple>raws[i + 1])[_TEXT]) >= 3:
                    prev = self._tok("NUMBER", r[_START], r[_END], None, _ONE)
                    prev_type = "NUMBER"
                    toks.append(prev)
                    prev_numeric = True
                    i += 1
                    continue
            prev = self._tok("OTHER", r[_START], r[_END])
            prev_type = "OTHER"
            toks.append(prev)
            prev_numeric = False
            i += 1
        return toks, units_at


cdef class Pass2:
    """Built once per `Scanner`; called as `scanner._pass2(text, raws, nums)`."""

    cdef object glue_ok, cardinals, chunk_is_whole
    cdef str whole_any, whole_seps
    cdef Py_ssize_t whole_min

    def __init__(self, scanner, str whole_any, str whole_seps, Py_ssize_t whole_min):
        """A chunk is asked whether it is a date, time or phone number as a whole only
        with one of `whole_any`, two of one of `whole_seps`, or one of them in a chunk of
        `whole_min` characters or more (what the scanner's regexes need)."""
        self.glue_ok = scanner.glue_ok
        self.cardinals = scanner.lex.numbers.cardinals
        self.chunk_is_whole = scanner._chunk_is_whole
        self.whole_any, self.whole_seps, self.whole_min = whole_any, whole_seps, whole_min

    def __call__(self, str text, list raws, list nums):
        cdef Py_ssize_t n = len(raws), done = -1, i, j, k
        for k in nums:
            if k < done:
                continue
            i = k
            while i > 0 and (<tuple>raws[i])[_START] == (<tuple>raws[i - 1])[_END]:
                i -= 1
            j = k + 1
            while j < n and (<tuple>raws[j])[_START] == (<tuple>raws[j - 1])[_END]:
                j += 1
            if j - i > 1:  # a lone digit run is never a date, time, phone number or code
                self._chunk(text, raws, i, j)
            done = j

    cdef int _chunk(self, str text, list raws, Py_ssize_t i, Py_ssize_t j) except -1:
        cdef Py_ssize_t k
        cdef tuple r, left, right, far
        cdef str s = text[(<tuple>raws[i])[_START]:(<tuple>raws[j - 1])[_END]]
        cdef bint whole = False, ask = False
        cdef Py_ssize_t count
        for c in self.whole_any:
            if c in s:
                ask = True
                break
        if not ask:
            for c in self.whole_seps:
                count = s.count(c)
                if count >= 2 or (count == 1 and len(s) >= self.whole_min):
                    ask = True
                    break
        if ask:
            whole = self.chunk_is_whole(text, raws, i, j)
        if whole:
            for k in range(i, j):
                r = <tuple>raws[k]
                if r[_KIND] == "num":
                    setattr(r, "blocked", True)
            return 0
        for k in range(i, j):
            r = <tuple>raws[k]
            if r[_KIND] != "num":
                continue
            left = <tuple>raws[k - 1] if k > i else _NONE_TOK
            right = <tuple>raws[k + 1] if k + 1 < j else _NONE_TOK
            if left[_KIND] == "word":
                setattr(r, "blocked", True)  # "NE2", "UG3", "h15"
            elif right[_KIND] == "word" and right[_F] not in self.glue_ok:
                setattr(r, "blocked", True)  # "2NE", "3a"
            elif (left[_KIND] == "sym" and left[_TEXT] in "-./_"
                  and k - 2 >= i and (<tuple>raws[k - 2])[_KIND] == "word"
                  and (<tuple>raws[k - 2])[_F] not in self.glue_ok):
                setattr(r, "blocked", True)  # "AT-03", "ON.2"
            elif right[_KIND] == "sym" and right[_TEXT] in "-./_" and k + 2 < j:
                far = <tuple>raws[k + 2]
                if (far[_KIND] == "word" and far[_F] not in self.glue_ok
                        and far[_F] not in self.cardinals):
                    setattr(r, "blocked", True)  # "03-AT"
                elif left[_KIND] == "sym" and left[_TEXT] == "_":
                    setattr(r, "blocked", True)
            elif left[_KIND] == "sym" and left[_TEXT] == "_":
                setattr(r, "blocked", True)
        return 0
