"""Memoized LALR steps for the longest-prefix search.

The search feeds the same short token-type sequences over and over ("CMP NUMBER UNIT",
"BETWEEN NUMBER AND NUMBER UNIT"), and each step is a pure function of the parser stack:
`feed(stack, type)` -> the next stack (or None) and `accepts(stack)` -> may the input end
here. Stacks are short tuples, so both are remembered in dicts and a repeated sequence costs
one dict probe per token instead of a walk through reductions. Trees are a pure function
of the token-type sequence too: `tree(types)` remembers the parse of a whole prefix, built
with token indices relative to its start. Tables are bounded; clearing one changes no result.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["LRMemo"]

_LIMIT = 100_000


class LRMemo:
    """Caches over a parser's pure step functions (see module doc)."""

    __slots__ = ("_feed_fn", "_accepts_fn", "_build_fn", "_feed", "_accepts", "_trees")

    def __init__(self, feed: Callable[[list[int], str], bool], accepts: Callable[[list[int]], bool],
                 build: Callable[[tuple[str, ...]], object]):
        self._feed_fn = feed
        self._accepts_fn = accepts
        self._build_fn = build
        self._feed: dict[tuple[tuple[int, ...], str], tuple[int, ...] | None] = {}
        self._accepts: dict[tuple[int, ...], bool] = {}
        self._trees: dict[tuple[str, ...], object] = {}

    def prefixes(self, toks: list, i: int, start: tuple[int, ...]) -> tuple[list[str], list[int]]:
        """Feed toks[i:] until a rejection or an OTHER: (types fed, every k where the input
        could end after toks[k-1])."""
        feed_memo, acc_memo = self._feed, self._accepts
        stack: tuple[int, ...] | None = start
        types: list[str] = []
        ends: list[int] = []
        for k in range(i, len(toks)):
            typ = toks[k].type
            if typ == "OTHER":
                break
            nxt = feed_memo.get((stack, typ), False)
            stack = self.feed(stack, typ) if nxt is False else nxt  # type: ignore[arg-type]
            if stack is None:
                break
            types.append(typ)
            acc = acc_memo.get(stack)
            if acc is None:
                acc = self.accepts(stack)
            if acc:
                ends.append(k + 1)
        return types, ends

    def feed(self, stack: tuple[int, ...], typ: str) -> tuple[int, ...] | None:
        key = (stack, typ)
        try:
            return self._feed[key]
        except KeyError:
            pass
        st = list(stack)
        res = tuple(st) if self._feed_fn(st, typ) else None
        if len(self._feed) > _LIMIT:
            self._feed.clear()
        self._feed[key] = res
        return res

    def accepts(self, stack: tuple[int, ...]) -> bool:
        res = self._accepts.get(stack)
        if res is None:
            res = self._accepts_fn(list(stack))
            if len(self._accepts) > _LIMIT:
                self._accepts.clear()
            self._accepts[stack] = res
        return res

    def tree(self, types: tuple[str, ...]) -> object:
        try:
            return self._trees[types]
        except KeyError:
            pass
        res = self._build_fn(types)
        if len(self._trees) > _LIMIT:
            self._trees.clear()
        self._trees[types] = res
        return res
