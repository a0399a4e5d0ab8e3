"""Bound plans: what the parser's `_expr` / `_bound` read off a parse tree, once per tree.

A tree is a pure function of its token-type sequence (`lr_memo`), so which leaf holds the
comparator, the number and the unit of each value, and which checks apply, are fixed per
tree; only the tokens' values differ. `expr_plan` records that once, `eval_bound` applies it
to a window's tokens without walking the tree. Same results as `InequalityParser._expr`
(tests compare both, and both with Lark's own trees).
"""
from __future__ import annotations

from typing import Any

from .interval import Bound, from_op, make_range, negate_op, union_ops
from .scanner import Tok

__all__ = ["ExprPlan", "BoundPlan", "expr_plan", "eval_bound"]

#: (kind, first leaf, last leaf, span core ends at the last leaf, negated, (number leaf, unit
#: leaf or None) of the first value, the same of the second value (ranges) or None, comparator
#: leaf, postfix leaf, NUMBER leaves that must be written with digits)
BoundPlan = tuple
#: per conjunction, the plan of each bound (None: a bound the checks always reject)
ExprPlan = tuple[tuple[BoundPlan | None, ...], ...]

_PREFIX_KINDS = frozenset({"prefix", "prefix_post", "postfix"})
_ONE_SIDED_OPS = frozenset({"gt", "ge", "lt", "le"})


def expr_plan(tree: Any, toks: list[Tok]) -> ExprPlan:
    """The plan of a whole tree (the parser's `_Node`, leaves are token indices); `toks` are
    any tokens of its type sequence."""
    return tuple(tuple(_bound_plan(c, toks) for c in conj.children if _is_node(c))
                 for conj in tree.children[0].children if _is_node(conj))


def _is_node(c) -> bool:
    return not isinstance(c, int)  # a tree's children are nodes or leaf indices


def _bound_plan(node: Any, toks: list[Tok]) -> BoundPlan | None:
    kind = node.data
    idx = node.leaf_indices()
    subs = node.subs()
    plain_end = toks[idx[-1]].type != "UNIT"  # else the span's core ends at the number
    if kind in _PREFIX_KINDS:
        value = subs["value"].quantity().qplan(toks)
        op_k = subs["cmp"].children[0] if kind != "postfix" else None
        post_k = subs["post"].children[0] if kind != "prefix" else None
        return (kind, idx[0], idx[-1], plain_end, "neg" in subs, value, None, op_k, post_k, ())
    vals = [c for c in node.children if _is_node(c) and c.data in ("value", "rvalue")]
    if len(vals) != 2:
        return None
    numbers = tuple(k for k in idx if toks[k].type == "NUMBER") if kind == "dash_range" else ()
    return (kind, idx[0], idx[-1], plain_end, "neg" in subs, vals[0].quantity().qplan(toks),
            vals[1].quantity().qplan(toks), None, None, numbers)


def eval_bound(plan: BoundPlan | None, toks: list[Tok], half_open: bool) -> Bound | None:
    """`InequalityParser._bound` of the planned node over `toks`."""
    if plan is None:
        return None
    kind, first_k, last_k, plain_end, negated, qa, qb, op_k, post_k, numbers = plan
    start, end = toks[first_k].start, toks[last_k].end
    num = toks[qa[0]]
    unit = num.unit if qa[1] is None else toks[qa[1]].op
    if qb is None:
        if kind == "postfix":
            op = toks[post_k].op or "eq"
            if op not in _ONE_SIDED_OPS:
                return None
        else:
            op = toks[op_k].op or "eq"
            if negated:
                op = negate_op(op)
            if kind == "prefix_post":
                u = union_ops(op, toks[post_k].op or "eq")
                if u is None:
                    return None
                op = u
        return from_op(op, num.value, unit, negated, start, end, kind, end if plain_end else num.end)
    a, ua = num.value, unit
    num_b = toks[qb[0]]
    b = num_b.value
    ub = num_b.unit if qb[1] is None else toks[qb[1]].op
    unit = None if ua and ub and ua != ub else ub or ua
    if kind in ("dash_range", "bare_range") and a >= b:
        return None  # "52-12" is a code, not a range
    if numbers and not all(toks[k].digits for k in numbers):
        return None  # "One-fourth" is a fraction word, not the range 1-4
    if kind == "bare_range" and (ua is None) != (ub is None) and ua is not None:
        return None
    return make_range(a, b, unit, half_open=half_open, negated=negated, start=start, end=end,
                      production=kind, core_end=end if plain_end else num_b.end)
