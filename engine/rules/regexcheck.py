"""Regexes in rule files: compiled with RE2, capture groups stripped, token regexes checked.

`regex:` rules run on RE2 (linear time). A capture group buys nothing there (only match
bounds are used) but costs a lot: RE2 must track every group, and a valid regex with 1,000
nested groups took 61 s on 10 KB; without them the same regex takes 13 ms. So groups are
rewritten to non-capturing ones before compiling.

Token-pattern `REGEX` predicates ({"TEXT": {"REGEX": ...}} and the compact `/.../`) are
compiled with RE2 too, and anything RE2 rejects is `regex-invalid`, with one exception the
default packs use: a leading guard of literal words, `^(?!(?:The|At|In)$)REST`, which means
"not one of these words, and REST" and is evaluable in linear time (`split_guard`). Until
token regexes are evaluated with RE2 everywhere, a regex with nested unbounded repetition
(`(x+x+)+y`, exponential under Python's backtracking `re`) is refused as `regex-backtracking`.
"""
from __future__ import annotations

import re
import warnings
import re2

from ..errors import EntrecError

__all__ = ["RegexProblem", "strip_captures", "compile_re2", "check_token_regex", "split_guard",
           "MAX_REGEX_CHARS", "RE2_HINT"]

#: longest regex accepted (the default packs' longest is ~600 characters)
MAX_REGEX_CHARS = 10_000
RE2_HINT = ("RE2 has no backreferences or lookaround (it guarantees linear time);"
            " see https://github.com/google/re2/wiki/Syntax")
_SURROGATE = re.compile("[\ud800-\udfff]")
_GUARD = re.compile(r"\^\(\?!\(\?:((?:[^()\\\[\]{}.*+?$^|]+\|)*[^()\\\[\]{}.*+?$^|]+)\)\$\)(.*)", re.S)


class RegexProblem(EntrecError):
    """Why a regex is refused; `fragment` is the part of the pattern to point at, if known.

    Internal to rule loading: always reported as a located diagnostic."""

    code = "regex-invalid"

    def __init__(self, message: str, fragment: str = "", code: str | None = None, hint: str | None = None):
        super().__init__(message, code=code, hint=hint)
        self.fragment = fragment

    def __str__(self) -> str:
        return self.message


def _options(case_sensitive: bool) -> "re2.Options":
    opts = re2.Options()
    opts.log_errors = False
    opts.case_sensitive = case_sensitive
    return opts


def strip_captures(pattern: str) -> str:
    """`pattern` with every capturing group `(`, `(?P<n>`, `(?<n>` turned into `(?:`.

    Escapes, character classes (with `[:alpha:]` inside) and RE2's `\\Q...\\E` are copied
    as they are; lookaround and other `(?` forms are left alone.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\Q", i) and not in_class:
                end = pattern.find("\\E", i + 2)
                end = n if end < 0 else end + 2
                out.append(pattern[i:end])
                i = end
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end >= 0:
                    out.append(pattern[i:end + 2])
                    i = end + 2
                    continue
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1
            if pattern.startswith("^", j):
                j += 1
            if pattern.startswith("]", j):  # a leading ] is literal
                j += 1
            out.append(pattern[i:j])
            i = j
            continue
        if c == "(":
            if pattern.startswith("(?P<", i) or (pattern.startswith("(?<", i)
                                                 and not pattern.startswith(("(?<=", "(?<!"), i)):
                end = pattern.find(">", i)
                if end >= 0:
                    out.append("(?:")
                    i = end + 1
                    continue
            if not pattern.startswith("(?", i) and not pattern.startswith("(*", i):
                out.append("(?:")
                i += 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _re2_message(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


def compile_re2(pattern: str, *, case_sensitive: bool = True):
    """RE2-compile `pattern` without capture groups; `RegexProblem` if RE2 refuses it."""
    if not isinstance(pattern, str):
        raise RegexProblem(f"a regex must be a string, got {type(pattern).__name__}")
    if len(pattern) > MAX_REGEX_CHARS:
        raise RegexProblem(f"regex has {len(pattern):,} characters (limit {MAX_REGEX_CHARS:,})",
                           hint="split it into several rules")
    m = _SURROGATE.search(pattern)
    if m:
        raise RegexProblem(f"lone surrogate U+{ord(m.group()):04X} in the regex", m.group())
    opts = _options(case_sensitive)
    try:
        return re2.compile(strip_captures(pattern), opts)
    except re2.error as exc:
        message = _re2_message(exc)
        try:  # report the error as the analyst wrote it
            re2.compile(pattern, opts)
        except re2.error as exc2:
            message = _re2_message(exc2)
        except Exception:  # noqa: BLE001 - keep the first message
            pass
        frag = message.rsplit(": ", 1)[-1] if ": " in message else ""
        raise RegexProblem(f"invalid RE2 regex: {message}", frag, hint=RE2_HINT) from None
    except (TypeError, ValueError, OverflowError, MemoryError) as exc:
        raise RegexProblem(f"invalid RE2 regex: {exc}", hint=RE2_HINT) from None


def split_guard(pattern: str) -> tuple[frozenset[str], str] | None:
    """`^(?!(?:A|B)$)REST` -> ({"A", "B"}, "^REST"); None for any other shape."""
    m = _GUARD.fullmatch(pattern)
    if not m:
        return None
    return frozenset(m.group(1).split("|")), "^" + m.group(2)


def _unbounded(max_repeat: int) -> bool:
    return max_repeat == re._parser.MAXREPEAT or max_repeat > 64


def _children(op, av) -> list:
    parser = re._parser
    if op in (parser.MAX_REPEAT, parser.MIN_REPEAT, getattr(parser, "POSSESSIVE_REPEAT", None)):
        return [av[2]]
    if op == parser.SUBPATTERN:
        return [av[-1]]
    if op == parser.BRANCH:
        return list(av[1])
    if op in (parser.ASSERT, parser.ASSERT_NOT):
        return [av[1]]
    if op == getattr(parser, "ATOMIC_GROUP", None):
        return [av]
    return []


def _is_repeat(op) -> bool:
    parser = re._parser
    return op in (parser.MAX_REPEAT, parser.MIN_REPEAT)


def _contains_unbounded(items) -> bool:
    for op, av in items:
        if _is_repeat(op) and _unbounded(av[1]):
            return True
        if any(_contains_unbounded(sub) for sub in _children(op, av)):
            return True
    return False


def _nested_repeat(items) -> bool:
    """Whether an unbounded repetition holds another one (star height 2: `(x+)+`)."""
    for op, av in items:
        if _is_repeat(op) and _unbounded(av[1]) and _contains_unbounded(av[2]):
            return True
        if any(_nested_repeat(sub) for sub in _children(op, av)):
            return True
    return False


def check_token_regex(pattern: object) -> None:
    """Raise `RegexProblem` unless `pattern` is a token regex safe to run."""
    if not isinstance(pattern, str):
        raise RegexProblem(f"REGEX must be a string, got {type(pattern).__name__}",
                           hint='e.g. {"TEXT": {"REGEX": "^C\\\\d$"}}')
    guard = split_guard(pattern)
    compile_re2(guard[1] if guard else pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = re._parser.parse(pattern)
    except re.error as exc:
        frag = pattern[exc.pos:exc.pos + 3] if exc.pos is not None else ""
        raise RegexProblem(f"invalid token regex: {exc.msg}", frag) from None
    except RecursionError:
        raise RegexProblem("invalid token regex: groups nested too deeply") from None
    except (OverflowError, ValueError, TypeError) as exc:
        raise RegexProblem(f"invalid token regex: {exc}") from None
    if _nested_repeat(list(parsed)):
        raise RegexProblem("token regex may take exponential time: unbounded repetition inside "
                           "unbounded repetition", code="regex-backtracking",
                           hint="rewrite without nesting + or * inside a repeated group, "
                                "e.g. (x+x+)+y -> xx+y")
