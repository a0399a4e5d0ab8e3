# cython: language_level=3, boundscheck=False, wraparound=False
"""The extractor's early-out tests in C (compiled builds only).

A text is scanned only when an inequality could start in it: a decimal digit or a comparator
symbol (`has_trigger`), else a number word (`has_word`). Same answers as the regexes in
`extractor.py` (`_TRIGGER.search`; `_WORDS.findall` against the number words), which stay
the reference and the fallback; `tests/engine/inequality/test_compiled.py` checks both
agree. Most sentences hold no digit, and the regex path made a list of every word first.
"""
from cpython.unicode cimport Py_UNICODE_ISALNUM, Py_UNICODE_ISDECIMAL


cdef extern from "Python.h":
    unsigned int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_UCS4 PyUnicode_READ(unsigned int, void*, Py_ssize_t)
    int PyUnicode_READY(object) except -1


def has_trigger(str text) -> bool:
    """`extractor._TRIGGER.search(text) is not None`: a decimal digit or a comparator symbol
    (< > = ≤ ≥ ≠ ⩽ ⩾) anywhere in `text`, without the regex engine."""
    cdef Py_UCS4 c
    for c in text:
        if c < 128:
            if (c >= u"0" and c <= u"9") or c == u"<" or c == u">" or c == u"=":
                return True
        elif c == u"≤" or c == u"≥" or c == u"≠" or c == u"⩽" or c == u"⩾" or Py_UNICODE_ISDECIMAL(c):
            return True
    return False


cdef inline bint _letter(Py_UCS4 c) noexcept:
    # the class `[^\W\d_]` of a str pattern: a word character (alphanumeric or "_", as the
    # regex engine's `\w`) that is neither a decimal digit (`\d`) nor "_"
    if c < 128:
        return (c >= u"a" and c <= u"z") or (c >= u"A" and c <= u"Z")
    return Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c)


def has_word(str text, frozenset words, Py_ssize_t longest) -> bool:
    """`not words.isdisjoint(re.findall(r"[^\\W\\d_]+", text))` for `words` none longer than
    `longest`: a run of letters (as the regex reads them, maximal) that is one of `words`.
    Only runs short enough to be one are sliced."""
    PyUnicode_READY(text)
    cdef unsigned int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_ssize_t n = len(text), i = 0, start
    while i < n:
        if not _letter(PyUnicode_READ(kind, data, i)):
            i += 1
            continue
        start = i
        i += 1
        while i < n and _letter(PyUnicode_READ(kind, data, i)):
            i += 1
        if i - start <= longest and text[start:i] in words:
            return True
    return False
