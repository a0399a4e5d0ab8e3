# The raw token records `_rawscan.RawSeq` holds and `_scanloop.Pass3` reads, included by both
# (`include "_rawview.pxi"`). The build records this file's hash with each includer's
# (`_compiled.NATIVE_INCLUDES`), so an edit here makes both stale together.

cdef enum:
    KIND_WORD = 0
    KIND_NUM = 1
    KIND_SYM = 2

cdef struct RawRec:
    Py_ssize_t start
    Py_ssize_t end
    Py_ssize_t wid  # the token's entry in the word table, or -1
    unsigned char kind  # KIND_*
    unsigned char known  # the lexicon may make it something other than OTHER
    unsigned char anchor  # a number word (pass 3 looks at the tokens around it)
    unsigned char blocked  # a digit run that is not a quantity (pass 2)

ctypedef object (*ItemFn)(object seq, Py_ssize_t i)

cdef struct RawView:
    Py_ssize_t view_size  # sizeof(RawView)
    Py_ssize_t rec_size  # sizeof(RawRec)
    Py_ssize_t n
    RawRec* recs
    ItemFn item  # seq[i]: the RawTok, made on first read
    ItemFn text  # seq[i].text, without making the RawTok
    ItemFn fold  # seq[i].f, without making the RawTok

#: the capsule name of a `RawSeq.view` (the layout's version is part of it)
VIEW_NAME = b"entrec.engine.inequality._rawscan.RawView.v1"
cdef bytes _VIEW_NAME = VIEW_NAME


def layout():
    """Sizes and field offsets of `RawRec` and `RawView` as this module was compiled:
    `Pass3` compares its own with `_rawscan`'s and refuses a build where they differ."""
    cdef RawRec r
    cdef RawView v
    cdef size_t base = <size_t>&r, vbase = <size_t>&v
    return (sizeof(RawRec), <size_t>&r.start - base, <size_t>&r.end - base, <size_t>&r.wid - base,
            <size_t>&r.kind - base, <size_t>&r.known - base, <size_t>&r.anchor - base,
            <size_t>&r.blocked - base, sizeof(RawView), <size_t>&v.view_size - vbase,
            <size_t>&v.rec_size - vbase, <size_t>&v.n - vbase, <size_t>&v.recs - vbase,
            <size_t>&v.item - vbase, <size_t>&v.text - vbase, <size_t>&v.fold - vbase,
            KIND_WORD, KIND_NUM, KIND_SYM, VIEW_NAME)
