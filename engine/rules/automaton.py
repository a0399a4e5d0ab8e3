"""All rules' token patterns compiled into one automaton that scans a Doc once.

spaCy's Matcher walks every pattern from every token and calls Python `re` for each REGEX
predicate at each attempt. Here instead:

1. each distinct token spec is an `Atom`; a token's *class* is the bit set of atoms its text
   satisfies, computed once per distinct text (cached by orth id);
2. every pattern is a sequence of (atom, quantifier) - a regular expression over classes -
   and all patterns together form one NFA, determinized lazily (a transition is computed
   the first time a (state, class) pair is seen, then it is a dict probe);
3. from each token that can start a match, the DFA runs until it dies, reporting every
   (rule, start, end) - the same "all matches" set spaCy's Matcher finds - and each rule's
   matches are reduced like `Matcher.add(..., greedy="LONGEST")`: longest first, earlier
   first among equals, skipping any that overlaps one already kept.

Quantifiers follow spaCy: `!` consumes one token that does NOT satisfy the spec, `+` is
one then `*`, `{n,m}` is n required then m-n optional. Results equal spaCy's Matcher's
(tests/engine/rules/test_automaton_differential.py checks this on generated cases).
"""
from __future__ import annotations

import threading
from itertools import compress, count
from typing import Any, Sequence

from spacy.attrs import ORTH
from spacy.tokens import Doc

from .token_classes import Atom, TokenSpecError, TokenView, compile_atom

__all__ = ["TokenAutomaton", "TokenSpecError", "compile_pattern", "longest_filter"]

ONE, STAR, OPT, NOT = 0, 1, 2, 3
_CACHE_LIMIT = 200_000  # distinct token texts / transitions kept before a cache is reset


def _quantifiers(op: Any) -> tuple[int, ...]:
    if op is None or op == "1":
        return (ONE,)
    table = {"*": (STAR,), "+": (ONE, STAR), "?": (OPT,), "!": (NOT,)}
    if isinstance(op, str) and op in table:
        return table[op]
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        body = op[1:-1]
        body = body if "," in body else f"{body},{body}"
        n, m = body.split(",", 1)
        if (n and not n.isdecimal()) or (m and not m.isdecimal()) or (not n and not m) \
                or (n and m and int(n) > int(m)):
            raise TokenSpecError(f"invalid OP {op!r}: use *, +, ?, !, {{n}}, {{n,m}}, {{n,}} or {{,m}}")
        head = (ONE,) * int(n or 0)
        tail = (OPT,) * (int(m) - int(n or 0)) if m else (STAR,)
        return head + tail
    raise TokenSpecError(f"invalid OP {op!r}: use *, +, ?, !, {{n}}, {{n,m}}, {{n,}} or {{,m}}")


def compile_pattern(pattern: Sequence[dict], atoms: dict[str, int], atom_list: list[Atom],
                    lazy: bool = False) -> tuple[tuple[int, int], ...]:
    """A Matcher pattern as (atom index, quantifier) pairs; new atoms are appended."""
    if not isinstance(pattern, (list, tuple)) or not pattern:
        raise TokenSpecError("a token pattern must be a non-empty list of token specs")
    out: list[tuple[int, int]] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            raise TokenSpecError("each element of a token pattern must be a mapping")
        op = next((v for k, v in spec.items() if str(k).upper() == "OP"), None)
        atom = compile_atom(spec, lazy=lazy)
        idx = atoms.get(atom.key)
        if idx is None:
            idx = atoms[atom.key] = len(atom_list)
            atom_list.append(atom)
        out.extend((idx, q) for q in _quantifiers(op))
    return tuple(out)


def _longest_first(se: tuple[int, int]) -> tuple[int, int]:
    return (se[0] - se[1], se[0])


def longest_filter(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """spaCy's greedy="LONGEST": longest first (earlier start on ties), drop overlaps."""
    if len(spans) < 2:
        return spans
    spans = sorted(spans, key=_longest_first)
    kept: list[tuple[int, int]] = []
    if len(spans) <= 16:  # few spans: compare with each kept one
        for s, e in spans:
            for ks, ke in kept:
                if s < ke and ks < e:
                    break
            else:
                kept.append((s, e))
        return kept
    taken = bytearray(max(e for _, e in spans))
    for s, e in spans:
        if taken.find(1, s, e) >= 0:
            continue
        kept.append((s, e))
        taken[s:e] = b"\x01" * (e - s)
    return kept


class TokenAutomaton:
    """Token patterns of many rules as one lazily-determinized automaton.

    `rules` is a list of pattern lists (one entry per rule); `match(doc)` returns
    (rule index, start token, end token) after the per-rule LONGEST filter. Read-only
    after construction apart from its memo tables, which never change a result.
    """

    def __init__(self, rules: Sequence[Sequence[Sequence[dict]]], *, lazy_regex: bool = False):
        self._atoms: list[Atom] = []
        atom_ids: dict[str, int] = {}
        self._patterns: list[tuple[tuple[int, int], ...]] = []
        self._pattern_rule: list[int] = []
        for r, patterns in enumerate(rules):
            for p in patterns:
                self._patterns.append(compile_pattern(p, atom_ids, self._atoms, lazy_regex))
                self._pattern_rule.append(r)
        self.n_rules = len(rules)
        self._lock = threading.Lock()
        self._class_of: dict[int, int] = {}  # orth id -> atom bit set
        self._states: list[frozenset] = []
        self._accepts: list[tuple[int, ...]] = []
        self._state_ids: dict[frozenset, int] = {}
        self._trans: dict[tuple[int, int], int] = {}
        self._start = self._state(self._closure({(k, 0) for k in range(len(self._patterns))}))
        self._from_start: dict[int, int] = {}

    # ------------------------------------------------------------ construction
    def _closure(self, positions: set[tuple[int, int]]) -> frozenset:
        todo = list(positions)
        seen = set(positions)
        pats = self._patterns
        while todo:
            k, p = todo.pop()
            pat = pats[k]
            if p < len(pat) and pat[p][1] in (STAR, OPT):
                nxt = (k, p + 1)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def _state(self, positions: frozenset) -> int:
        sid = self._state_ids.get(positions)
        if sid is None:
            with self._lock:
                sid = self._state_ids.get(positions)
                if sid is None:
                    accepts = sorted({self._pattern_rule[k] for k, p in positions if p == len(self._patterns[k])})
                    self._states.append(positions)
                    self._accepts.append(tuple(accepts))
                    sid = len(self._states) - 1
                    self._state_ids[positions] = sid
        return sid

    def _step(self, sid: int, cls: int) -> int:
        """Transition of state `sid` on a token of class `cls` (-1: dead)."""
        nxt: set[tuple[int, int]] = set()
        pats = self._patterns
        for k, p in self._states[sid]:
            pat = pats[k]
            if p >= len(pat):
                continue
            atom, q = pat[p]
            hit = (cls >> atom) & 1
            if q == NOT:
                hit = not hit
            if hit:
                nxt.add((k, p) if q == STAR else (k, p + 1))
        res = self._state(self._closure(nxt)) if nxt else -1
        if len(self._trans) > _CACHE_LIMIT:
            self._trans.clear()
            self._from_start.clear()
        self._trans[(sid, cls)] = res
        return res

    def _classify(self, orth: int, doc: Doc) -> int:
        view = TokenView.of(doc.vocab.strings[orth], doc.vocab)
        bits = 0
        for i, atom in enumerate(self._atoms):
            if atom.test(view):
                bits |= 1 << i
        if len(self._class_of) > _CACHE_LIMIT:
            self._class_of.clear()
        self._class_of[orth] = bits
        return bits

    # ----------------------------------------------------------------- running
    def classes(self, doc: Doc) -> list[int]:
        """The class (atom bit set) of every token of `doc`."""
        orths = doc.to_array(ORTH).tolist()
        out = list(map(self._class_of.get, orths))
        if None in out:
            for k, o in enumerate(orths):
                if out[k] is None:
                    c = self._class_of.get(o)
                    out[k] = c if c is not None else self._classify(o, doc)
        return out

    def warm(self) -> None:
        """Compile every atom's lazily compiled parts now."""
        for atom in self._atoms:
            atom.warm()

    def _scan(self, doc: Doc) -> dict[int, list[tuple[int, int]]]:
        """rule -> every (start, end) some pattern of the rule matches."""
        by_rule: dict[int, list[tuple[int, int]]] = {}
        if not self._patterns or len(doc) == 0:
            return by_rule
        cls = self.classes(doc)
        n = len(cls)
        trans, accepts, from_start = self._trans, self._accepts, self._from_start
        start = self._start
        first_of: dict[int, int] = {}  # local: the shared memo may be reset meanwhile
        for c in set(cls):
            s = from_start.get(c)
            if s is None:
                s = trans.get((start, c))
                if s is None:
                    s = self._step(start, c)
                from_start[c] = s
            first_of[c] = s
        # only positions whose token can begin some pattern (most tokens cannot)
        firsts = list(map(first_of.__getitem__, cls))
        for i in compress(count(), map((-1).__ne__, firsts)):
            s = firsts[i]
            j = i + 1
            while s >= 0:
                for r in accepts[s]:
                    spans = by_rule.get(r)
                    if spans is None:
                        by_rule[r] = [(i, j)]
                    else:
                        spans.append((i, j))
                if j >= n:
                    break
                c = cls[j]
                nxt = trans.get((s, c))
                s = nxt if nxt is not None else self._step(s, c)
                j += 1
        return by_rule

    def all_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """Every (rule, start, end) some pattern of the rule matches (spaCy's raw set)."""
        return [(r, s, e) for r, spans in sorted(self._scan(doc).items()) for s, e in spans]

    def match(self, doc: Doc) -> list[tuple[int, int, int]]:
        """(rule, start, end) after each rule's greedy="LONGEST" filter, by rule then start."""
        out = []
        for r, spans in sorted(self._scan(doc).items()):
            for s, e in sorted(longest_filter(spans)):
                out.append((r, s, e))
        return out
