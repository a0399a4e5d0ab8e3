"""Safe YAML loading that remembers where every node came from.

Analysts' files are parsed with PyYAML's SafeLoader only; alongside the plain data we keep
a map from each YAML path (('rules', 3, 'regex')) to its 1-based (line, column), so
validation errors can point at the offending line.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic

__all__ = ["YamlDocument", "load_yaml", "parse_yaml"]

Mark = tuple[int, int]


@dataclass
class YamlDocument:
    data: Any
    marks: dict[tuple, Mark]  # path -> (line, col) of the value node
    key_marks: dict[tuple, Mark]  # path -> (line, col) of the mapping key
    lines: list[str]
    file: str
    duplicates: list[tuple[tuple, Mark]] = None  # (path of repeated key, where it repeats)
    end_marks: dict[tuple, Mark] = None  # path -> (line, col) just past the value node
    key_end_marks: dict[tuple, Mark] = None  # path -> (line, col) just past the mapping key

    def locate(self, path: tuple, *, key: bool = False) -> Mark:
        """Best location for `path`: the exact node, else the nearest ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_marks:
                return self.key_marks[path]
            if path in self.marks:
                return self.marks[path]
            if path in self.key_marks:
                return self.key_marks[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def locate_end(self, path: tuple, *, key: bool = False) -> Mark:
        """End of the node `locate` picks (exclusive). A mapping or list is cut at the end of
        its first line, so a problem with a whole rule underlines its first line only."""
        path = tuple(path)
        start = self.locate(path, key=key)
        ends, key_ends = self.end_marks or {}, self.key_end_marks or {}
        while True:
            if key and path in self.key_marks:
                end = key_ends.get(path)
                break
            if path in self.marks:
                end = ends.get(path)
                if isinstance(_get_node(self.data, path), (dict, list)):
                    end = None
                break
            if path in self.key_marks:
                end = key_ends.get(path)
                break
            if not path:
                end = None
                break
            path = path[:-1]
        if end is None or end <= start:
            line = start[0]
            src = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            return (line, max(len(src.rstrip()) + 1, start[1] + 1))
        return end

    def diagnostic(self, code: str, message: str, path: tuple = (), *, key: bool = False,
                   hint: str | None = None, severity: str = "error") -> Diagnostic:
        from .diagnostics import format_path

        line, col = self.locate(path, key=key)
        end_line, end_col = self.locate_end(path, key=key)
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        return Diagnostic(code=code, message=message, file=self.file, line=line, column=col,
                          yaml_path=format_path(path), hint=hint, severity=severity,
                          source_line=src, end_line=end_line, end_column=end_col)


def _get_node(data: Any, path: tuple) -> Any:
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


class _Loader(yaml.SafeLoader):
    pass


def _walk(node: yaml.Node, path: tuple, marks: dict, key_marks: dict, dups: list,
          ends: dict | None = None, key_ends: dict | None = None) -> None:
    ends = {} if ends is None else ends
    key_ends = {} if key_ends is None else key_ends
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    ends[path] = (node.end_mark.line + 1, node.end_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            where = (k.start_mark.line + 1, k.start_mark.column + 1)
            if key in seen:
                dups.append((path + (key,), where))
            seen.add(key)
            key_marks.setdefault(path + (key,), where)
            key_ends.setdefault(path + (key,), (k.end_mark.line + 1, k.end_mark.column + 1))
            _walk(v, path + (key,), marks, key_marks, dups, ends, key_ends)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, path + (i,), marks, key_marks, dups, ends, key_ends)


def parse_yaml(text: str, file: str = "<string>") -> YamlDocument:
    """Parse YAML safely. Raises `RuleFileError` with a located `yaml-syntax` diagnostic."""
    from .errors import RuleFileError

    lines = text.splitlines()
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        src = lines[line - 1] if 0 < line <= len(lines) else None
        msg = (exc.problem or str(exc)).strip()
        if exc.context:
            msg = f"{exc.context.strip()}: {msg}"
        end_col = max(len((src or "").rstrip()) + 1, col + 1)
        raise RuleFileError([Diagnostic(
            code="yaml-syntax", message=f"invalid YAML: {msg}", file=file, line=line,
            column=col, hint="check indentation and quote values containing ':' or '#'",
            source_line=src, end_line=line, end_column=end_col)]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([Diagnostic(code="yaml-syntax", message=f"invalid YAML: {exc}",
                                        file=file)]) from None
    finally:
        loader.dispose()
    marks: dict = {}
    key_marks: dict = {}
    ends: dict = {}
    key_ends: dict = {}
    dups: list = []
    if node is not None:
        _walk(node, (), marks, key_marks, dups, ends, key_ends)
    return YamlDocument(data=data, marks=marks, key_marks=key_marks, lines=lines, file=file,
                        duplicates=dups, end_marks=ends, key_end_marks=key_ends)


def load_yaml(path: str | Path) -> YamlDocument:
    from .errors import RuleFileError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError([Diagnostic(code="file-not-found", message=f"no such file: {p}",
                                        file=str(p))]) from None
    except UnicodeDecodeError as exc:
        raise RuleFileError([Diagnostic(code="file-encoding",
                                        message=f"file is not UTF-8 ({exc.reason} at byte {exc.start})",
                                        file=str(p), hint="save the file as UTF-8")]) from None
    return parse_yaml(text, str(p))
