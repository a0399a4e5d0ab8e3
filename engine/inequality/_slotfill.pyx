# cython: language_level=3, boundscheck=False, wraparound=False
"""Instances of a slots dataclass built by filling their slots (compiled builds only).

Why: a frozen dataclass's generated `__init__` stores each field through
`object.__setattr__`, a Python-level call per field; a `Candidate` costs about 1 µs that way,
more than the grammar spends reading most numbers. `SlotFiller(cls)` builds the same
instance as `cls(*values)` does: the type's own allocation, each field's slot set, then
`__post_init__` when the class has one (so its checks still run and still raise). It
accepts only what makes that exact (see `fillable`); the callers keep calling the class
otherwise. `slot_offsets(cls)` gives typed loops (`_refineloop`) the same slots to read and
write; `SlotCodes` reads one slot of each object into a code string (the parser's token
types). `tests/engine/inequality/test_slotfill.py` checks instances, errors, codes and
reference counts against the class itself.
"""
import dataclasses

from cpython.object cimport PyObject, PyTypeObject
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.ref cimport Py_DECREF, Py_INCREF


cdef extern from "Python.h":
    # what this module reads of CPython's type and member-descriptor structs (Cython's own
    # declarations lack these fields)
    ctypedef PyObject* (*allocfunc)(PyTypeObject*, Py_ssize_t) except NULL
    ctypedef struct _AllocType "PyTypeObject":
        allocfunc tp_alloc
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member


cdef extern from "structmember.h":
    ctypedef struct PyMemberDef:
        Py_ssize_t offset
        int type
    int T_OBJECT_EX

DEF _MAX_FIELDS = 32


def fillable(cls) -> str | None:
    """None when `SlotFiller(cls)` builds what `cls(*values)` builds, else why not."""
    if not dataclasses.is_dataclass(cls) or type(cls) is not type:
        return "not a dataclass class"
    if cls.__dictoffset__ != 0:
        return "instances have a __dict__ (no slots)"
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        return "a field is not set by __init__"
    # the generated __init__ is compiled from a string and takes exactly the fields, in
    # order (a class's own __init__ has a file; an InitVar adds a parameter)
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    names = tuple(f.name for f in fields)
    if code is None or code.co_filename != "<string>" or code.co_argcount != len(names) + 1 \
            or code.co_kwonlyargcount or code.co_varnames[1:len(names) + 1] != names:
        return "__init__ is not the dataclass-generated one"
    if len(fields) > _MAX_FIELDS:
        return f"more than {_MAX_FIELDS} fields"
    if any(isinstance(v, dataclasses.InitVar) for v in cls.__dict__.get("__annotations__", {}).values()):
        return "an InitVar"
    for f in fields:
        descr = cls.__dict__.get(f.name)
        if type(descr).__name__ != "member_descriptor" \
                or (<PyMemberDescrObject*>descr).d_member.type != T_OBJECT_EX:
            return f"field {f.name!r} has no object slot"
    return None


cdef inline void _put(PyObject* obj, Py_ssize_t offset, object value) noexcept:
    # a fresh instance's slot (NULL): stores a new reference
    Py_INCREF(value)
    (<PyObject**>(<char*>obj + offset))[0] = <PyObject*>value


cdef class SlotFiller:
    """`SlotFiller(cls)(*values)` == `cls(*values)` with every field given, in field order."""

    cdef PyTypeObject* tp
    cdef object cls, post_init
    cdef Py_ssize_t nfields
    cdef Py_ssize_t offsets[_MAX_FIELDS]

    def __init__(self, cls):
        why = fillable(cls)
        if why is not None:
            raise TypeError(f"{cls!r}: cannot fill its slots: {why}")
        self.cls = cls  # keeps the type alive while `tp` points at it
        self.tp = <PyTypeObject*>cls
        fields = dataclasses.fields(cls)
        self.nfields = len(fields)
        for k, f in enumerate(fields):
            self.offsets[k] = (<PyMemberDescrObject*>cls.__dict__[f.name]).d_member.offset
        self.post_init = getattr(cls, "__post_init__", None)

    def __call__(self, *values):
        cdef Py_ssize_t k, n = len(values)
        if n != self.nfields:
            raise TypeError(f"{self.cls.__name__}: {self.nfields} values expected, got {n}")
        cdef PyObject* t = (<_AllocType*>self.tp).tp_alloc(self.tp, 0)
        obj = <object>t  # a second reference: released here, `obj` keeps the first
        Py_DECREF(obj)
        for k in range(n):
            _put(t, self.offsets[k], values[k])
        if self.post_init is not None:
            self.post_init(obj)
        return obj


def slot_offsets(cls) -> dict[str, int]:
    """{field: byte offset of its slot in an instance} of a class `SlotFiller` accepts (for
    loops that read and write those slots directly); TypeError for any other class."""
    why = fillable(cls)
    if why is not None:
        raise TypeError(f"{cls!r}: no slots to read: {why}")
    return {f.name: (<PyMemberDescrObject*>cls.__dict__[f.name]).d_member.offset
            for f in dataclasses.fields(cls)}


cdef extern from "Python.h":
    # the dict's version: CPython gives a dict a new one on every change (PEP 509)
    ctypedef struct _VersionedDict "PyDictObject":
        unsigned long long ma_version_tag
    object PyUnicode_DecodeASCII(const char* s, Py_ssize_t size, const char* errors)


cdef enum:
    # how many (value, code) pairs a `SlotCodes` remembers between calls (the parser's
    # token types are about twenty strings)
    _KEEP = 48


cdef class SlotCodes:
    """`SlotCodes(cls, field)(objs, codes, default)` ==
    `"".join([codes.get(o.<field>, default) for o in objs])` for a list of `cls` instances
    whose codes are one character each (the parser's token-type string): the slot read
    directly, one string built. Objects of another class are read by attribute.

    The codes of exact `str` values are remembered between calls, by identity, while `codes`
    is the same dict unchanged (its PEP 509 version), all its keys exact `str`s (so a look-up
    runs no Python code and gives the same answer every time), and `default` the same
    object; each remembered value is held (a reference), so its address cannot be reused
    meanwhile."""

    cdef object cls
    cdef str field
    cdef Py_ssize_t offset
    cdef object kept_codes, kept_default  # what the remembered codes were looked up in
    cdef unsigned long long kept_version
    cdef bint keepable  # every key of `kept_codes` is an exact str
    cdef PyObject* kept_values[_KEEP]  # (references held)
    cdef unsigned char kept_chars[_KEEP]
    cdef Py_ssize_t kept

    def __init__(self, cls, str field):
        self.offset = slot_offsets(cls)[field]
        self.cls = cls
        self.field = field

    def __dealloc__(self):
        self._forget()

    cdef void _forget(self) noexcept:
        cdef Py_ssize_t j
        for j in range(self.kept):
            Py_DECREF(<object>self.kept_values[j])
        self.kept = 0

    def __call__(self, list objs, dict codes, str default):
        cdef Py_ssize_t n = len(objs)
        cdef char small[128]
        cdef char* buf = small
        if codes is not self.kept_codes or default is not self.kept_default:
            self._forget()
            self.kept_codes, self.kept_default = codes, default
            self.kept_version = 0  # (never a dict's version: checked again below)
        if n > 128:
            buf = <char*>PyMem_Malloc(n)
            if buf == NULL:
                raise MemoryError()
        try:
            return self._codes(objs, n, codes, default, buf)
        finally:
            if buf != small:
                PyMem_Free(buf)

    cdef object _codes(self, list objs, Py_ssize_t n, dict codes, str default, char* buf):
        cdef Py_ssize_t k, j
        cdef PyObject* v
        cdef list parts = None
        cdef bint found
        for k in range(n):
            o = objs[k]
            if type(o) is self.cls:
                v = (<PyObject**>(<char*><PyObject*>o + self.offset))[0]
                value = getattr(o, self.field) if v == NULL else <object>v
            else:
                value = getattr(o, self.field)  # (may run code: the version is read after it)
            if (<_VersionedDict*><PyObject*>codes).ma_version_tag != self.kept_version:
                self._forget()
                self.kept_version = (<_VersionedDict*><PyObject*>codes).ma_version_tag
                self.keepable = all(type(key) is str for key in codes)
            if parts is None:
                found = False
                for j in range(self.kept):
                    if self.kept_values[j] == <PyObject*>value:
                        buf[k] = self.kept_chars[j]
                        found = True
                        break
                if found:
                    continue
            code = codes.get(value, default)
            if parts is None and (type(code) is not str or len(<str>code) != 1
                                  or ord(<str>code) > 127):
                parts = [chr(buf[j]) for j in range(k)]  # not one ASCII character: general path
            if parts is not None:
                parts.append(code)
                continue
            buf[k] = ord(<str>code)
            if self.keepable and type(value) is str and self.kept < _KEEP:
                # (an exact str looked up among exact str keys: no code ran, `codes` is as
                # it was when its version was read)
                Py_INCREF(value)
                self.kept_values[self.kept] = <PyObject*>value
                self.kept_chars[self.kept] = ord(<str>code)
                self.kept += 1
        if parts is not None:
            return "".join(parts)
        return PyUnicode_DecodeASCII(buf, n, NULL)


# -- the build's string equality (`_streq.h`, forced into every compiled module) ------------

cdef extern from *:
    """
    #ifdef ENTREC_STREQ_H
    #define ENTREC_FORCED_STREQ 1
    #else
    #define ENTREC_FORCED_STREQ 0
    #endif
    """
    int ENTREC_FORCED_STREQ


def forced_streq() -> bool:
    """Was this module compiled with `_streq.h`? (setup.py gives every module the same flags.)"""
    return ENTREC_FORCED_STREQ == 1


def str_compare(a, str b) -> tuple:
    """(a == b, a != b) as compiled code runs them, as values and as conditions (each has
    its own helper in `_streq.h`), for its tests."""
    return (a == b, a != b, True if a == b else False, True if a != b else False)


def str_compare_typed(str a, str b) -> tuple:
    """`str_compare` for two values typed `str`."""
    return (a == b, a != b, True if a == b else False, True if a != b else False)
