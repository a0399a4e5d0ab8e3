"""report.md of a version: what a reviewer needs to accept or question a promotion."""
from __future__ import annotations

import json

from .gate import f1_table

__all__ = ["render_report"]


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def render_report(m: dict) -> str:
    g = m["gate"]
    t = g.get("thresholds") or m.get("thresholds") or {}
    comp = m.get("comparison") or {}
    verdict = {"passed": "PASSED", "rejected": "REJECTED"}.get(g.get("status"), "NO VERDICT")
    prod = g.get("production_version")
    lines = [f"# entrec model {m['version']} ({m['env']})", "",
             f"- data id (sha256): `{m['data_sha256']}`",
             f"- created: {m['created_at']}",
             f"- artifact sha256: `{m['artifact']['sha256']}` ({m['artifact']['bytes']} bytes)",
             f"- held out by content hash: {comp.get('heldout_docs', '?')} documents "
             f"({m.get('split', {}).get('heldout_fraction', '?')} share)",
             f"- compared on: {comp.get('docs', '?')} held-out documents, {comp.get('spans', '?')} "
             f"gold spans, that neither model was trained on (excluded: "
             f"{comp.get('seen_by_candidate', 0)} seen by the candidate, "
             f"{comp.get('seen_by_production', 0)} seen by production)",
             "- production at evaluation: " + (prod if prod else "none (first model)"),
             f"- gate: **{verdict}** (min F1 {t.get('min_f1')}, max drop {t.get('max_f1_drop')}, "
             f"per label from {t.get('min_label_support')} spans, at least "
             f"{t.get('min_comparison_docs')} documents)", ""]
    if g.get("reason"):
        lines += [f"No verdict: {g['reason']}.", ""]
    if g.get("failures"):
        lines += ["## Gate failures", ""] + [f"- {f}" for f in g["failures"]] + [""]
    sup = m.get("heldout_support")
    c_all, c_lab = f1_table(m["candidate"], sup)
    p_all, p_lab = (f1_table(m["production"]["scores"], sup) if m.get("production")
                    else (None, {}))
    lines += ["## F1 on held-out documents neither model saw", "",
              "| label | support | candidate | production |", "|---|---:|---:|---:|",
              f"| **overall** | | {_fmt(c_all)} | {_fmt(p_all)} |"]
    for label in sorted(set(c_lab) | set(p_lab)):
        s = (c_lab.get(label) or p_lab.get(label))[1]
        lines.append(f"| {label} | {s} | {_fmt(c_lab.get(label, (None,))[0])} | "
                     f"{_fmt(p_lab.get(label, (None,))[0])} |")
    lines += ["", "## Import", ""]
    imp = m.get("import_markdown")
    lines.append(imp if imp else "```\n" + json.dumps(m.get("import"), indent=2)[:4000] + "\n```")
    return "\n".join(lines) + "\n"
