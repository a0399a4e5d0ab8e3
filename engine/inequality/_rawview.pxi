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
