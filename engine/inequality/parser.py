"""The Lark LALR parser over scanner tokens, and the longest-prefix search.

The parser is built once per extractor (`strict=True`: a grammar edit that introduces a
conflict fails at load, not at run time). For each start token (comparator, negation, range
opener, number) we feed tokens to an interactive LALR parser until it rejects one, remember
the last position where end-of-input was acceptable, and parse that prefix for real. A
failed parse just means "no inequality here": nothing in this module raises on any input.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterable

from lark import Lark, Token, Tree
from lark.exceptions import LarkError
from lark.lexer import Lexer

from ._compiled import native_slot_codes, native_windows
from .bound_plan import ExprPlan, eval_bound, expr_plan
from .interval import Bound, from_op, make_range, merge_list, negate_op, union_ops
from .lr_memo import LRMemo
from .table_cache import load_tables, store_tables
from .scanner import Tok

__all__ = ["InequalityParser", "START_TYPES"]


def _type_code_string_py(toks: list[Tok], codes: dict[str, str], default: str) -> str:
    """The token types as one string of one-character codes."""
    return "".join([codes.get(t.type, default) for t in toks])


#: the same, reading each `Tok`'s type slot directly in a compiled build
_type_code_string = native_slot_codes(Tok, "type") or _type_code_string_py


def _windows_py(code: str, other: str, number: str, starts: str) -> tuple[list, list]:
    """(windows, start positions) of a type-code string: (first, end, last number) of each
    run between `other` codes that holds a `number` code, and every position of a code in
    `starts`, both in order."""
    spans = []
    i, n = 0, len(code)
    while i < n:
        o = code.find(other, i)
        end = n if o < 0 else o
        last = code.rfind(number, i, end)
        if last >= 0:
            spans.append((i, end, last))
        i = end + 1
    return spans, [k for k, c in enumerate(code) if c in starts]


#: the same in one C pass in a compiled build
_windows = native_windows() or _windows_py

#: token types a parse attempt may start at
START_TYPES = frozenset({"NEG", "CMP", "CMPPOST", "CMPTO", "BETWEEN", "FROM", "APPROX",
                         "NUMBER", "PUNIT", "ART"})


def _type_codes(terminals) -> dict[str, str]:
    """One character per token type for `parse_all`'s search, distinct per terminal of the
    grammar (so a window's code string says its whole type sequence, which is what the parse
    plans are keyed by): "n" NUMBER, "o" OTHER, upper-case letters the start types, lower-case
    the others (code points from U+0100 on past 13 of either). A type the tables do not hold
    is "x": every state rejects it, so all such types behave alike."""
    starts = iter([*"ABCDEFGHIJKLM", *map(chr, range(0x100, 0x180))])
    others = iter([*"abcdefghijklm", *map(chr, range(0x180, 0x200))])
    codes = {t: "n" if t == "NUMBER" else next(starts if t in START_TYPES else others)
             for t in sorted(terminals)}
    codes["OTHER"] = "o"
    return codes


#: windows longer than this are searched step by step instead of through a memoized plan
#: (the plan's key is the window's code string from the start token on)
_PLAN_MAX = 40
_PLAN_LIMIT = 50_000


class _ListLexer(Lexer):
    """Feeds a ready-made token list to the LALR parser (the scanner did the lexing)."""

    def __init__(self, lexer_conf=None):  # noqa: D401 - Lark API
        pass

    def lex(self, lexer_state, parser_state=None) -> Iterable[Token]:
        data = getattr(lexer_state, "text", lexer_state)
        yield from data


def _lark_token(t: Tok, idx: int) -> Token:
    return Token(t.type, str(idx), start_pos=t.start, end_pos=t.end, line=1,
                 column=t.start + 1, end_line=1, end_column=t.end + 1)


class _Node:
    """A parse-tree node shaped like Lark's `Tree` (data, children); leaves are token indices.

    Trees are memoized per token-type sequence and never change, so what the bound builder
    reads off a node (its leaf indices, its sub-nodes by name, its quantity) is computed once
    and kept on the node."""

    __slots__ = ("data", "children", "_leaf_idx", "_subs", "_quantity", "_qplan")

    def __init__(self, data: str, children: list):
        self.data = data
        self.children = children
        self._leaf_idx: tuple[int, ...] | None = None
        self._subs: dict | None = None
        self._quantity: "_Node | None" = None
        self._qplan: tuple[int, int | None] | None = None

    def qplan(self, toks: list) -> tuple[int, int | None]:
        """For a quantity node: (index of its NUMBER leaf, index of its last UNIT/PUNIT leaf
        or None). Token types are what the tree was built from, so any toks will do."""
        if self._qplan is None:
            idx = self.leaf_indices()
            num_k = next(k for k in idx if toks[k].type == "NUMBER")
            units = [k for k in idx if toks[k].type in ("UNIT", "PUNIT")]
            self._qplan = (num_k, units[-1] if units else None)
        return self._qplan

    def leaf_indices(self) -> tuple[int, ...]:
        if self._leaf_idx is None:
            self._leaf_idx = tuple(self.scan_values())
        return self._leaf_idx

    def subs(self) -> dict:
        """Child nodes by rule name."""
        if self._subs is None:
            self._subs = {c.data: c for c in self.children if isinstance(c, _Node)}
        return self._subs

    def quantity(self) -> "_Node":
        if self._quantity is None:
            self._quantity = next(self.find_data("quantity"))
        return self._quantity

    def scan_values(self, pred=None):
        for c in self.children:
            if isinstance(c, _Node):
                yield from c.scan_values(pred)
            else:
                yield c

    def find_data(self, name: str):
        if self.data == name:
            yield self
        for c in self.children:
            if isinstance(c, _Node):
                yield from c.find_data(name)


class _TypeOnly:
    """A stand-in token carrying only its type, for building trees per type sequence."""

    __slots__ = ("type",)

    def __init__(self, typ: str):
        self.type = typ


class InequalityParser:
    """Owns the Lark LALR parser and runs its parse table directly.

    Lark builds and checks the tables (strict mode); extraction then drives those tables
    with a few dict look-ups per token instead of Lark's generic machinery, which makes
    the longest-prefix search cheap enough to run at every candidate start. The trees it
    builds follow Lark's own shaping rules (`_rule` and `__x_star` inlined, `?rule` with
    one child collapsed), so `self.lark.parse` gives the same shape (tests check this).
    """

    def __init__(self, grammar_text: str, *, half_open: bool = False, reference: bool = False):
        self.grammar_text = grammar_text
        self.half_open = half_open
        #: build trees with Lark's own parser instead of the table driver (slow; the
        #: reference the fast path is checked against)
        self.reference = reference
        self._lark: Lark | None = None
        cached = load_tables(grammar_text)
        if cached is None:
            self._compile_tables()
            store_tables(grammar_text, self._start, self._end, self._states)
        else:
            self._start, self._end, self._states = cached
        self._memo = LRMemo(self._feed, self._accepts_end, self._build_types)
        #: the tables' terminals (Lark names them in upper case; "$END" is not a token type)
        self._codes = _type_codes({sym for acts in self._states.values() for sym in acts
                                   if sym.isupper() and sym != "$END"})
        #: the codes of the start types, in one string
        self._start_codes = "".join(sorted(c for t, c in self._codes.items() if t in START_TYPES))
        #: window code string from a start token -> ((length, expr plan), ...) of every prefix
        #: the LALR tables accept, longest first (a pure function of the type sequence)
        self._plans: dict[str, tuple[tuple[int, ExprPlan], ...]] = {}

    @property
    def lark(self) -> Lark:
        """Lark's parser for this grammar, built on first use (the tables may come from cache)."""
        if self._lark is None:
            self._lark = Lark(self.grammar_text, parser="lalr", lexer=_ListLexer, strict=True,
                              propagate_positions=True, start="start")
        return self._lark

    def _compile_tables(self) -> None:
        from lark.parsers.lalr_analysis import Shift

        table = self.lark.parser.parser.parser.parse_table
        self._start = table.start_states["start"]
        self._end = table.end_states["start"]
        states: dict[int, dict[str, tuple]] = {}
        for st, acts in table.states.items():
            d = {}
            for key, (action, arg) in acts.items():
                if action is Shift:
                    d[key] = (True, arg)
                else:
                    name = arg.origin.name
                    name = str(name)
                    d[key] = (False, (name, len(arg.expansion), name.startswith("_"),
                                      bool(arg.options.expand1), arg.alias))
            states[st] = d
        self._states = states

    @classmethod
    def from_file(cls, path: Path, *, half_open: bool = False) -> "InequalityParser":
        return cls(path.read_text(encoding="utf-8"), half_open=half_open)

    # -- table driver --------------------------------------------------------------------
    def _feed(self, stack: list[int], typ: str) -> bool:
        states = self._states
        while True:
            act = states[stack[-1]].get(typ)
            if act is None:
                return False
            shift, arg = act
            if shift:
                stack.append(arg)
                return True
            size = arg[1]
            if size:
                del stack[-size:]
            stack.append(states[stack[-1]][arg[0]][1])

    def _accepts_end(self, stack: list[int]) -> bool:
        states = self._states
        if "$END" not in states[stack[-1]]:
            return False
        st = list(stack)
        while True:
            act = states[st[-1]].get("$END")
            if act is None or act[0]:
                return False
            name, size = act[1][0], act[1][1]
            if size:
                del st[-size:]
            g = states[st[-1]].get(name)
            if g is None:
                return False
            st.append(g[1])
            if st[-1] == self._end:
                return True

    def _build(self, toks: list[Tok], i: int, end: int) -> _Node | None:
        states = self._states
        stack = [self._start]
        values: list = []
        k = i
        while True:
            typ = toks[k].type if k < end else "$END"
            act = states[stack[-1]].get(typ)
            if act is None:
                return None
            shift, arg = act
            if shift:
                stack.append(arg)
                values.append(k)
                k += 1
                continue
            name, size, inline, expand1, alias = arg
            kids = values[-size:] if size else []
            if size:
                del stack[-size:]
                del values[-size:]
            children: list = []
            for c in kids:
                if isinstance(c, tuple):  # inlined rule: splice its children
                    children.extend(c[1])
                else:
                    children.append(c)
            if inline:
                node = ("inline", children)
            elif expand1 and len(children) == 1:
                node = children[0]
            else:
                node = _Node(alias or name, children)
            stack.append(states[stack[-1]][name][1])
            values.append(node)
            if typ == "$END" and stack[-1] == self._end:
                return values[-1]

    # -- search --------------------------------------------------------------------------
    def parse_all(self, toks: list[Tok]) -> list[Bound]:
        """Every inequality in the token stream, left to right, longest first. A parse is
        tried only at a start token (START_TYPES) with a NUMBER after it in the same window
        (no OTHER between); with the token types as one string of codes, finding windows,
        their last NUMBER and the start tokens before it are string searches."""
        code = _type_code_string(toks, self._codes, "x")
        out: list[Bound] = []
        spans, starts = _windows(code, "o", "n", self._start_codes)
        ns = len(starts)
        s = 0  # starts[s:] are the start tokens not passed yet
        for ws, we, last in spans:  # the windows toks[ws:we] holding a NUMBER (last: the last)
            i = ws
            while True:
                while s < ns and starts[s] < i:
                    s += 1
                if s == ns or starts[s] > last:
                    break  # (the last NUMBER is a start token: every window tries one)
                i = starts[s]
                res = self._longest(toks, i) if we - i > _PLAN_MAX or self.reference else \
                    self._longest_planned(toks, i, code[i:we])
                if res is None:
                    i += 1
                    continue
                bounds, i = res  # a parse never runs past the window's OTHER
                out.extend(bounds)
        return out

    def _build_types(self, types: tuple[str, ...]) -> _Node | None:
        """The tree of a whole token-type sequence, leaves indexing into it."""
        return self._build([_TypeOnly(t) for t in types], 0, len(types))  # type: ignore[arg-type]

    def _longest(self, toks: list[Tok], i: int) -> tuple[list[Bound], int] | None:
        memo = self._memo
        types, ends = memo.prefixes(toks, i, (self._start,))
        for end in reversed(ends):
            if self.reference:
                bounds = self._expr(self.lark_tree(toks, i, end), toks)
                if bounds:
                    return bounds, end
                continue
            tree = memo.tree(tuple(types[:end - i]))
            if tree is None:  # pragma: no cover - the recognizer accepted this prefix
                continue
            bounds = self._expr(tree, toks[i:end])
            if bounds:
                return bounds, end
        return None

    def _longest_planned(self, toks: list[Tok], i: int, key: str) -> tuple[list[Bound], int] | None:
        """`_longest` through the plan of the window's type sequence `key` (toks[i:] up to
        the window's OTHER): the prefixes and their trees are looked up once per sequence."""
        plan = self._plans.get(key)
        if plan is None:
            memo = self._memo
            types, ends = memo.prefixes(toks, i, (self._start,))
            plan = tuple((end - i, expr_plan(tree, toks[i:end])) for end in reversed(ends)
                         if (tree := memo.tree(tuple(types[:end - i]))) is not None)
            if len(self._plans) >= _PLAN_LIMIT:
                self._plans.clear()
            self._plans[key] = plan
        half_open = self.half_open
        for length, conjs in plan:
            sub = toks[i:i + length]
            bounds: list[Bound] = []
            for conj in conjs:
                found = []
                for bp in conj:
                    b = eval_bound(bp, sub, half_open)
                    if b is not None:
                        found.append(b)
                bounds.extend(merge_list(found) if len(found) > 1 else found)
            if bounds:
                return bounds, i + length
        return None

    def lark_tree(self, toks: list[Tok], i: int, end: int) -> Tree:
        """The same prefix parsed by Lark itself (reference for tests and debugging)."""
        return self.lark.parse([_lark_token(toks[k], k) for k in range(i, end)])

    # -- tree -> bounds ------------------------------------------------------------------
    def _expr(self, tree: Tree, toks: list[Tok]) -> list[Bound]:
        expr = tree.children[0]
        out: list[Bound] = []
        for conj in expr.children:
            if not isinstance(conj, (Tree, _Node)):
                continue  # OR
            bounds = [b for b in (self._bound(c, toks) for c in conj.children
                                  if isinstance(c, (Tree, _Node))) if b is not None]
            out.extend(merge_list(bounds))
        return out

    @staticmethod
    def _leaves(tree, toks: list[Tok]) -> list[Tok]:
        if isinstance(tree, _Node):
            return [toks[k] for k in tree.leaf_indices()]
        return [toks[int(v)] for v in tree.scan_values(lambda v: isinstance(v, (Token, int)))]

    def _quantity(self, node: Tree, toks: list[Tok]) -> tuple[Decimal, str | None, int, int]:
        """(value, unit, end, core_end) of a value/rvalue node."""
        if isinstance(node, _Node):
            q = node.quantity()
            num_k, unit_k = q.qplan(toks)
            num = toks[num_k]
            return (num.value, num.unit if unit_k is None else toks[unit_k].op,
                    toks[q.leaf_indices()[-1]].end, num.end)
        q = next(node.find_data("quantity"))
        leaves = self._leaves(q, toks)
        num = next(t for t in leaves if t.type == "NUMBER")
        unit = num.unit
        core_end = num.end
        for t in leaves:
            if t.type in ("UNIT", "PUNIT"):
                unit = t.op
        return num.value, unit, leaves[-1].end, core_end

    def _bound(self, node: Tree, toks: list[Tok]) -> Bound | None:
        kind = node.data
        if isinstance(node, _Node):
            idx = node.leaf_indices()
            first, last = toks[idx[0]], toks[idx[-1]]
        else:
            idx = None
            leaves = self._leaves(node, toks)
            first, last = leaves[0], leaves[-1]
        start, end = first.start, last.end
        core_end = end if last.type != "UNIT" else None
        subs = node.subs() if isinstance(node, _Node) else {
            c.data: c for c in node.children if isinstance(c, Tree)}
        negated = "neg" in subs
        if kind in ("prefix", "prefix_post", "postfix"):
            v, unit, _, qcore = self._quantity(subs["value"], toks)
            if core_end is None:
                core_end = qcore
            if kind == "postfix":
                op = self._op(subs["post"], toks)
                if op not in ("gt", "ge", "lt", "le"):
                    return None
            else:
                op = self._op(subs["cmp"], toks)
                if negated:
                    op = negate_op(op)
                if kind == "prefix_post":
                    u = union_ops(op, self._op(subs["post"], toks))
                    if u is None:
                        return None
                    op = u
            return from_op(op, v, unit, negated, start, end, kind, core_end)
        # ranges
        vals = [c for c in node.children if isinstance(c, (Tree, _Node))
                and c.data in ("value", "rvalue")]
        if len(vals) != 2:
            return None
        a, ua, _, _ = self._quantity(vals[0], toks)
        b, ub, _, bcore = self._quantity(vals[1], toks)
        if core_end is None:
            core_end = bcore
        if ua and ub and ua != ub:
            unit = None
        else:
            unit = ub or ua
        if kind in ("dash_range", "bare_range") and a >= b:
            return None  # "52-12" is a code, not a range
        if kind == "dash_range" and not all(
                t.digits for t in (self._leaves(node, toks) if idx is not None else leaves)
                if t.type == "NUMBER"):
            return None  # "One-fourth" is a fraction word, not the range 1-4
        if kind == "bare_range" and (ua is None) != (ub is None) and ua is not None:
            return None  # "3 kV a 5" reads oddly; keep only clean bare ranges
        return make_range(a, b, unit, half_open=self.half_open, negated=negated, start=start,
                          end=end, production=kind, core_end=core_end)

    @staticmethod
    def _op(node: Tree, toks: list[Tok]) -> str:
        tok = toks[int(node.children[0])]
        return tok.op or "eq"
