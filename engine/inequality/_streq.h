/* Forced into every compiled grammar module (setup.py: gcc -include): string equality as
 * `str.__eq__` decides it.
 *
 * Cython 3.1+ compares two str objects that are not the same object with
 * PyUnicode_Compare, an ordering comparison (min-length memcmp, then lengths) behind a
 * library call. Comparisons such as `tok.type == "NUMBER"` are mostly unequal, so the
 * grammar's loops spent about 7% of their instructions there (callgrind, bench texts).
 * Cython defines each of its helpers below only when its `__Pyx_DEFINED_...` name is not
 * defined yet; this header defines the four equality ones (== and !=, as a truth value and
 * as a Python bool) first, with the same contracts: exact str objects are equal when their
 * length, kind and code units are (what CPython's own unicode_compare_eq checks); anything
 * else goes to PyUnicode_Compare as before. A Cython without these helper names never reads
 * them. tests/engine/inequality/test_streq.py checks the answers against Python's. */
#ifndef ENTREC_STREQ_H
#define ENTREC_STREQ_H
#include <Python.h>
#include <string.h>

/* 1 equal, 0 not, -1 error (an exception is set) */
static inline int entrec_str_equal(PyObject *s1, PyObject *s2) {
    if (PyUnicode_CheckExact(s1) && PyUnicode_CheckExact(s2)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(s1);
        int kind = PyUnicode_KIND(s1);
        if (n != PyUnicode_GET_LENGTH(s2) || kind != PyUnicode_KIND(s2))
            return 0;
        return memcmp(PyUnicode_DATA(s1), PyUnicode_DATA(s2), (size_t)n * (size_t)kind) == 0;
    }
    {
        int result = PyUnicode_Compare(s1, s2);
        if (result == -1 && PyErr_Occurred())
            return -1;
        return result == 0;
    }
}

#define __Pyx_DEFINED_PyObject_CompareStrStrBoolEq
static inline int __Pyx_PyObject_CompareStrStrBoolEq(PyObject *s1, PyObject *s2) {
    return entrec_str_equal(s1, s2);
}

#define __Pyx_DEFINED_PyObject_CompareStrStrBoolNe
static inline int __Pyx_PyObject_CompareStrStrBoolNe(PyObject *s1, PyObject *s2) {
    int r = entrec_str_equal(s1, s2);
    return r < 0 ? -1 : !r;
}

#define __Pyx_DEFINED_PyObject_CompareStrStrEq
static inline PyObject *__Pyx_PyObject_CompareStrStrEq(PyObject *s1, PyObject *s2) {
    int r = entrec_str_equal(s1, s2);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

#define __Pyx_DEFINED_PyObject_CompareStrStrNe
static inline PyObject *__Pyx_PyObject_CompareStrStrNe(PyObject *s1, PyObject *s2) {
    int r = entrec_str_equal(s1, s2);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(!r);
}
#endif
