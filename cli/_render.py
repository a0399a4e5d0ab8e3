"""Terminal rendering shared by extract and dry-run: highlighted text and entity tables."""
from __future__ import annotations

import json
from typing import Sequence

from entrec.engine.entity import Entity

__all__ = ["highlight", "entity_table", "color_for", "format_value"]

_PALETTE = ["1;34", "1;32", "1;35", "1;36", "1;33", "1;31", "4;34", "4;32", "4;35"]


def color_for(label: str, labels: Sequence[str]) -> str:
    ordered = sorted(set(labels))
    return _PALETTE[ordered.index(label) % len(_PALETTE)] if label in ordered else "1"


def highlight(text: str, entities: Sequence[Entity], color: bool = True) -> str:
    out, pos = [], 0
    labels = [e.label for e in entities]
    for e in sorted(entities, key=lambda e: (e.start, -e.end)):
        if e.start < pos:
            continue
        out.append(text[pos:e.start])
        span = f"[{text[e.start:e.end]}]{e.label}"
        out.append(f"\x1b[{color_for(e.label, labels)}m{span}\x1b[0m" if color else span)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def format_value(v: dict | None) -> str:
    if not v:
        return ""
    if "op" in v:
        lo = "" if v.get("low") is None else v["low"]
        hi = "" if v.get("high") is None else v["high"]
        lb = "[" if v.get("low_inclusive") else "("
        rb = "]" if v.get("high_inclusive") else ")"
        lo = lo if lo != "" else "-inf"
        hi = hi if hi != "" else "+inf"
        neg = " (negated)" if v.get("negated") else ""
        return f"{v['op']} {lb}{lo}, {hi}{rb} {v.get('unit') or ''}{neg}".strip()
    return json.dumps(v, ensure_ascii=False)


def entity_table(entities: Sequence[Entity]) -> str:
    rows = [("span", "label", "text", "source", "rule / id", "value")]
    for e in entities:
        rid = e.rule_id or ""
        if e.id:
            rid = f"{rid} -> {e.id}" if rid else e.id
        src = e.source if e.source != "model" else f"model {e.score:.2f}"
        rows.append((f"{e.start}-{e.end}", e.label, e.text, src, rid, format_value(e.value)))
    widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c[:48].ljust(widths[i]) for i, c in enumerate(r)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
