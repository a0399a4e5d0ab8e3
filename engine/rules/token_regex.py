"""Token-pattern `REGEX` predicates, written in Python `re` syntax, run by RE2.

spaCy's Matcher runs `{"TEXT": {"REGEX": ...}}` with Python `re`, which backtracks: an
analyst's `(x+x+)+y` takes exponential time on a long token. We translate the pattern to
RE2 (linear time) with the *same* meaning on a token's text:

- `\\w \\d \\s` (and negations) keep Python's Unicode meaning (RE2's are ASCII-only);
- `$` keeps Python's "end, or before a final newline"; `\\Z` is RE2's `\\z`;
- capture groups become non-capturing (nothing reads them; RE2 is faster without);
- leading lookaheads `^(?!X)Y` / `^(?=X)Y`, the one lookaround the packs use ("a Title-case
  word that is not As/Os/Na..."), become a conjunction of RE2 tests anchored at the start,
  which is exactly what a lookahead at position 0 means.

Anything RE2 cannot express (other lookarounds, backreferences, `\\b` with Python's Unicode
meaning) is rejected at load time with `TokenRegexError`, never silently changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import re2

__all__ = ["TokenRegex", "TokenRegexError", "compile_token_regex", "translate", "relax_counts"]

# Python's Unicode \s: str.isspace() characters
_SPACE_CHARS = r"\t\n\x{0b}\f\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_WORD_CHARS = r"\p{L}\p{N}_"
_DIGIT_CHARS = r"\p{Nd}"

_OUTSIDE = {
    "w": f"[{_WORD_CHARS}]", "W": f"[^{_WORD_CHARS}]",
    "d": _DIGIT_CHARS, "D": r"\P{Nd}",
    "s": f"[{_SPACE_CHARS}]", "S": f"[^{_SPACE_CHARS}]",
    "Z": r"\z",
}
_INSIDE = {"w": _WORD_CHARS, "d": _DIGIT_CHARS, "s": _SPACE_CHARS}


class TokenRegexError(ValueError):
    """A token regex RE2 cannot run with Python's meaning; `column` is 0-based."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.message = message
        self.column = column


def _options() -> re2.Options:
    opts = re2.Options()
    opts.log_errors = False
    return opts


def _outside_classes(src: str, start: int = 0):
    """(index, char, depth) of every unescaped character outside `[...]` classes, from
    `start`; depth counts open groups (after a '(' is opened, after a ')' is closed)."""
    depth = 0
    i, n = start, len(src)
    in_class = False
    while i < n:
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            if i + 1 < n and src[i + 1] == "^":
                i += 1
            if i + 1 < n and src[i + 1] == "]":
                i += 1
        else:
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            yield i, c, depth
        i += 1


def _group_end(src: str, start: int) -> int:
    """Index just past the ')' closing the group opened at src[start] == '('."""
    for i, c, depth in _outside_classes(src, start):
        if c == ")" and depth == 0:
            return i + 1
    raise TokenRegexError("unbalanced parenthesis", start)


def translate(src: str, offset: int = 0) -> str:
    """Rewrite Python-`re` syntax without lookarounds into RE2 syntax (see module doc)."""
    out: list[str] = []
    i, n = 0, len(src)
    in_class = False
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 >= n:
                raise TokenRegexError("pattern ends with a backslash", offset + i)
            e = src[i + 1]
            if in_class:
                if e in _INSIDE:
                    out.append(_INSIDE[e])
                elif e in "WDS":
                    raise TokenRegexError(f"\\{e} inside [...] is not supported; write the class out", offset + i)
                elif e == "b":
                    out.append(r"\x08")
                else:
                    out.append(_escape(src, i, offset))
            elif e in _OUTSIDE:
                out.append(_OUTSIDE[e])
            elif e in "bB":
                raise TokenRegexError(f"\\{e} (word boundary) is not supported in token regexes: a token "
                                      "regex sees one token, anchor it with ^ and $ instead", offset + i)
            elif e.isdigit() and e != "0":
                raise TokenRegexError("backreferences are not supported (RE2 runs in linear time)", offset + i)
            else:
                out.append(_escape(src, i, offset))
            i += 2 if e not in "uUx" else len(_escape_src(src, i))
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[" and i + 1 < n and src[i + 1] == ":":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and src[i] == "^":
                out.append("^")
                i += 1
            if i < n and src[i] == "]":  # a leading ']' is literal in Python
                out.append("\\]")
                i += 1
            continue
        if c == "(":
            if src.startswith("(?P<", i) or (src.startswith("(?<", i) and not src.startswith(("(?<=", "(?<!"), i)):
                close = src.find(">", i)
                if close < 0:
                    raise TokenRegexError("unterminated group name", offset + i)
                out.append("(?:")
                i = close + 1
                continue
            if src.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
                raise TokenRegexError("lookaround is only supported as a leading ^(?!...) or ^(?=...)"
                                      " (RE2 runs in linear time)", offset + i)
            if src.startswith("(?P=", i):
                raise TokenRegexError("backreferences are not supported (RE2 runs in linear time)", offset + i)
            if src.startswith("(?#", i):
                end = src.find(")", i)
                i = n if end < 0 else end + 1
                continue
            if not src.startswith("(?", i):
                out.append("(?:")
                i += 1
                continue
        if c == "$":
            out.append(r"(?:\n?\z)")
            i += 1
            continue
        if c == "{" and src.startswith("{,", i):
            close = src.find("}", i)
            if close > 0 and src[i + 2:close].isdigit():
                out.append("{0," + src[i + 2:close] + "}")
                i = close + 1
                continue
        out.append(c)
        i += 1
    if in_class:
        raise TokenRegexError("unterminated character set [...]", offset + n)
    return "".join(out)


def _escape_src(src: str, i: int) -> str:
    e = src[i + 1]
    width = {"x": 2, "u": 4, "U": 8}.get(e)
    if width is None:
        return src[i:i + 2]
    return src[i:i + 2 + width]


def _escape(src: str, i: int, offset: int) -> str:
    s = _escape_src(src, i)
    e = s[1]
    if e in "xuU":
        digits = s[2:]
        width = {"x": 2, "u": 4, "U": 8}[e]
        if len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise TokenRegexError(f"incomplete escape {s}", offset + i)
        return "\\x{" + digits + "}"
    return s


class _LazyRE2:
    """An RE2 regex compiled on first use, behind a cheap prefilter.

    Why: RE2 expands a counted repetition into copies of its operand, and a Unicode class
    is large, so `[\\w]{1,30}(?:-[\\w]{1,30}){1,4}` took 85 ms to compile: a third of
    the default engine's start-up, for a token regex most texts never need. The prefilter
    is the same regex with every count `{n,m}` relaxed to `+` or `*` (a superset of what the
    regex matches, compiled in about a millisecond): when it finds nothing, neither can the
    regex, which is compiled only when the prefilter first says yes. Only for regexes the
    loader has already compiled once (so a bad one is still reported at load time)."""

    __slots__ = ("pattern", "prefilter", "_rx")

    def __init__(self, pattern: str, prefilter: object):
        self.pattern = pattern
        self.prefilter = prefilter
        self._rx: object | None = None

    def compiled(self) -> object:
        if self._rx is None:
            self._rx = re2.compile(self.pattern, _options())
        return self._rx

    def search(self, text: str) -> object:
        if self.prefilter.search(text) is None:
            return None
        return self.compiled().search(text)

    def match(self, text: str) -> object:
        if self.prefilter.match(text) is None:
            return None
        return self.compiled().match(text)


_COUNT = re.compile(r"\{(\d+)(?:,\d*)?\}")


def relax_counts(pattern: str) -> str | None:
    """`pattern` (RE2 syntax) with every counted repetition `{n}`, `{n,}`, `{n,m}` outside
    character classes replaced by `+` (`*` when n is 0): a regex matching a superset of
    what `pattern` matches (None when it has no count, or uses POSIX classes)."""
    if "[:" in pattern:
        return None
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = changed = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            j = i + 2
            if j < n and pattern[i + 1] in "pPx" and pattern[j] == "{":
                k = pattern.find("}", j)
                j = n if k < 0 else k + 1
            out.append(pattern[i:j])
            i = j
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            j = i + 1
            if pattern.startswith("^", j):
                j += 1
            if pattern.startswith("]", j):  # a "]" first in a class is a literal
                j += 1
            out.append(pattern[i:j])
            i = j
            continue
        m = _COUNT.match(pattern, i) if c == "{" else None
        if m is not None:  # at least one copy stays required: X{2,5} -> X+, X{0,5} -> X*
            out.append("+" if int(m.group(1)) > 0 else "*")
            i = m.end()
            changed = True
            continue
        out.append(c)
        i += 1
    return "".join(out) if changed else None


@dataclass(frozen=True)
class TokenRegex:
    """`search(text)` with Python-`re` meaning, run by RE2: `body` must match and every
    leading lookahead must (`require`) or must not (`forbid`) match at position 0."""

    source: str
    body: object
    require: tuple = ()
    forbid: tuple = ()

    def search(self, text: str) -> bool:
        if self.body.search(text) is None:
            return False
        for rx in self.require:
            if rx.match(text) is None:
                return False
        for rx in self.forbid:
            if rx.match(text) is not None:
                return False
        return True

    def warm(self) -> None:
        """Compile the parts left to first use (`compile_token_regex(..., lazy=True)`)."""
        for rx in (self.body, *self.require, *self.forbid):
            if isinstance(rx, _LazyRE2):
                rx.compiled()


def _compile(src: str, offset: int, lazy: bool = False) -> object:
    translated = translate(src, offset)
    try:
        if lazy:
            relaxed = relax_counts(translated)
            if relaxed is not None:
                try:
                    return _LazyRE2(translated, re2.compile(relaxed, _options()))
                except re2.error:
                    pass  # no prefilter: compile the regex itself now
        return re2.compile(translated, _options())
    except re2.error as exc:
        msg = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise TokenRegexError(f"RE2 cannot compile this regex: {msg}", offset) from None


def compile_token_regex(src: str, *, lazy: bool = False) -> TokenRegex:
    """Compile a token REGEX (Python syntax) for RE2; raises `TokenRegexError`.

    lazy: a regex with counted repetitions is compiled on first use behind a relaxed
    prefilter (`_LazyRE2`); only for regexes already compiled once (validated packs), since
    a compile error would otherwise surface at first use instead of here."""
    if not isinstance(src, str):
        raise TokenRegexError("REGEX must be a string")
    require: list = []
    forbid: list = []
    pos = 0
    if src.startswith("^(?!") or src.startswith("^(?="):
        pos = 1
        while src.startswith(("(?!", "(?="), pos):
            end = _group_end(src, pos)
            inner = src[pos + 3:end - 1]
            (forbid if src[pos + 2] == "!" else require).append(_compile("(?:" + inner + ")", pos + 3, lazy))
            pos = end
        rest = src[pos:]
        if _top_level_alternation(rest):
            raise TokenRegexError("a leading lookahead cannot be combined with a top-level `|`; "
                                  "wrap the alternatives in (?:...)", pos)
        body = _compile("^(?:" + rest + ")", pos, lazy)
    else:
        body = _compile(src, 0, lazy)
    return TokenRegex(src, body, tuple(require), tuple(forbid))


def _top_level_alternation(src: str) -> bool:
    return any(c == "|" and depth == 0 for _, c, depth in _outside_classes(src))
