# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The scanner's pass 3 as a typed loop (compiled builds only).

Same result as `Scanner._pass3_py`, which stays the reference and the fallback: the same
decisions in the same order, over the records of `_rawscan.RawSeq` (kind, offsets, known,
blocked read in C through its `RawView`) and the `RawTok`s it makes when a token is read
(only the tokens near numbers), with the look mask as a byte array and the previous token's
type in a local, instead of attribute look-ups per token. Phrase look-ups
(`_phrases_at`, `_extends`) walk the scanner's tries here too, and `starts_number` is
answered from the records unless the token is a mark or a number word; number parsing and
the rare token kinds call the scanner's and the number parser's own methods with the
sequence. `tests/engine/inequality/test_compiled.py` checks both agree token for token.
"""
from cpython.long cimport PyLong_FromVoidPtr
from cpython.object cimport PyObject, PyTypeObject
from cpython.pycapsule cimport PyCapsule_GetPointer
from cpython.ref cimport Py_DECREF, Py_INCREF
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memset

import dataclasses
from decimal import Decimal


cdef extern from "Python.h":
    # the one slot of PyTypeObject this module needs (Cython's own declaration lacks it)
    ctypedef PyObject* (*allocfunc)(PyTypeObject*, Py_ssize_t) except NULL
    ctypedef struct _AllocType "PyTypeObject":
        allocfunc tp_alloc


# the records `_rawscan.RawSeq` holds and the view they are read through
include "_rawview.pxi"


cdef RawView* _view(object seq) except NULL:
    # the records of a `_rawscan.RawSeq` (`seq` must outlive the pointer's use)
    cdef RawView* v = <RawView*>PyCapsule_GetPointer(seq.view, _VIEW_NAME)
    if v.view_size != sizeof(RawView) or v.rec_size != sizeof(RawRec):
        raise TypeError("raw token records of another layout")
    return v


cdef object _MISSING = object()

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
#: `Tok`'s fields in constructor order and the defaults of the last four (checked against
#: the class in `Pass3.__init__`)
_TOK_FIELDS = ("type", "start", "end", "op", "value", "unit", "digits")
_TOK_DEFAULTS = (None, None, None, True)


cdef list _walk(dict trie, object seq, RawView* v, Py_ssize_t i, bint written=False):
    """`scanner._walk(trie, raws, i)` over the folded words (with `written`, the words as
    written: `_walk(..., _WRITTEN)`): (length, categories) of every trie entry spelled by
    raws[i:], longest first."""
    cdef list out = []
    cdef object node = trie, cats
    cdef Py_ssize_t k = i, n = v.n
    while k < n:
        node = (<dict>node).get(v.text(seq, k) if written else v.fold(seq, k))
        if node is None:
            break
        k += 1
        cats = (<dict>node).get(None)
        if cats is not None:
            out.append((k - i, cats))
    out.reverse()
    return out


def _minus_length(entry):
    """The sort key of `Scanner._phrases_at` (longest first, stable)."""
    return -entry[0]


cdef inline object _id(object obj):
    # id(obj), without calling the builtin
    return PyLong_FromVoidPtr(<void*>obj)


cdef struct _Word:
    # what pass 3's tables say of one word of the raw scanner's table: its `info` flags, its
    # `fast_words` entry, its `single` matches, whether that one entry is plain, and its
    # `tok_kinds` (borrowed: `Pass3`'s dicts hold them; NULL where a dict has none)
    int flags
    PyObject* fast
    PyObject* cont  # `fast_unless` entry: the words after which the table path is not taken
    PyObject* single
    unsigned char plain
    PyObject* kinds


cdef inline void _put(PyObject* obj, Py_ssize_t offset, object value) noexcept:
    # a fresh instance's slot (NULL): stores a new reference
    Py_INCREF(value)
    (<PyObject**>(<char*>obj + offset))[0] = <PyObject*>value


cdef class Pass3:
    """Built once per `Scanner` (its tables); called as `scanner._pass3`."""

    cdef object scanner, tok, parse_digits, nparse, nw
    cdef dict trie, exact_trie
    cdef object exact_first, signs, digits, num_next
    cdef Py_ssize_t before, after  # the window around each number, in raw tokens
    cdef dict single, tok_kinds, fast_words, fast_unless, info, digits_memo
    cdef frozenset prefix_units
    cdef set plain_cats
    cdef PyTypeObject* tok_type
    cdef Py_ssize_t offsets[7]
    cdef readonly bint direct  # Toks are built by filling their slots (else by calling the class)
    cdef _Word* words  # by the raw scanner's word-table index (`RawRec.wid`)

    def __dealloc__(self):
        free(self.words)

    def __init__(self, scanner, tok, parse_digits, tuple window, frozenset signs):
        """`window`: (tokens before, tokens after) each number; `signs`: the minus signs."""
        self.scanner = scanner
        self.before, self.after = window
        self.signs = signs
        self.tok = tok
        self.parse_digits = parse_digits
        self.trie = scanner._trie
        self.exact_trie = scanner._exact_trie
        self.nparse = scanner.numbers
        self.nw = scanner.lex.numbers
        self.exact_first = scanner.exact_first
        self.single = scanner._single
        self.tok_kinds = scanner._tok_kinds
        self.fast_words = scanner._fast_words
        self.fast_unless = scanner._fast_unless
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
        self._word_tables(scanner._raw)

    cdef int _word_tables(self, raw) except -1:
        # the per-word look-ups of `_loop`, indexed by the records' table index instead of
        # hashing the word's string (same answers: built from the same dicts)
        cdef Py_ssize_t k, size
        cdef _Word* e
        if raw is None:
            raise TypeError("pass 3 reads the records of the compiled raw scanner")
        ids, size = raw.word_ids()
        self.words = <_Word*>calloc(size, sizeof(_Word))  # zero: no flags, NULL entries
        if self.words == NULL:
            raise MemoryError()
        for w, k in ids.items():
            e = &self.words[k]
            e.flags = self.info.get(w, 0)
            fast = self.fast_words.get(w)
            if fast is not None:
                e.fast = <PyObject*>fast
            cont = self.fast_unless.get(w)
            if cont is not None:
                e.cont = <PyObject*>cont
            matches = self.single.get(w)
            if matches:
                e.single = <PyObject*>matches
                cats = matches[0][1]
                e.plain = id(cats) in self.plain_cats
                kinds = self.tok_kinds.get(id(cats))
                if kinds is not None:
                    e.kinds = <PyObject*>kinds
        missing = sorted(w for w in self.info if w and w not in ids)  # "" is never a token
        if missing:
            raise TypeError(f"the raw scanner's word table lacks {missing[:5]}")
        return 0

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

    def __call__(self, str text, seq):
        """(tokens, indices of the UNIT tokens) of `seq`, the `_rawscan.RawSeq` of `text`."""
        cdef RawView* v = _view(seq)
        cdef Py_ssize_t n = v.n
        cdef unsigned char* look = <unsigned char*>malloc(n + 1)
        if look == NULL:
            raise MemoryError()
        try:
            self._mask(v, look)
            return self._loop(text, seq, v, look)
        finally:
            free(look)

    cdef int _mask(self, RawView* v, unsigned char* look) except -1:
        # look[k]: raws[k] is within a window around a number (or number word) and may be
        # something other than OTHER; the reference builds the same from `known` & windows
        cdef Py_ssize_t k, lo, hi, n = v.n, before = self.before, after = self.after
        cdef RawRec* r
        memset(look, 0, n + 1)
        for k in range(n):
            r = &v.recs[k]
            if (r.kind == KIND_NUM and not r.blocked) or r.anchor:
                lo = k - before if k > before else 0
                hi = k + after + 1 if k + after + 1 < n else n
                memset(look + lo, 1, hi - lo)
        for k in range(n):
            look[k] = look[k] & (v.recs[k].known != 0)
        return 0

    cdef bint _starts_number(self, object seq, RawView* v, Py_ssize_t i) except -1:
        """`numbers.starts_number(seq, i)`, answered from the records where they settle it:
        past the end, a digit run (not blocked), a word no number can start with (every word
        that can is in `scanner._num_words`, so it has _W_NUM; a word the table lacks has no
        flags). Marks and number words ask the parser."""
        cdef RawRec* r
        if i >= v.n:
            return False
        r = &v.recs[i]
        if r.kind == KIND_NUM:
            return not r.blocked
        if r.kind == KIND_WORD and (r.wid < 0 or not (self.words[r.wid].flags & _W_NUM)):
            return False
        return bool(self.nparse.starts_number(seq, i))

    cdef list _phrases_at(self, object seq, RawView* v, Py_ssize_t i):
        """`Scanner._phrases_at(seq, i)`: every lexicon match starting at raws[i], longest
        first (the case-sensitive unit symbols read on the words as written)."""
        cdef list out = _walk(self.trie, seq, v, i)
        if i < v.n and v.text(seq, i) in self.exact_first:
            out += _walk(self.exact_trie, seq, v, i, True)
            if len(out) > 1:
                out.sort(key=_minus_length)
        return out

    cdef bint _extends(self, object seq, RawView* v, Py_ssize_t i, Py_ssize_t L) except -1:
        """`Scanner._extends(seq, i, L)`: does a phrase starting inside raws[i+1 : i+L] run
        past i+L, with a number right after it?"""
        cdef Py_ssize_t k
        cdef tuple m
        for k in range(i + 1, i + L):
            for m in self._phrases_at(seq, v, k):
                if k + <Py_ssize_t>m[0] > i + L and "UNIT" not in m[1] \
                        and self._starts_number(seq, v, k + <Py_ssize_t>m[0]):
                    return True
        return False

    cdef tuple _pick(self, object seq, RawView* v, Py_ssize_t i, object prev, object prev_type,
                     list matches):
        """`Scanner._pick`: the first of `matches` a unit or a bare postfix may take here."""
        cdef Py_ssize_t L, n = v.n
        cdef tuple m
        cdef RawRec* r = &v.recs[i]
        cdef bint prev_num, prefix, ok, short, glued, spaced
        for m in matches:
            L = m[0]
            cats = m[1]
            if "POST" in cats and "CMP" not in cats:
                if self._starts_number(seq, v, i + L) or self._extends(seq, v, i, L):
                    continue
            if "UNIT" in cats:
                prev_num = prev_type == "NUMBER" and prev.end <= r.start
                prefix = cats["UNIT"] in self.prefix_units
                ok = prev_num or (prefix and self._starts_number(seq, v, i + L))
                short = L == 1 and r.end - r.start <= 2 and r.kind == KIND_WORD
                glued = prev_num and prev.end == r.start
                spaced = i + L < n and v.recs[i + L].start > v.recs[i + L - 1].end
                if ok and short and spaced and not glued and not prefix and (
                        self._starts_number(seq, v, i + L)):
                    ok = False  # "more than 30000 in 2009": "in" is not inches here
                if not ok:
                    cats = {key: val for key, val in cats.items() if key != "UNIT"}  # the lexicon's own: copy
                    if not cats:
                        continue
            return (L, cats)
        return None

    cdef tuple _loop(self, str text, object seq, RawView* v, unsigned char* look):
        cdef list toks = []
        cdef list units_at = []
        cdef Py_ssize_t i = 0, j, plen, nlen, num_end, n = v.n
        cdef bint prev_numeric = False
        cdef tuple fast, pick, kinds
        cdef RawRec* rec
        cdef RawRec* r1
        cdef RawRec* r2
        cdef int flags
        cdef bint exact, single
        cdef Py_ssize_t wid
        cdef object prev = None, prev_type = None, typ, num, matches, a, b, f, txt, cats
        cdef object start
        scanner = self.scanner
        while i < n:
            rec = &v.recs[i]
            if not look[i]:
                # a run of tokens far from any number or unknown to the lexicon: one OTHER
                j = i + 1
                while j < n and not look[j]:
                    j += 1
                if prev_type == "OTHER":
                    prev.end = v.recs[j - 1].end
                else:
                    prev = self._tok("OTHER", rec.start, v.recs[j - 1].end)
                    prev_type = "OTHER"
                    toks.append(prev)
                    prev_numeric = False
                i = j
                continue
            # what the scanner's tables say of this token: by the word table's index (no
            # string needed), or for a digit run by its string; strings only when read
            wid = -1
            txt = f = None
            start = rec.start
            if rec.kind == KIND_NUM:
                txt = f = v.text(seq, i)
                # fractions written with a slash: "1/2"
                if i + 2 < n and not rec.blocked:
                    r1 = &v.recs[i + 1]
                    r2 = &v.recs[i + 2]
                    if (r1.kind == KIND_SYM and r1.end - r1.start == 1 and text[r1.start] == u"/"
                            and r1.start == rec.end and r2.start == r1.end and r2.kind == KIND_NUM):
                        a = self.parse_digits(txt, self.nw)
                        txt2 = v.text(seq, i + 2)
                        b = self.parse_digits(txt2, self.nw)
                        if (a is not None and b and not txt2.startswith("0") and a < b <= 100
                                and a == a.to_integral_value() and b == b.to_integral_value()):
                            prev = self._tok("NUMBER", start, r2.end, None, a / b)
                            prev_numeric = True
                        else:
                            prev = self._tok("OTHER", start, r2.end)
                            prev_numeric = False
                        prev_type = prev.type
                        toks.append(prev)
                        i += 3
                        continue
                fl = self.info.get(f)
                flags = 0 if fl is None else <int>fl
            elif rec.wid >= 0:
                wid = rec.wid
                flags = self.words[wid].flags
            else:
                flags = 0  # not in the word table, which holds every word of `info`
            exact = False
            if flags & _W_EXACT:
                txt = v.text(seq, i)
                exact = txt in self.exact_first
            if flags & _W_FAST and not exact and not (
                    wid >= 0 and self.words[wid].cont != NULL and i + 1 < n
                    and v.fold(seq, i + 1) in <frozenset>(<object>self.words[wid].cont)):
                fast = <tuple>(<object>self.words[wid].fast) if wid >= 0 else <tuple>self.fast_words[f]
                # a one-word connector ("de", "e", "ou", ","): its token needs no look-ahead
                typ = fast[0] if prev_numeric else fast[1]
                prev = self._tok(typ, start, rec.end, fast[2])
                prev_type = typ
                toks.append(prev)
                prev_numeric = typ == "NUMBER" or typ == "UNIT"
                if typ == "UNIT":
                    units_at.append(len(toks) - 1)
                i += 1
                continue
            num = None
            if rec.kind == KIND_NUM:
                if i + 1 < n and v.fold(seq, i + 1) in self.num_next:
                    num = self.nparse.parse_at(seq, i, allow_sign=not prev_numeric)
                elif not rec.blocked:
                    # `parse_at` of a digit run that no scale, point or suffix word follows:
                    # its value alone
                    a = self.digits_memo.get(txt, _MISSING)  # `digits`' own memo first
                    if a is _MISSING:
                        a = self.digits(txt)
                    if a is not None:
                        num = (a, i + 1)
            elif flags & _W_NUM:
                num = self.nparse.parse_at(seq, i, allow_sign=not prev_numeric)
            single = False
            if exact:
                matches = self._phrases_at(seq, v, i)
            elif flags & _W_FIRST:
                if wid >= 0:
                    matches = <object>self.words[wid].single if self.words[wid].single != NULL else None
                    single = matches is not None
                else:
                    matches = self.single.get(f)
                if not matches:
                    matches = _walk(self.trie, seq, v, i)
            else:
                matches = None
            kinds = None
            if matches:
                # the longest entry is taken as it is unless a unit or a postfix needs a look
                pick = <tuple>matches[0]
                if single and self.words[wid].plain:
                    if self.words[wid].kinds != NULL:
                        kinds = <tuple>self.words[wid].kinds
                elif single or _id(pick[1]) not in self.plain_cats:
                    pick = self._pick(seq, v, i, prev, prev_type, matches)
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
                if rec.kind != KIND_NUM and txt is None:
                    txt = v.text(seq, i)
                prev = self._tok("NUMBER", start, v.recs[num_end - 1].end, None,
                                 (<tuple>num)[0], None, rec.kind == KIND_NUM or txt in self.signs)
                prev_type = "NUMBER"
                toks.append(prev)
                prev_numeric = True
                i = num_end
                continue
            if pick is not None:
                cats = pick[1]
                if kinds is None:
                    kinds = <tuple>self.tok_kinds.get(_id(cats))
                if kinds is None:
                    prev = scanner._tok(cats, start, v.recs[i + plen - 1].end, prev_numeric)
                    typ = prev.type
                else:
                    typ = kinds[0] if prev_numeric else kinds[1]
                    prev = self._tok(typ, start, v.recs[i + plen - 1].end, kinds[2])
                prev_type = typ
                toks.append(prev)
                prev_numeric = typ == "NUMBER" or typ == "UNIT"
                if typ == "UNIT":
                    units_at.append(len(toks) - 1)
                i += plen
                continue
            # "a dollar", "an hour": the article is the number one before a unit word
            if flags & _W_ART and i + 1 < n:
                matches = self._phrases_at(seq, v, i + 1)
                if matches and "UNIT" in (<tuple>matches[0])[1] and v.recs[i + 1].end - v.recs[i + 1].start >= 3:
                    prev = self._tok("NUMBER", start, rec.end, None, _ONE)
                    prev_type = "NUMBER"
                    toks.append(prev)
                    prev_numeric = True
                    i += 1
                    continue
            prev = self._tok("OTHER", start, rec.end)
            prev_type = "OTHER"
            toks.append(prev)
            prev_numeric = False
            i += 1
        return toks, self._post_units(toks, units_at)

    cdef list _post_units(self, list toks, list units_at):
        """`scanner._post_units`: the UNITs followed by a NUMBER or an AND (the type slot
        read directly when the tokens are filled by slot)."""
        cdef list out = []
        cdef Py_ssize_t u, n = len(toks)
        cdef PyObject* typ
        for u in units_at:
            if u + 1 >= n:
                continue
            if self.direct:
                typ = (<PyObject**>(<char*><PyObject*>toks[u + 1] + self.offsets[0]))[0]
                following = <object>typ
            else:
                following = toks[u + 1].type
            if following == "NUMBER" or following == "AND":
                out.append(u)
        return out
