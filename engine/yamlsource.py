"""Safe YAML loading that remembers where every node came from, within fixed bounds.

Analysts' files are parsed with PyYAML's SafeLoader only; alongside the plain data we keep
a map from each YAML path (('rules', 3, 'regex')) to its 1-based (line, column), so
validation errors can point at the offending line.

A rule file is untrusted input (it ships inside model artifacts), so parsing is bounded
*before* anything expands: file size, nesting depth (PyYAML composes recursively), the
number of nodes the document expands to through aliases ("billion laughs": 476 bytes can
stand for millions of nodes), aliases that contain themselves, integer length (Python
refuses int() of more than 4,300 digits), non-printable characters and lone surrogates.
Each refusal is a located `RuleFileError` with its own code. The location walk visits every
distinct node once (an alias keeps its anchor's location), so it is linear in the file size.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, format_path

__all__ = ["YamlDocument", "YamlLimits", "load_yaml", "parse_yaml", "display_line", "CODES"]

Mark = tuple[int, int]

#: the codes this module emits (besides `file-*` / `path-invalid` from `entrec.engine.userfile`)
CODES = ("yaml-syntax", "yaml-invalid-character", "yaml-too-deep", "yaml-alias-expansion",
         "yaml-recursive-alias", "yaml-number-too-large", "yaml-bad-value")

_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on one YAML file; far above any real rule file (the default packs use a few %)."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 200_000  # nodes after alias expansion
    max_int_chars: int = 64


DEFAULT_LIMITS = YamlLimits()


def display_line(line: str) -> str:
    """A source line safe to print on a terminal: control characters become U+FFFD."""
    return _CONTROL.sub("\ufffd", line)


@dataclass
class YamlDocument:
    data: Any
    marks: dict[tuple, Mark]  # path -> (line, col) of the value node
    key_marks: dict[tuple, Mark]  # path -> (line, col) of the mapping key
    lines: list[str]
    file: str
    duplicates: list[tuple[tuple, Mark]] = None  # (path of repeated key, where it repeats)
    #: False for files outside the pack folder (allowed explicitly): never echo their lines
    show_source: bool = True
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

    def source_line(self, line: int) -> str | None:
        if not self.show_source or not 0 < line <= len(self.lines):
            return None
        return display_line(self.lines[line - 1])

    def diagnostic(self, code: str, message: str, path: tuple = (), *, key: bool = False,
                   hint: str | None = None, severity: str = "error") -> Diagnostic:
        line, col = self.locate(path, key=key)
        end_line, end_col = self.locate_end(path, key=key)
        return Diagnostic(code=code, message=message, file=self.file, line=line, column=col,
                          yaml_path=format_path(path), hint=hint, severity=severity,
                          source_line=self.source_line(line), end_line=end_line, end_column=end_col)


def _get_node(data: Any, path: tuple) -> Any:
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


class _Refused(yaml.MarkedYAMLError):
    """A bound was hit while composing or constructing; carries its diagnostic code."""

    def __init__(self, code: str, message: str, mark: yaml.Mark | None, hint: str | None = None):
        super().__init__(problem=message, problem_mark=mark)
        self.code = code
        self.hint = hint


class _Loader(yaml.SafeLoader):
    """SafeLoader that bounds nesting depth and integer size, and records anchor names."""

    def __init__(self, stream: str, limits: YamlLimits):
        super().__init__(stream)
        self.limits = limits
        self.depth = 0
        self.anchor_names: dict[int, str] = {}

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        event = self.peek_event()
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _Refused("yaml-too-deep", f"nesting deeper than {self.limits.max_depth} levels",
                               event.start_mark, "flatten the structure; rule files need a few levels")
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if getattr(event, "anchor", None):
            self.anchor_names[id(node)] = event.anchor
        return node

    def construct_object(self, node, deep=False):  # noqa: ANN001
        try:
            return super().construct_object(node, deep)
        except yaml.MarkedYAMLError:
            raise
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - SafeLoader's constructors fail in many ways
            # e.g. a timestamp-shaped scalar that is no date (2024-13-45), `!!timestamp x`
            raise _Refused("yaml-bad-value", f"cannot read value: {exc}", node.start_mark,
                           "quote the value to keep it as text") from None

    def construct_yaml_int(self, node):  # noqa: ANN001
        if len(node.value) > self.limits.max_int_chars:
            raise _Refused("yaml-number-too-large",
                           f"integer with {len(node.value)} characters (limit {self.limits.max_int_chars})",
                           node.start_mark, "quote it if it is text")
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_graph(root: yaml.Node, loader: _Loader) -> None:
    """Refuse self-containing aliases and documents that expand past `max_nodes`.

    Post-order over the composed graph (each distinct node once, iteratively), computing how
    many nodes each one stands for once aliases are expanded. Linear in the file size.
    """
    limit = loader.limits.max_nodes
    size: dict[int, int] = {}
    on_stack: set[int] = {id(root)}
    stack = [(root, iter(_children(root)))]
    while stack:
        node, it = stack[-1]
        child = next(it, None)
        if child is None:
            stack.pop()
            on_stack.discard(id(node))
            total = 1 + sum(size[id(c)] for c in _children(node))
            if total > limit:
                name = loader.anchor_names.get(id(node))
                what = f"anchor &{name}" if name else "this node"
                raise _Refused("yaml-alias-expansion",
                               f"{what} expands to more than {limit:,} nodes through aliases",
                               node.start_mark, "aliases (*name) may repeat a node, not multiply a "
                               "document; write the repeated parts out or reduce the nesting of aliases")
            size[id(node)] = total
            continue
        if id(child) in on_stack:
            name = loader.anchor_names.get(id(child))
            raise _Refused("yaml-recursive-alias",
                           f"alias *{name or '?'} is used inside the node it names (a loop)",
                           child.start_mark, "an alias can only repeat a node defined before it, "
                           "outside of it")
        if id(child) not in size:
            on_stack.add(id(child))
            stack.append((child, iter(_children(child))))


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _end(node: yaml.Node) -> Mark:
    return (node.end_mark.line + 1, node.end_mark.column + 1)


def _walk(root: yaml.Node) -> tuple[dict, dict, list, dict, dict]:
    """Start and end locations of every path, iteratively; an aliased node is entered once only."""
    marks: dict[tuple, Mark] = {}
    key_marks: dict[tuple, Mark] = {}
    ends: dict[tuple, Mark] = {}
    key_ends: dict[tuple, Mark] = {}
    dups: list[tuple[tuple, Mark]] = []
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        marks[path] = _mark(node)
        ends[path] = _end(node)
        if id(node) in entered:
            continue  # an alias: its location is its anchor's
        entered.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            m = _SURROGATE.search(node.value)
            if m:
                raise _Refused("yaml-invalid-character",
                               f"lone surrogate U+{ord(m.group()):04X} in a string (not a character)",
                               node.start_mark, "remove the \\uD800-\\uDFFF escape; write the "
                               "character itself or its \\U0001XXXX escape")
        elif isinstance(node, yaml.MappingNode):
            seen: set = set()
            children = []
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else f"<{k.id}>"
                if isinstance(k, yaml.ScalarNode) and _SURROGATE.search(key):
                    stack.append((k, path))  # reported when popped
                where = _mark(k)
                if key in seen:
                    dups.append((path + (key,), where))
                seen.add(key)
                key_marks.setdefault(path + (key,), where)
                key_ends.setdefault(path + (key,), _end(k))
                children.append((v, path + (key,)))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(v, path + (i,)) for i, v in enumerate(node.value)]))
    return marks, key_marks, dups, ends, key_ends


def _located(code: str, message: str, file: str, lines: list[str], line: int, col: int,
             hint: str | None, show_source: bool = True) -> Diagnostic:
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    src = display_line(raw) if show_source and 0 < line <= len(lines) else None
    return Diagnostic(code=code, message=message, file=file, line=line, column=col, hint=hint,
                      source_line=src, end_line=line, end_column=max(len(raw.rstrip()) + 1, col + 1))


def _char_name(ch: str) -> str:
    import unicodedata

    names = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\ufeff": "BOM", "\ufffe": "noncharacter",
             "\uffff": "noncharacter"}
    name = names.get(ch) or unicodedata.name(ch, "control character")
    return f"U+{ord(ch):04X} ({name})"


def parse_yaml(text: str, file: str = "<string>", *, limits: YamlLimits = DEFAULT_LIMITS,
               show_source: bool = True) -> YamlDocument:
    """Parse YAML safely. Raises `RuleFileError` with one located diagnostic on failure."""
    from .errors import RuleFileError

    lines = text.splitlines()
    if len(text) > limits.max_bytes:
        raise RuleFileError([_located("file-too-large", f"file has {len(text):,} characters; the limit "
                                      f"is {limits.max_bytes:,}", file, lines, 1, 1,
                                      "split it into several files joined with `include:`", False)])
    bad = _NON_PRINTABLE.search(text)
    if bad:
        pos = bad.start()
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise RuleFileError([_located(
            "yaml-invalid-character", f"character {_char_name(bad.group())} is not allowed in a YAML file",
            file, lines, line, col, 'remove it; inside a double-quoted string write it as an escape '
            '(e.g. "\\x1b")', show_source)])
    loader = _Loader(text, limits)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_graph(node, loader)
            marks, key_marks, dups, ends, key_ends = _walk(node)
            data = loader.construct_document(node)
        else:
            data, marks, key_marks, dups, ends, key_ends = None, {}, {}, [], {}, {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = (exc.problem or str(exc)).strip()
        if isinstance(exc, _Refused):
            raise RuleFileError([_located(exc.code, msg, file, lines, line, col, exc.hint,
                                          show_source)]) from None
        if exc.context:
            msg = f"{exc.context.strip()}: {msg}"
        raise RuleFileError([_located(
            "yaml-syntax", f"invalid YAML: {msg}", file, lines, line, col,
            "check indentation and quote values containing ':' or '#'", show_source)]) from None
    except yaml.YAMLError as exc:
        raise RuleFileError([_located("yaml-syntax", f"invalid YAML: {exc}", file, lines, 1, 1, None,
                                      show_source)]) from None
    except RecursionError:  # pragma: no cover - the depth bound keeps PyYAML well inside the limit
        raise RuleFileError([_located("yaml-too-deep", "the document is nested too deeply", file,
                                      lines, 1, 1, None, show_source)]) from None
    finally:
        loader.dispose()
    return YamlDocument(data=data, marks=marks, key_marks=key_marks, lines=lines, file=file,
                        duplicates=dups, show_source=show_source, end_marks=ends, key_end_marks=key_ends)


def load_yaml(path: str | Path, *, limits: YamlLimits = DEFAULT_LIMITS,
              show_source: bool = True) -> YamlDocument:
    """Read (regular file, size-capped, UTF-8) and parse; every failure a located `RuleFileError`."""
    from .errors import RuleFileError
    from .userfile import FileProblem, read_user_text

    p = Path(path)
    try:
        text = read_user_text(p, max_bytes=limits.max_bytes, what="rule file")
    except FileProblem as exc:
        # a problem with the file as a whole sits at 1:1; a missing file has no lines at all
        line, col = (exc.line, exc.column) if exc.line else (
            (0, 0) if exc.code in ("file-not-found", "path-invalid") else (1, 1))
        raise RuleFileError([Diagnostic(code=exc.code, message=exc.message, file=str(p), line=line,
                                        column=col, hint=exc.hint)]) from None
    return parse_yaml(text, str(p), limits=limits, show_source=show_source)
