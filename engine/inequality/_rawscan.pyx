# cython: language_level=3, boundscheck=False, wraparound=False
"""The scanner's pass 1 as a C loop over the text's code points (compiled builds only).

Same result as `scanner._raw_pass_py`, which stays the reference and the fallback: that one
tiles the text with one `findall` of `_RAW_ALL`; this one reads the same token classes with
the predicates Python's `re` uses for them (`\\s` Py_UNICODE_ISSPACE, `\\d`
Py_UNICODE_ISDECIMAL, `\\w` Py_UNICODE_ISALNUM or "_"), so no regex runs and no tuple of
five groups is built per token. `tests/engine/inequality/test_compiled.py` checks both agree.
"""
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_DECREF, Py_INCREF
from cpython.unicode cimport Py_UNICODE_ISALNUM, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE


cdef extern from "Python.h":
    # the one slot of PyTypeObject this module needs (Cython's own declaration lacks it)
    ctypedef PyObject* (*allocfunc)(PyTypeObject*, Py_ssize_t) except NULL
    ctypedef struct _AllocType "PyTypeObject":
        allocfunc tp_alloc
    void PyTuple_SET_ITEM(PyObject* p, Py_ssize_t pos, PyObject* o)

cdef tuple _PAIRS = ("<=", ">=", "=<", "=>", "<>", "!=", "==", "''")

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


def raw_pass(str text, str folded, frozenset interesting, frozenset anchors,
             frozenset known_syms, raw_tok):
    """(raws, nums, word_anchors, known) for `Scanner.scan` (see `_raw_pass_py`)."""
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t i = 0, a
    cdef Py_UCS4 c
    cdef list raws = []
    cdef list nums = []
    cdef list word_anchors = []
    cdef bytearray known = bytearray()
    cdef PyTypeObject* tp = <PyTypeObject*>raw_tok
    if not issubclass(raw_tok, tuple) or tp.tp_itemsize != sizeof(PyObject*):
        raise TypeError("raw_tok must be a tuple subclass")
    while True:
        while i < n and _space(text[i]):
            i += 1
        if i >= n:
            break
        a = i
        c = text[i]
        if _decimal(c):  # \d+(?:[.,]\d+)*
            i += 1
            while i < n and _decimal(text[i]):
                i += 1
            while i + 1 < n and (text[i] == u"." or text[i] == u",") and _decimal(text[i + 1]):
                i += 2
                while i < n and _decimal(text[i]):
                    i += 1
            s = text[a:i]
            nums.append(len(raws))
            known.append(1)
            raws.append(_raw(tp, "num", a, i, s, s))
        elif _letter(c):  # [^\W\d_]+(?:'[^\W\d_]+)?
            i += 1
            while i < n and _letter(text[i]):
                i += 1
            if i + 1 < n and text[i] == u"'" and _letter(text[i + 1]):
                i += 2
                while i < n and _letter(text[i]):
                    i += 1
            w = text[a:i]
            f = folded[a:i]
            if f in interesting:
                known.append(1)
                if f in anchors:
                    word_anchors.append(len(raws))
            else:
                known.append(0)
            raws.append(_raw(tp, "word", a, i, w, f))
        else:
            if c == u"_":  # _+
                i += 1
                while i < n and text[i] == u"_":
                    i += 1
            elif i + 1 < n and text[a:a + 2] in _PAIRS:
                i += 2
            else:  # [^\w\s]: any other single mark
                i += 1
            y = text[a:i]
            known.append(y in known_syms)
            raws.append(_raw(tp, "sym", a, i, y, y))
    return raws, nums, word_anchors, known


def has_trigger(str text) -> bool:
    """`extractor._TRIGGER.search(text) is not None`: a decimal digit or a comparator symbol
    (< > = ≤ ≥ ≠ ⩽ ⩾) anywhere in `text`, without the regex engine."""
    cdef Py_UCS4 c
    for c in text:
        if c < 128:
            if _ASCII[c] & _DECIMAL or c == u"<" or c == u">" or c == u"=":
                return True
        elif c == u"≤" or c == u"≥" or c == u"≠" or c == u"⩽" or c == u"⩾" or Py_UNICODE_ISDECIMAL(c):
            return True
    return False
