"""Label Studio JSON export (the full "JSON" export: a list of tasks).

Each task: `{"id", "data": {"text": ...}, "annotations": [{"result": [{"type": "labels",
"value": {"start", "end", "text", "labels": [...]}}], "was_cancelled", "ground_truth",
"completed_by", "created_at", "updated_at"}], "predictions": [...]}` (older exports say
`completions` instead of `annotations`). Not the CoNLL export, which loses labels.

Which annotation is used: cancelled ones are ignored; among the rest an annotation marked
`ground_truth` wins, else the latest (`updated_at`, then `created_at`, then list order).
Predictions are never used as gold. A task with no annotation is `unannotated`; one whose
annotations were all cancelled is `cancelled-annotation`. Label Studio counts offsets in
UTF-16 code units (JavaScript); when the text has characters outside the BMP (emoji) and
the span text only matches under UTF-16 counting, offsets are converted (`utf16-offsets`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .base import ImportContext, ImportOptions, read_text
from .document import RawRecord, RawSpan

__all__ = ["LabelStudioImporter"]


def _utf16_to_cp(text: str) -> list[int]:
    """index in UTF-16 code units -> index in code points (for every unit boundary)."""
    table = []
    for i, ch in enumerate(text):
        table.append(i)
        if ord(ch) > 0xFFFF:
            table.append(i)  # the low surrogate maps to the same character
    table.append(len(text))
    return table


def _annotator(a: dict) -> str | None:
    who = a.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    return None if who is None else str(who)


class LabelStudioImporter:
    name = "label-studio"
    aliases = ("labelstudio", "ls")
    extensions = ()  # `.json` is shared: detected by content
    description = "Label Studio JSON export (tasks with annotations[].result[].value)"

    def sniff(self, path: Path, head: str) -> bool:
        s = head.lstrip()
        return (s.startswith("[") or s.startswith("{")) and '"data"' in s[:20000] and (
            '"annotations"' in s[:20000] or '"completions"' in s[:20000])

    def companions(self, path: Path, options: ImportOptions) -> set[Path]:
        return set()

    def read(self, ctx: ImportContext) -> Iterator[RawRecord]:
        content = read_text(ctx)
        if content is None:
            return
        try:
            tasks = json.loads(content)
        except ValueError as e:
            ctx.skip(getattr(e, "lineno", 0), "malformed-record", f"bad JSON: {e}", scope="file")
            return
        if isinstance(tasks, dict):
            tasks = [tasks]
        if not isinstance(tasks, list):
            ctx.skip(0, "malformed-record", "expected a list of tasks", scope="file")
            return
        for i, task in enumerate(tasks):
            where = f"#{i}"
            try:
                rec = self._task(ctx, task, where)
            except ValueError as e:
                ctx.skip(where, "malformed-record", str(e))
                continue
            if rec is not None:
                yield rec

    def _text(self, ctx: ImportContext, data: Any) -> str:
        if not isinstance(data, dict):
            raise ValueError("task has no `data` object")
        key = ctx.options.text_key
        if key:
            if key not in data:
                raise ValueError(f"task data has no key {key!r} (keys: {', '.join(sorted(data))})")
            return data[key]
        if "text" in data:
            return data["text"]
        strings = [k for k, v in data.items() if isinstance(v, str)]
        if len(strings) == 1:
            return data[strings[0]]
        raise ValueError("cannot tell which key of `data` is the text (keys: "
                         f"{', '.join(sorted(data))}); pass text_key / --text-key")

    def _task(self, ctx: ImportContext, task: Any, where: str) -> RawRecord | None:
        if not isinstance(task, dict):
            raise ValueError("a task must be a JSON object")
        text = self._text(ctx, task.get("data"))
        anns = task.get("annotations", task.get("completions")) or []
        if not isinstance(anns, list):
            raise ValueError("`annotations` must be a list")
        if not anns:
            ctx.skip(where, "unannotated", "task has no annotation (predictions are not gold)")
            return None
        usable = [(j, a) for j, a in enumerate(anns) if isinstance(a, dict)
                  and not a.get("was_cancelled")]
        cancelled = sum(1 for a in anns if isinstance(a, dict) and a.get("was_cancelled"))
        if cancelled:
            ctx.report.notes["label-studio:cancelled-annotations"] += cancelled
        if not usable:
            ctx.skip(where, "cancelled-annotation", f"all {len(anns)} annotation(s) cancelled")
            return None
        if len(usable) > 1:
            ctx.report.notes["label-studio:tasks-with-several-annotations"] += 1
        j, ann = max(usable, key=lambda ja: (bool(ja[1].get("ground_truth")),
                                             str(ja[1].get("updated_at") or ""),
                                             str(ja[1].get("created_at") or ""), ja[0]))
        if ann.get("ground_truth"):
            ctx.report.notes["label-studio:ground-truth-used"] += 1
        result = ann.get("result") or []
        if not isinstance(result, list):
            raise ValueError(f"annotations[{j}].result must be a list")
        spans: list[RawSpan] = []
        fixes: list[str] = []
        table = None
        for k, item in enumerate(result):
            w = f"annotations[{j}].result[{k}]"
            if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
                raise ValueError(f"{w} has no `value` object")
            val = item["value"]
            if "labels" not in val:
                ctx.report.notes[f"label-studio:ignored-result:{item.get('type', '?')}"] += 1
                continue
            labels = val["labels"]
            if not isinstance(labels, list) or not labels:
                raise ValueError(f"{w}.value.labels must be a non-empty list")
            start, end, stext = val.get("start"), val.get("end"), val.get("text")
            if (isinstance(text, str) and isinstance(start, int) and isinstance(end, int)
                    and isinstance(stext, str) and text[start:end] != stext
                    and any(ord(c) > 0xFFFF for c in text)):
                table = table or _utf16_to_cp(text)
                if end < len(table) and text[table[start]:table[end]] == stext:
                    start, end = table[start], table[end]
                    fixes.append("utf16-offsets")
            for lab in labels:  # two labels on one region -> overlapping-spans downstream
                spans.append(RawSpan(start, end, lab, text=stext, where=w))
        tid = task.get("id")
        meta = {"format": "label-studio", "annotation_id": ann.get("id"),
                "ground_truth": bool(ann.get("ground_truth"))}
        return RawRecord(text=text, spans=spans, file=ctx.display, line=where,
                         id=None if tid is None else str(tid), annotator=_annotator(ann),
                         meta=meta, fixes=fixes)
