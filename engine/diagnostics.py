"""Located diagnostics for rule and lexicon files: file:line:col, YAML path, caret, hint."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Iterable, Literal

__all__ = ["Diagnostic", "did_you_mean", "format_path"]


def format_path(path: Iterable[object]) -> str:
    """('rules', 3, 'regex') -> 'rules[3].regex'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


#: widest source line shown under a diagnostic; longer ones are cut around the caret
_MAX_SHOWN = 160


def _window(src: str, caret: int) -> tuple[str, int]:
    """Cut a long line to `_MAX_SHOWN` characters around `caret`; return it and the new caret."""
    if len(src) <= _MAX_SHOWN:
        return src, caret
    start = min(max(caret - 60, 0), max(len(src) - _MAX_SHOWN, 0))
    shown = src[start:start + _MAX_SHOWN]
    prefix = "…" if start else ""
    suffix = "…" if start + _MAX_SHOWN < len(src) else ""
    return prefix + shown + suffix, caret - start + len(prefix)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    file: str = "<string>"
    line: int = 0  # 1-based; 0 = unknown
    column: int = 0  # 1-based; 0 = unknown
    yaml_path: str = ""
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"
    source_line: str | None = field(default=None, compare=False)
    #: where the offending node ends (1-based, end column exclusive; 0 = unknown), so an
    #: editor can underline the whole range rather than one character
    end_line: int = 0
    end_column: int = 0

    def format(self) -> str:
        loc = self.file
        if self.line:
            loc += f":{self.line}:{self.column or 1}"
        head = f"{loc}: {self.severity}[{self.code}]"
        if self.yaml_path:
            head += f" at {self.yaml_path}"
        lines = [f"{head}: {self.message}"]
        if self.source_line is not None and self.line:
            num = str(self.line)
            src, caret = _window(self.source_line.rstrip(), max(self.column - 1, 0))
            lines.append(f"  {num} | {src}")
            lines.append(f"  {' ' * len(num)} | {' ' * caret}^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        # printable whatever a file held: lone surrogates (undecodable file names) escaped
        return "\n".join(lines).encode("utf-8", "backslashreplace").decode("utf-8")

    def to_dict(self) -> dict:
        return {
            "code": self.code, "message": self.message, "file": self.file, "line": self.line,
            "column": self.column, "yaml_path": self.yaml_path, "hint": self.hint,
            "severity": self.severity, "end_line": self.end_line, "end_column": self.end_column,
        }
