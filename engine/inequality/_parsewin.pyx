# cython: language_level=3, boundscheck=False, wraparound=False
"""The parser's parse windows in C (compiled builds only).

Same result as `parser._windows_py`, which stays the reference and the fallback: the windows
of a token-type code string (runs between OTHER codes) that hold a NUMBER, and the positions
of every start code, in one pass over the string instead of a `find`, an `rfind` and a regex
search per window. `tests/engine/inequality/test_compiled.py` checks both agree.
"""


def windows(str code, str other, str number, str starts):
    """(windows, start positions): `windows` lists (first, end, last number) of each run of
    codes between `other` codes that holds a `number` code, in order; `start positions`
    lists, in order, every position holding a code of `starts`."""
    cdef Py_ssize_t n = len(code), k, first = 0, last = -1
    cdef Py_UCS4 c, o = other, num = number
    cdef list spans = [], at = []
    for k in range(n):
        c = code[k]
        if c == o:
            if last >= 0:
                spans.append((first, k, last))
            first = k + 1
            last = -1
            continue
        if c == num:
            last = k
        if c in starts:
            at.append(k)
    if last >= 0:
        spans.append((first, n, last))
    return spans, at
