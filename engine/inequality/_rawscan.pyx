# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The scanner's passes 1 and 2 over C arrays (compiled builds only).

Same result as `scanner._raw_pass_py` followed by `Scanner._block`, which stay the reference
and the fallback. Pass 1 reads the token classes of `scanner._RAW_ALL` with the predicates
Python's `re` uses for them (`\\s` Py_UNICODE_ISSPACE, `\\d` Py_UNICODE_ISDECIMAL, `\\w`
Py_UNICODE_ISALNUM or "_") into one C record per token (kind, offsets, whether the lexicon
may know it), looking each word up in a C table of the scanner's words (`WordTable`): no
regex, no string and no tuple per token. Pass 2 blocks digit runs on those records.
The result (`RawSeq`) is a sequence of `RawTok`s built only when read: pass 3 reads the tokens
near numbers, the scanner's Python look-aheads what they index; a word the table holds gets
the table's string as its folded form. `tests/engine/inequality/test_compiled.py` checks the
tokens, flags and blocked runs against the reference.
"""
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject, PyTypeObject
from cpython.pycapsule cimport PyCapsule_New
from cpython.ref cimport Py_DECREF, Py_INCREF, Py_XDECREF
from cpython.unicode cimport (Py_UNICODE_ISALNUM, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE,
                             PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ)
from libc.stdint cimport uint64_t
from libc.string cimport memset


cdef extern from "Python.h":
    int PyUnicode_READY(object) except -1
    # the one slot of PyTypeObject this module needs (Cython's own declaration lacks it)
    ctypedef PyObject* (*allocfunc)(PyTypeObject*, Py_ssize_t) except NULL
    ctypedef struct _AllocType "PyTypeObject":
        allocfunc tp_alloc
    void PyTuple_SET_ITEM(PyObject* p, Py_ssize_t pos, PyObject* o)


# the records and the view `_scanloop.Pass3` reads them through (a capsule named VIEW_NAME)
include "_rawview.pxi"


#: what a word or mark is to the scanner (`WordTable` flags)
cdef enum:
    _F_INTERESTING = 1  # a folded word that can start something the scanner emits
    _F_ANCHOR = 2  # a number word
    _F_KNOWN_SYM = 4  # a mark that can start something
    _F_GLUE_OK = 8  # a word that may be glued right after digits ("500MW")
    _F_CARDINAL = 16  # a cardinal number word

cdef tuple _KINDS = ("word", "num", "sym")


cdef inline object _raw(PyTypeObject* tp, object kind, Py_ssize_t a, Py_ssize_t b, object text,
                        object f):
    # a `RawTok` (a tuple subclass) built the way `tuple.__new__(RawTok, fields)` builds it
    # (tp_alloc, then the items set), without the fields' temporary tuple and the call
    cdef object start = a, end = b  # allocated first: nothing allocates between the items
    cdef PyObject* t = (<_AllocType*>tp).tp_alloc(tp, 5)
    obj = <object>t  # takes a second reference: released below, `obj` keeps the first
    Py_DECREF(obj)
    Py_INCREF(kind)
    PyTuple_SET_ITEM(t, 0, <PyObject*>kind)
    Py_INCREF(start)
    PyTuple_SET_ITEM(t, 1, <PyObject*>start)
    Py_INCREF(end)
    PyTuple_SET_ITEM(t, 2, <PyObject*>end)
    Py_INCREF(text)
    PyTuple_SET_ITEM(t, 3, <PyObject*>text)
    Py_INCREF(f)
    PyTuple_SET_ITEM(t, 4, <PyObject*>f)
    return obj


cdef inline bint _letter_any(Py_UCS4 c):
    # [^\W\d_]: a word character that is neither a decimal digit nor "_"
    return Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c) and c != u"_"


# the three predicates for the 128 ASCII code points, computed here by the predicates
# themselves (so equal by construction): most characters of the texts are ASCII, and each
# predicate is otherwise a call into CPython's Unicode database (ISALNUM is four)
cdef enum:
    _SPACE = 1
    _DECIMAL = 2
    _LETTER = 4
cdef unsigned char _ASCII[128]
cdef Py_UCS4 _k
for _k in range(128):
    _ASCII[_k] = ((_SPACE if Py_UNICODE_ISSPACE(_k) else 0) | (_DECIMAL if Py_UNICODE_ISDECIMAL(_k) else 0)
                  | (_LETTER if _letter_any(_k) else 0))


cdef inline bint _space(Py_UCS4 c):
    return _ASCII[c] & _SPACE if c < 128 else Py_UNICODE_ISSPACE(c)


cdef inline bint _decimal(Py_UCS4 c):
    return _ASCII[c] & _DECIMAL if c < 128 else Py_UNICODE_ISDECIMAL(c)


cdef inline bint _letter(Py_UCS4 c):
    return _ASCII[c] & _LETTER if c < 128 else _letter_any(c)


cdef inline bint _pair(Py_UCS4 a, Py_UCS4 b):
    # a + b is one of the two-character marks of `scanner._TOKEN_ALTS`:
    # <= >= =< => <> != == ''
    if b == u"=":
        return a == u"<" or a == u">" or a == u"!" or a == u"="
    if a == u"=":
        return b == u"<" or b == u">"
    return (a == u"<" and b == u">") or (a == u"'" and b == u"'")


cdef struct _Entry:
    uint64_t hash
    Py_ssize_t length
    PyObject* word  # borrowed: the table's `words` list holds it
    unsigned int flags


cdef inline Py_UCS4 _at(unsigned int kind, void* data, Py_ssize_t i) noexcept:
    # the code unit at i of a string's `PyUnicode_DATA` (`s[i]` compiles to Cython's
    # out-of-line index helper)
    return PyUnicode_READ(kind, data, i)


cdef inline uint64_t _hash(str s, Py_ssize_t a, Py_ssize_t b) noexcept:
    # FNV-1a over the code points of s[a:b]
    cdef uint64_t h = 14695981039346656037ULL
    cdef Py_ssize_t k
    cdef unsigned int kind = PyUnicode_KIND(s)
    cdef void* data = PyUnicode_DATA(s)
    for k in range(a, b):
        h = (h ^ <uint64_t>_at(kind, data, k)) * 1099511628211ULL
    return h


cdef class WordTable:
    """Strings -> flags, looked up by a slice of a text without making the slice."""

    cdef _Entry* entries
    cdef Py_ssize_t mask
    cdef list words

    def __cinit__(self, dict flags):
        cdef Py_ssize_t size = 8, k
        cdef str w
        while size < 2 * len(flags) + 1:
            size *= 2
        self.entries = <_Entry*>PyMem_Malloc(size * sizeof(_Entry))
        if self.entries == NULL:
            raise MemoryError()
        memset(self.entries, 0, size * sizeof(_Entry))
        self.mask = size - 1
        self.words = []
        cdef uint64_t h
        for w, fl in flags.items():  # (a dict: each word once)
            h = _hash(w, 0, len(w))
            k = <Py_ssize_t>(h & <uint64_t>self.mask)
            while self.entries[k].word != NULL:
                k = (k + 1) & self.mask
            self.words.append(w)
            self.entries[k].hash = h
            self.entries[k].length = len(w)
            self.entries[k].word = <PyObject*>w
            self.entries[k].flags = <unsigned int>fl

    def __dealloc__(self):
        PyMem_Free(self.entries)

    cdef Py_ssize_t _find(self, str s, Py_ssize_t a, Py_ssize_t b) noexcept:
        """The entry of s[a:b], or -1."""
        cdef uint64_t h = _hash(s, a, b)
        cdef Py_ssize_t k = <Py_ssize_t>(h & <uint64_t>self.mask), j
        cdef Py_ssize_t length = b - a
        cdef _Entry* e
        cdef str w
        cdef unsigned int skind = PyUnicode_KIND(s), wkind
        cdef void* sdata = PyUnicode_DATA(s)
        cdef void* wdata
        while True:
            e = &self.entries[k]
            if e.word == NULL:
                return -1
            if e.hash == h and e.length == length:
                w = <str>e.word
                wkind, wdata = PyUnicode_KIND(w), PyUnicode_DATA(w)
                j = 0
                while j < length and _at(wkind, wdata, j) == _at(skind, sdata, a + j):
                    j += 1
                if j == length:
                    return k
            k = (k + 1) & self.mask

    def ids(self) -> dict:
        """word -> its entry's index (what `RawRec.wid` holds), for every word."""
        cdef Py_ssize_t k
        return {<str>self.entries[k].word: k for k in range(self.mask + 1) if self.entries[k].word != NULL}

    def flags(self, str word) -> int:
        """The flags of `word` (0 when absent)."""
        cdef Py_ssize_t k = self._find(word, 0, len(word))
        return 0 if k < 0 else self.entries[k].flags


cdef object _seq_item(object seq, Py_ssize_t i):
    return (<RawSeq>seq).item(i)


cdef object _seq_text(object seq, Py_ssize_t i):
    return (<RawSeq>seq).text_at(i)


cdef object _seq_fold(object seq, Py_ssize_t i):
    return (<RawSeq>seq).fold_at(i)


cdef class RawSeq:
    """The raw tokens of one text: C records, `RawTok`s made when first read (a sequence:
    `len`, indexing, slices, iteration). Made by `RawScanner`."""

    cdef str text, folded
    cdef WordTable table
    cdef object _raw_tok  # keeps `tp` alive
    cdef PyTypeObject* tp
    cdef RawRec* recs
    cdef Py_ssize_t n, cap
    cdef readonly Py_ssize_t nums  # how many digit runs
    cdef PyObject** items  # the RawToks made so far (NULL: not yet)
    cdef RawView _view

    def __dealloc__(self):
        cdef Py_ssize_t k
        if self.items != NULL:
            for k in range(self.n):
                Py_XDECREF(self.items[k])
            PyMem_Free(self.items)
        PyMem_Free(self.recs)

    cdef int _grow(self) except -1:
        cdef Py_ssize_t cap = self.cap * 2 if self.cap else 16
        cdef RawRec* recs = <RawRec*>PyMem_Realloc(self.recs, cap * sizeof(RawRec))
        if recs == NULL:
            raise MemoryError()
        self.recs, self.cap = recs, cap
        return 0

    cdef inline RawRec* _add(self, unsigned char kind, Py_ssize_t a, Py_ssize_t b) except NULL:
        cdef RawRec* r
        if self.n == self.cap:
            self._grow()
        r = &self.recs[self.n]
        self.n += 1
        r.start, r.end, r.kind = a, b, kind
        r.wid, r.known, r.anchor, r.blocked = -1, 0, 0, 0
        return r

    cdef str fold_at(self, Py_ssize_t i):
        """raws[i].f: the table's string when the table holds it (no new string)."""
        cdef RawRec* r = &self.recs[i]
        if self.items != NULL and self.items[i] != NULL:
            return <str>(<tuple>self.items[i])[4]
        if r.wid >= 0:
            return <str>self.table.entries[r.wid].word
        return (self.folded if r.kind == KIND_WORD else self.text)[r.start:r.end]

    cdef str text_at(self, Py_ssize_t i):
        """raws[i].text: the folded string when the word is written folded."""
        cdef RawRec* r = &self.recs[i]
        if self.items != NULL and self.items[i] != NULL:
            return <str>(<tuple>self.items[i])[3]
        if r.kind == KIND_WORD:
            return self._text_of_word(r, self.fold_at(i))
        if r.wid >= 0:  # a mark the table holds: its folded form is itself
            return <str>self.table.entries[r.wid].word
        return self.text[r.start:r.end]

    cdef inline str _text_of_word(self, RawRec* r, str f):
        cdef Py_ssize_t k = 0, length = r.end - r.start
        while k < length and self.text[r.start + k] == f[k]:
            k += 1
        return f if k == length else self.text[r.start:r.end]

    cdef object item(self, Py_ssize_t i):
        """raws[i] (0 <= i < n): made on first read, the same object after."""
        cdef RawRec* r
        cdef PyObject* made
        cdef str f, txt
        if self.items == NULL:
            self.items = <PyObject**>PyMem_Malloc(self.n * sizeof(PyObject*))
            if self.items == NULL:
                raise MemoryError()
            memset(self.items, 0, self.n * sizeof(PyObject*))
        made = self.items[i]
        if made != NULL:
            return <object>made
        r = &self.recs[i]
        f = self.fold_at(i)
        if r.kind == KIND_WORD:
            txt = self._text_of_word(r, f)
        else:  # a digit run or a mark: its folded form is itself
            txt = f
        obj = _raw(self.tp, _KINDS[r.kind], r.start, r.end, txt, f)
        if r.blocked:
            setattr(obj, "blocked", True)
        Py_INCREF(obj)
        self.items[i] = <PyObject*>obj
        return obj

    cdef int block(self, Py_ssize_t i) except -1:
        """Mark raws[i] blocked (and its RawTok, when it was made already)."""
        self.recs[i].blocked = 1
        if self.items != NULL and self.items[i] != NULL:
            setattr(<object>self.items[i], "blocked", True)
        return 0

    def __len__(self):
        return self.n

    def __getitem__(self, key):
        cdef Py_ssize_t i
        if isinstance(key, slice):
            return [self.item(i) for i in range(*key.indices(self.n))]
        i = key
        if i < 0:
            i += self.n
        if i < 0 or i >= self.n:
            raise IndexError("raw token index out of range")
        return self.item(i)

    def __iter__(self):
        cdef Py_ssize_t i
        for i in range(self.n):
            yield self.item(i)

    @property
    def view(self):
        """A capsule (`VIEW_NAME`) of this sequence's `RawView`, for `_scanloop.Pass3`."""
        self._view.view_size = sizeof(RawView)
        self._view.rec_size = sizeof(RawRec)
        self._view.n = self.n
        self._view.recs = self.recs
        self._view.item = _seq_item
        self._view.text = _seq_text
        self._view.fold = _seq_fold
        return PyCapsule_New(&self._view, _VIEW_NAME, NULL)

    def flags(self):
        """(known, anchor, blocked): one byte per token each (for tests)."""
        cdef Py_ssize_t k
        return (bytes([self.recs[k].known for k in range(self.n)]),
                bytes([self.recs[k].anchor for k in range(self.n)]),
                bytes([self.recs[k].blocked for k in range(self.n)]))


def _trie_words(dict trie, set out):
    """Every word spelled in a phrase trie (its keys but None, at every depth)."""
    for key, node in trie.items():
        if key is not None:
            out.add(key)
            _trie_words(node, out)


cdef class RawScanner:
    """Passes 1 and 2 of one `Scanner`: `raw_scanner(text, folded)` -> `RawSeq`."""

    cdef WordTable table
    cdef object _raw_tok  # keeps `tp` alive
    cdef PyTypeObject* tp
    cdef object chunk_is_whole
    cdef str whole_any, whole_seps
    cdef Py_ssize_t whole_min
    cdef str whole_joins, whole_free

    def __init__(self, scanner, raw_tok, str whole_any, str whole_seps, Py_ssize_t whole_min,
                 str whole_joins, str whole_free):
        """`raw_tok`: the tuple subclass of the tokens (`numbers.RawTok`). A chunk of glued
        tokens is asked whether it is a date, time or phone number as a whole (the scanner's
        `_chunk_is_whole`) only with one of `whole_any`, two of one of `whole_seps`, or one of
        them in a chunk of `whole_min` characters or more, and besides one of `whole_free`
        anywhere or one of `whole_joins` between two decimal digits (what its regexes need)."""
        if not issubclass(raw_tok, tuple) or (<PyTypeObject*>raw_tok).tp_itemsize != sizeof(PyObject*):
            raise TypeError("raw_tok must be a tuple subclass")
        self.tp = <PyTypeObject*>raw_tok
        self._raw_tok = raw_tok
        flags = {}
        # no flag: the phrases' words (their strings are shared) and every word pass 3 asks
        # its tables about (`_scanloop.Pass3` indexes them by the records' table index)
        vocab = set()
        _trie_words(scanner._trie, vocab)
        for words in (scanner._num_words, scanner._fast_words, scanner.first_words,
                      scanner._exact_first_folded, scanner.lex.numbers.article_one):
            vocab.update(words)
        for words, bit in ((vocab, 0), (scanner.interesting, _F_INTERESTING), (scanner.anchors, _F_ANCHOR),
                           (scanner._known_syms, _F_KNOWN_SYM), (scanner.glue_ok, _F_GLUE_OK),
                           (scanner.lex.numbers.cardinals, _F_CARDINAL)):
            for w in words:
                if isinstance(w, str) and w:  # a token is never empty
                    flags[w] = flags.get(w, 0) | bit
        self.table = WordTable(flags)
        self.chunk_is_whole = scanner._chunk_is_whole
        self.whole_any, self.whole_seps, self.whole_min = whole_any, whole_seps, whole_min
        self.whole_joins, self.whole_free = whole_joins, whole_free

    def word_ids(self) -> tuple:
        """(word -> `RawRec.wid` for every word of the table, the table's size): what a
        reader of the records indexes its own per-word tables by."""
        return self.table.ids(), self.table.mask + 1

    def table_flags(self, str word) -> int:
        """The word table's flags of `word` (for tests)."""
        return self.table.flags(word)

    def __call__(self, str text, str folded):
        cdef Py_ssize_t n = len(text)
        cdef Py_ssize_t i = 0, a
        cdef Py_UCS4 c
        cdef RawRec* r
        cdef unsigned int fl
        cdef WordTable table = self.table
        cdef RawSeq seq = RawSeq.__new__(RawSeq)
        cdef unsigned int kind
        cdef void* data
        if len(folded) != n:
            raise ValueError("folded must be as long as text")
        PyUnicode_READY(text)  # (a legacy string gets its code units; any other: no-op)
        PyUnicode_READY(folded)
        # the text's code units read in place (`_at`)
        kind, data = PyUnicode_KIND(text), PyUnicode_DATA(text)
        seq.text, seq.folded, seq.table, seq.tp = text, folded, table, self.tp
        seq._raw_tok = self._raw_tok
        while True:
            while i < n and _space(_at(kind, data, i)):
                i += 1
            if i >= n:
                break
            a = i
            c = _at(kind, data, i)
            if _decimal(c):  # \d+(?:[.,]\d+)*
                i += 1
                while i < n and _decimal(_at(kind, data, i)):
                    i += 1
                while i + 1 < n and (_at(kind, data, i) == u"." or _at(kind, data, i) == u",") \
                        and _decimal(_at(kind, data, i + 1)):
                    i += 2
                    while i < n and _decimal(_at(kind, data, i)):
                        i += 1
                r = seq._add(KIND_NUM, a, i)
                r.known = 1
                seq.nums += 1
            elif _letter(c):  # [^\W\d_]+(?:'[^\W\d_]+)?
                i += 1
                while i < n and _letter(_at(kind, data, i)):
                    i += 1
                if i + 1 < n and _at(kind, data, i) == u"'" and _letter(_at(kind, data, i + 1)):
                    i += 2
                    while i < n and _letter(_at(kind, data, i)):
                        i += 1
                r = seq._add(KIND_WORD, a, i)
                r.wid = table._find(folded, a, i)
                if r.wid >= 0:
                    fl = table.entries[r.wid].flags
                    if fl & _F_INTERESTING:
                        r.known = 1
                        r.anchor = (fl & _F_ANCHOR) != 0
            else:
                if c == u"_":  # _+
                    i += 1
                    while i < n and _at(kind, data, i) == u"_":
                        i += 1
                elif i + 1 < n and _pair(c, _at(kind, data, i + 1)):
                    i += 2
                else:  # [^\w\s]: any other single mark
                    i += 1
                r = seq._add(KIND_SYM, a, i)
                r.wid = table._find(text, a, i)
                if r.wid >= 0 and table.entries[r.wid].flags & _F_KNOWN_SYM:
                    r.known = 1
        if seq.nums:
            self._block(seq)
        return seq

    # -- pass 2: `Scanner._block` over the records -----------------------------------
    cdef int _block(self, RawSeq seq) except -1:
        cdef Py_ssize_t n = seq.n, done = -1, i, j, k
        cdef RawRec* recs = seq.recs
        for k in range(n):
            if recs[k].kind != KIND_NUM or k < done:
                continue
            i = k
            while i > 0 and recs[i].start == recs[i - 1].end:
                i -= 1
            j = k + 1
            while j < n and recs[j].start == recs[j - 1].end:
                j += 1
            if j - i > 1:  # a lone digit run is never a date, time, phone number or code
                self._chunk(seq, i, j)
            done = j
        return 0

    cdef inline bint _has(self, RawRec* r, unsigned int flag):
        # the word's folded form is in the scanner's set `flag` stands for
        return r.wid >= 0 and (self.table.entries[r.wid].flags & flag) != 0

    cdef bint _may_be_whole(self, str text, Py_ssize_t a, Py_ssize_t b) noexcept:
        # text[a:b] holds one of `whole_free`, or one of `whole_joins` between two decimal digits
        cdef Py_ssize_t k
        cdef Py_UCS4 c
        for k in range(a, b):
            c = text[k]
            if c in self.whole_free:
                return True
            if (a < k < b - 1 and c in self.whole_joins and Py_UNICODE_ISDECIMAL(text[k - 1])
                    and Py_UNICODE_ISDECIMAL(text[k + 1])):
                return True
        return False

    cdef int _chunk(self, RawSeq seq, Py_ssize_t i, Py_ssize_t j) except -1:
        cdef RawRec* recs = seq.recs
        cdef str text = seq.text
        cdef Py_ssize_t a = recs[i].start, b = recs[j - 1].end, k, count
        cdef bint ask = False
        cdef Py_UCS4 c, ch
        cdef RawRec* r
        cdef RawRec* left
        cdef RawRec* right
        cdef RawRec* far
        for c in self.whole_any:
            for k in range(a, b):
                if text[k] == c:
                    ask = True
                    break
            if ask:
                break
        if not ask:
            for c in self.whole_seps:
                count = 0
                for k in range(a, b):
                    count += text[k] == c
                if count >= 2 or (count == 1 and b - a >= self.whole_min):
                    ask = True
                    break
        if ask and self._may_be_whole(text, a, b) and self.chunk_is_whole(text, seq, i, j):
            for k in range(i, j):
                if recs[k].kind == KIND_NUM:
                    seq.block(k)
            return 0
        for k in range(i, j):
            r = &recs[k]
            if r.kind != KIND_NUM:
                continue
            left = &recs[k - 1] if k > i else NULL
            right = &recs[k + 1] if k + 1 < j else NULL
            if left != NULL and left.kind == KIND_WORD:
                seq.block(k)  # "NE2", "UG3", "h15"
            elif right != NULL and right.kind == KIND_WORD and not self._has(right, _F_GLUE_OK):
                seq.block(k)  # "2NE", "3a"
            elif (_mark(text, left, True) and k - 2 >= i and recs[k - 2].kind == KIND_WORD
                  and not self._has(&recs[k - 2], _F_GLUE_OK)):
                seq.block(k)  # "AT-03", "ON.2"
            elif _mark(text, right, True) and k + 2 < j:
                far = &recs[k + 2]
                if (far.kind == KIND_WORD and not self._has(far, _F_GLUE_OK)
                        and not self._has(far, _F_CARDINAL)):
                    seq.block(k)  # "03-AT"
                elif _mark(text, left, False):
                    seq.block(k)
            elif _mark(text, left, False):
                seq.block(k)
        return 0


cdef inline bint _mark(str text, RawRec* r, bint joiner):
    # r is a one-character mark: one of "-./_" (`joiner`), else "_" itself
    cdef Py_UCS4 c
    if r == NULL or r.kind != KIND_SYM or r.end - r.start != 1:
        return False
    c = text[r.start]
    if joiner:
        return c == u"-" or c == u"." or c == u"/" or c == u"_"
    return c == u"_"

