"""Load rule files, validate them all at once, compile them into per-language packs.

Validation collects *every* problem of every file before failing (an analyst fixing a file
wants the full list, not one error per run). Each problem is a located `Diagnostic` with a
stable code; see `CODES` for the list tests assert.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ValidationError
from spacy.errors import MatchPatternError
from spacy.matcher import Matcher
from spacy.vocab import Vocab

from ..diagnostics import Diagnostic, did_you_mean
from ..errors import RuleFileError
from ..resolver import POLICIES, ResolutionConfig, is_known_policy
from ..userfile import FileProblem, check_reference, is_inside, read_user_text
from ..yamlsource import CODES as YAML_CODES
from ..yamlsource import YamlDocument, load_yaml
from .compact import CompactPatternError, parse_compact
from .phrases import PhraseIndex, PhraseRow, PhrasesFileError, read_phrases_file
from .regexcheck import RegexProblem, check_token_regex, compile_re2
from .schema import (MATCHERS, ContextModel, Expectation, PhraseEntry, ResolutionModel,
                     RuleFileModel, RuleModel, TestCase)
from .automaton import TokenAutomaton
from .pack import LoadedTest, RulePack, _discover, discover_rule_files
from .source import CompiledRule

__all__ = ["RulePack", "LoadedTest", "discover_rule_files", "check_rule_files",
           "load_rule_files", "CODES"]

#: every diagnostic code the loader can emit
CODES = (
    "file-not-found", "file-encoding", "yaml-syntax", "yaml-duplicate-key", "not-a-mapping",
    "schema-unknown-key", "schema-missing-field", "schema-type", "schema-value",
    "rule-duplicate-id", "label-unknown", "rule-matcher-missing", "rule-matcher-multiple",
    "regex-invalid", "pattern-invalid", "phrases-file-invalid", "phrases-empty",
    "include-missing", "include-cycle", "language-mismatch", "policy-unknown",
    "resolution-conflict", "no-rule-files",
    # reading files and bounds (issue 16)
    "file-not-regular", "file-too-large", "file-unreadable", "path-invalid", "path-outside-pack",
    "regex-backtracking", "rule-compile-failed", "include-too-deep",
) + tuple(c for c in YAML_CODES if c != "yaml-syntax")

#: deepest chain of `include:`s followed
MAX_INCLUDE_DEPTH = 32
#: a phrase list larger than this is refused (the default packs' largest is 20 KB)
MAX_PHRASES_FILE_BYTES = 64 * 1024 * 1024


def _model_for(path: tuple) -> type[BaseModel]:
    """Which pydantic model describes the mapping at `path` (for did-you-mean hints)."""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return RuleFileModel
    if names[0] == "rules":
        if "context" in names:
            return ContextModel
        if "phrases" in names:
            return PhraseEntry
        return RuleModel
    if names[0] == "tests":
        if "expect" in names or "reject" in names:
            return Expectation
        return TestCase
    if names[0] == "resolution":
        return ResolutionModel
    return RuleFileModel


def _data_path(data: Any, loc: tuple) -> tuple:
    """Keep the part of a pydantic `loc` that addresses real YAML nodes (drop union tags)."""
    out: list = []
    cur = data
    for part in loc:
        if isinstance(cur, dict) and part in cur:
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            out.append(part)
            cur = cur[part]
        elif isinstance(cur, dict) and isinstance(part, str) and not any(c in part for c in "[]()") \
                and part[:1].islower():
            # a missing / unknown key at this level: keep it so the message names it
            out.append(part)
            break
    return tuple(out)


def _pydantic_diags(doc: YamlDocument, exc: ValidationError, prefix: tuple) -> list[Diagnostic]:
    by_path: dict[tuple, list[dict]] = {}
    for err in exc.errors():
        path = prefix + _data_path(_get(doc.data, prefix), tuple(err["loc"]))
        by_path.setdefault((path, err["type"] == "extra_forbidden", err["type"] == "missing"), []).append(err)
    diags = []
    for (path, unknown, missing), errs in by_path.items():
        err = errs[0]
        if unknown:
            key = path[-1] if path else "?"
            fields = list(_model_for(path[:-1]).model_fields)
            diags.append(doc.diagnostic("schema-unknown-key", f"unknown key `{key}`", path, key=True,
                                        hint=did_you_mean(str(key), fields) or f"allowed keys: {', '.join(fields)}"))
        elif missing:
            key = path[-1] if path else "?"
            diags.append(doc.diagnostic("schema-missing-field", f"missing required key `{key}`",
                                        path[:-1], hint=f"add `{key}:` to this mapping"))
        else:
            type_errs = [e for e in errs if e["type"].endswith(("_type", "_parsing")) or e["type"] in (
                "model_type", "dict_type", "list_type", "literal_error", "union_tag_invalid")]
            code = "schema-type" if len(type_errs) == len(errs) and not any(
                e["type"] == "literal_error" for e in errs) else "schema-value"
            msgs = sorted({e["msg"] for e in errs})
            value = _get(doc.data, path)
            shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
            diags.append(doc.diagnostic(code, f"invalid value {shown[:60]}: " + "; or ".join(msgs), path))
    return diags


def _get(data: Any, path: tuple) -> Any:
    cur = data
    for p in path:
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _column_in_value(doc: YamlDocument, path: tuple, offset: int) -> tuple[int, int]:
    """(line, column) of character `offset` inside the scalar at `path`, skipping an
    opening quote, so carets point at the offending construct, not the value start."""
    line, col = doc.locate(path)
    src = doc.lines[line - 1] if 0 < line <= len(doc.lines) else ""
    quoted = 1 if col - 1 < len(src) and src[col - 1] in "'\"" else 0
    return line, col + quoted + max(offset, 0)


def _located(d: Diagnostic, line: int, col: int) -> Diagnostic:
    return Diagnostic(**{**d.__dict__, "line": line, "column": col})


def _token_regexes(value: Any, path: tuple, depth: int = 0) -> Iterable[tuple[Any, tuple]]:
    """Every REGEX predicate value in a token dict (also under `_` extensions), with its path."""
    if isinstance(value, dict) and depth < 8:
        for k, v in value.items():
            if k == "REGEX":
                yield v, path + (k,)
            else:
                yield from _token_regexes(v, path + (k,), depth + 1)


def _check_token_regexes(doc: YamlDocument, patterns: list[list[dict]], sub: tuple, single: bool,
                         specs: list) -> list[Diagnostic]:
    out = []
    for i, (pattern, spec) in enumerate(zip(patterns, specs)):
        ppath = sub + (() if single else (i,))
        for j, tok in enumerate(pattern):
            for rx, rpath in _token_regexes(tok, ()):
                try:
                    check_token_regex(rx)
                except RegexProblem as exc:
                    hint = exc.hint or ("token regexes must compile with RE2 (no lookaround or backreferences); "
                                        "a leading guard ^(?!(?:A|B)$) of literal words is the one exception")
                    if isinstance(spec, str):  # compact form: point into the string
                        at = spec.find(f"/{rx}/") if isinstance(rx, str) else -1
                        frag = rx.find(exc.fragment) if exc.fragment and isinstance(rx, str) else -1
                        line, col = _column_in_value(doc, ppath, at + 1 + max(frag, 0) if at >= 0 else -1)
                        d = doc.diagnostic(exc.code, exc.message, ppath, hint=hint)
                        out.append(_located(d, line, col))
                    else:
                        path = ppath + (j,) + rpath
                        d = doc.diagnostic(exc.code, exc.message, path, hint=hint)
                        if exc.fragment and isinstance(rx, str) and path in doc.marks:
                            d = _located(d, *_column_in_value(doc, path, rx.find(exc.fragment)))
                        out.append(d)
    return out


def _compile_rule(doc: YamlDocument, rule: RuleModel, path: tuple, base: Path,
                  validator: Matcher, root: Path | None = None,
                  allow_outside_paths: bool = False) -> tuple[CompiledRule | None, list[Diagnostic]]:
    present = [m for m in MATCHERS if getattr(rule, m) is not None]
    if not present:
        return None, [doc.diagnostic("rule-matcher-missing", f"rule `{rule.id}` has no matcher", path,
                                     hint="add one of: phrases, phrases_file, pattern, regex")]
    if len(present) > 1:
        return None, [doc.diagnostic("rule-matcher-multiple",
                                     f"rule `{rule.id}` has {len(present)} matchers ({', '.join(present)})",
                                     path + (present[1],), key=True,
                                     hint="split it into one rule per matcher")]
    kind = present[0]
    if kind == "regex":
        try:
            rx = compile_re2(rule.regex, case_sensitive=rule.case_sensitive is not False)
        except RegexProblem as exc:
            line, col = _column_in_value(doc, path + ("regex",), rule.regex.find(exc.fragment)
                                         if exc.fragment else -1)
            d = doc.diagnostic(exc.code, exc.message, path + ("regex",), hint=exc.hint)
            return None, [_located(d, line, col)]
        return CompiledRule(rule, doc.file, "regex", regex=rx), []
    if kind == "pattern":
        raw = rule.pattern
        # one pattern (a compact string or a list of token dicts) or a list of patterns;
        # only in the latter case do YAML paths carry an index
        single = isinstance(raw, str) or (bool(raw) and all(isinstance(x, dict) for x in raw))
        specs: list = [raw] if single else list(raw or [])
        patterns: list[list[dict]] = []
        for i, spec in enumerate(specs):
            sub = path + ("pattern",) + (() if single else (i,))
            if isinstance(spec, str):
                try:
                    with warnings.catch_warnings():  # Python re's FutureWarnings name our source, not the file
                        warnings.simplefilter("ignore")
                        patterns.append(parse_compact(spec, case_sensitive=bool(rule.case_sensitive),
                                                      accent_sensitive=rule.accent_sensitive))
                except CompactPatternError as exc:
                    _, col = _column_in_value(doc, sub, exc.column)
                    d = doc.diagnostic("pattern-invalid", f"compact pattern: {exc.message}", sub,
                                       hint=exc.hint)
                    return None, [Diagnostic(**{**d.__dict__, "column": col})]
                except (RecursionError, OverflowError, ValueError) as exc:
                    return None, [doc.diagnostic("pattern-invalid", f"compact pattern: {type(exc).__name__}: "
                                                 f"{str(exc)[:200]}", sub)]
            elif isinstance(spec, list) and all(isinstance(t, dict) for t in spec) and spec:
                patterns.append(spec)
            else:
                return None, [doc.diagnostic("pattern-invalid", "a token pattern must be a compact string or a "
                                             "non-empty list of token objects", sub,
                                             hint='e.g. pattern: [{"LOWER": "se"}, {"IS_TITLE": true, "OP": "+"}]')]
        rx_diags = _check_token_regexes(doc, patterns, path + ("pattern",), single, specs)
        if rx_diags:
            return None, rx_diags
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                validator.add(f"__check__{rule.id}", patterns)
                validator.remove(f"__check__{rule.id}")
            TokenAutomaton([patterns])  # the compiled matcher: RE2 predicates, tokenizer-only attributes
        except Exception as exc:  # noqa: BLE001 - spaCy raises many types for a bad pattern
            detail = " ".join(str(exc).split())
            return None, [doc.diagnostic("pattern-invalid", f"invalid token pattern: {detail[:400]}",
                                         path + ("pattern",),
                                         hint="token attributes are spaCy Matcher keys such as ORTH, LOWER, "
                                              "NORM, IS_TITLE, LIKE_NUM, SHAPE, TEXT, OP")]
        return CompiledRule(rule, doc.file, "pattern", patterns=patterns), []
    # phrases
    rows: list[PhraseRow] = []
    if rule.phrases is not None:
        for i, p in enumerate(rule.phrases):
            if isinstance(p, str):
                rows.append(PhraseRow(p, None, i))
            else:
                rows.append(PhraseRow(p.text, p.id, i))
                rows.extend(PhraseRow(a, p.id or p.text, i) for a in p.aliases)
    else:
        fpath_yaml = path + ("phrases_file",)
        try:
            fpath = check_reference(rule.phrases_file, base, root, allow_outside=allow_outside_paths)
            read_user_text(fpath, max_bytes=MAX_PHRASES_FILE_BYTES, what="phrases file")
        except FileProblem as exc:
            if exc.code == "file-not-found":
                return None, [doc.diagnostic("phrases-file-invalid", f"phrases file not found: {base / rule.phrases_file}",
                                             fpath_yaml, hint="the path is relative to this rule file")]
            if exc.line and is_inside(base / rule.phrases_file, root or base):
                return None, [Diagnostic(code=exc.code, message=exc.message, file=str(base / rule.phrases_file),
                                         line=exc.line, column=exc.column, hint=exc.hint)]
            return None, [doc.diagnostic(exc.code, exc.message, fpath_yaml,
                                         hint=exc.hint or "the path is relative to this rule file")]
        try:
            rows = read_phrases_file(fpath)
        except PhrasesFileError as exc:
            if exc.line:
                return None, [Diagnostic(code="phrases-file-invalid", message=str(exc), file=str(fpath),
                                         line=exc.line, column=1, yaml_path="",
                                         hint="csv columns: phrase,id,aliases (aliases separated by |)")]
            return None, [doc.diagnostic("phrases-file-invalid", str(exc), fpath_yaml,
                                         hint="the path is relative to this rule file")]
    if not rows:
        return None, [doc.diagnostic("phrases-empty", f"rule `{rule.id}` has an empty phrase list",
                                     path + (present[0],))]
    idx = PhraseIndex.build(rows, case_sensitive=bool(rule.case_sensitive),
                            accent_sensitive=rule.accent_sensitive)
    return CompiledRule(rule, doc.file, "phrases", phrase_index=idx), []


@dataclass
class _FileResult:
    path: Path
    doc: YamlDocument | None
    language: str | None
    top: RuleFileModel | None
    rules: list[tuple[RuleModel, tuple]]
    tests: list[tuple[TestCase, tuple]]


def _read_file(path: Path, diags: list[Diagnostic], *, show_source: bool = True) -> _FileResult | None:
    try:
        doc = load_yaml(path, show_source=show_source)
    except RuleFileError as exc:
        diags.extend(exc.diagnostics)
        return None
    for kpath, (line, col) in doc.duplicates or []:
        diags.append(Diagnostic(code="yaml-duplicate-key", message=f"key `{kpath[-1]}` appears twice in "
                                f"the same mapping (the second would silently replace the first)",
                                file=doc.file, line=line, column=col,
                                end_line=line, end_column=col + len(str(kpath[-1])),
                                yaml_path=".".join(str(k) for k in kpath),
                                hint="a rule's canonical id goes in `canonical:`; its own name in `id:`"
                                if kpath[-1] == "id" else "remove or rename one of them",
                                source_line=doc.source_line(line)))
    data = doc.data
    if not isinstance(data, dict):
        diags.append(doc.diagnostic("not-a-mapping", "a rule file must be a YAML mapping with `language` "
                                    "and `rules`", (), hint="start the file with `version: 1` and `language: pt`"))
        return None
    top_data = {k: v for k, v in data.items() if k not in ("rules", "tests")}
    top = None
    try:
        top = RuleFileModel.model_validate(top_data)
    except ValidationError as exc:
        diags.extend(_pydantic_diags(doc, exc, ()))
    rules: list[tuple[RuleModel, tuple]] = []
    tests: list[tuple[TestCase, tuple]] = []
    for key, model, bucket in (("rules", RuleModel, rules), ("tests", TestCase, tests)):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            diags.append(doc.diagnostic("schema-type", f"`{key}` must be a list", (key,)))
            continue
        for i, item in enumerate(items):
            try:
                bucket.append((model.model_validate(item), (key, i)))
            except ValidationError as exc:
                diags.extend(_pydantic_diags(doc, exc, (key, i)))
    lang = top.language if top else (data.get("language") if isinstance(data.get("language"), str) else None)
    return _FileResult(path, doc, lang, top, rules, tests)


def check_rule_files(paths: Iterable[str | Path], *, allow_outside_paths: bool = False
                     ) -> tuple[dict[str, RulePack], list[Diagnostic]]:
    """Load, validate and compile; return packs plus every diagnostic (never raises for
    problems in the files themselves).

    `include:` and `phrases_file:` must name regular files inside the pack folder (the folder
    given, or the folder of a file given) unless `allow_outside_paths`; files outside it are
    never quoted in messages.
    """
    diags: list[Diagnostic] = []
    paths = list(paths)
    files = _discover(paths, diags)
    if not files:
        if not diags:
            diags.append(Diagnostic(code="no-rule-files", message="no rule files (*.yaml) found",
                                    file=", ".join(str(p) for p in paths) or "<none>"))
        return {}, diags
    results: dict[Path, _FileResult] = {}
    order: list[Path] = []
    roots: dict[Path, Path] = {}

    def refer(doc: YamlDocument, ipath: tuple, inc: str, base: Path, root: Path) -> Path | None:
        try:
            return check_reference(inc, base, root, allow_outside=allow_outside_paths)
        except FileProblem as exc:
            if exc.code == "file-not-found":
                diags.append(doc.diagnostic("include-missing", f"included file not found: {base / inc}", ipath,
                                            hint="include paths are relative to the including file"))
            else:
                diags.append(doc.diagnostic(exc.code, f"include: {exc.message}", ipath,
                                            hint=exc.hint or "include names a rule file (.yaml)"))
            return None

    def visit(path: Path, root: Path, stack: tuple[Path, ...],
              via: tuple[YamlDocument, tuple] | None) -> None:
        try:
            rp = path.resolve()
        except (OSError, RuntimeError, ValueError):
            rp = path
        if rp in stack:
            doc, ipath = via
            diags.append(doc.diagnostic("include-cycle", f"include cycle: {' -> '.join(p.name for p in stack + (rp,))}",
                                        ipath))
            return
        if rp in results:
            return
        if len(stack) >= MAX_INCLUDE_DEPTH:
            doc, ipath = via
            diags.append(doc.diagnostic("include-too-deep", f"includes nest more than {MAX_INCLUDE_DEPTH} "
                                        "files deep", ipath, hint="include the shared files from one place"))
            return
        inside = is_inside(path, root)
        if via is None:
            try:
                exists = path.exists()
            except (OSError, ValueError):
                exists = True  # let the reader say why
            if not exists:
                diags.append(Diagnostic(code="file-not-found", message=f"no such file: {path}", file=str(path)))
                return
        before = len(diags)
        res = _read_file(path, diags, show_source=inside or via is None)
        if via is not None and not inside:
            # a file outside the pack (allowed explicitly): report at the include, quote nothing
            doc, ipath = via
            bad = [d for d in diags[before:] if d.severity == "error"]
            del diags[before:]
            if bad:
                diags.append(doc.diagnostic(bad[0].code, f"included file {path} (outside the pack) has "
                                            f"{len(bad)} error(s), first: {bad[0].code} at line {bad[0].line}",
                                            ipath))
        elif via is not None:
            doc, ipath = via
            for k, d in enumerate(diags[before:], start=before):
                if not d.line:  # a file-level problem: point at the include that names the file
                    diags[k] = doc.diagnostic(d.code, f"included file {path}: {d.message}", ipath, hint=d.hint)
        if res is None:
            results[rp] = _FileResult(path, None, None, None, [], [])
            return
        results[rp] = res
        roots[rp] = root
        order.append(rp)
        if res.top:
            for i, inc in enumerate(res.top.include):
                child = refer(res.doc, ("include", i), inc, path.parent, root)
                if child is None:
                    continue
                visit(child, root, stack + (rp,), (res.doc, ("include", i)))
                try:
                    cres = results.get(child.resolve())
                except (OSError, RuntimeError, ValueError):
                    cres = None
                if cres and cres.language and res.language and cres.language != res.language:
                    diags.append(res.doc.diagnostic("language-mismatch", f"included file {inc} is `{cres.language}` "
                                                    f"but this file is `{res.language}`", ("include", i)))

    for f, root in files:
        visit(f, root, (), None)

    packs: dict[str, RulePack] = {}
    seen_ids: dict[str, tuple[str, int]] = {}
    resolution_src: dict[str, tuple[ResolutionModel, YamlDocument]] = {}
    validator = Matcher(Vocab(), validate=True)
    # pass 1: labels and resolution per language
    for rp in order:
        res = results[rp]
        if not res.language or res.top is None:
            continue
        pack = packs.setdefault(res.language, RulePack(language=res.language))
        pack.files.append(str(res.path))
        pack.labels.update(res.top.labels)
        if res.top.resolution is not None:
            r = res.top.resolution
            if not is_known_policy(r.policy):
                diags.append(res.doc.diagnostic("policy-unknown", f"unknown resolution policy `{r.policy}`",
                                                ("resolution", "policy"),
                                                hint=did_you_mean(r.policy, POLICIES) or
                                                f"one of: {', '.join(sorted(POLICIES))}"))
            prev = resolution_src.get(res.language)
            if prev and prev[0] != r:
                diags.append(res.doc.diagnostic("resolution-conflict", f"a different `resolution:` for language "
                                                f"`{res.language}` is already set in {prev[1].file}",
                                                ("resolution",), hint="keep one resolution section per language pack"))
            else:
                resolution_src[res.language] = (r, res.doc)
                pack.resolution = ResolutionConfig(
                    policy=r.policy, keep_nested=r.keep_nested, source_order=tuple(r.source_order),
                    source_priority=(("grammar", r.grammar_priority), ("model", r.model_priority)))
    # pass 2: rules and tests
    for rp in order:
        res = results[rp]
        if not res.language or res.language not in packs:
            continue
        pack = packs[res.language]
        labels = set(pack.labels) | {"INEQUALITY"}
        for rule, path in res.rules:
            key = f"{res.language}:{rule.id}"
            if key in seen_ids:
                f0, l0 = seen_ids[key]
                diags.append(res.doc.diagnostic("rule-duplicate-id", f"rule id `{rule.id}` is already used at "
                                                f"{f0}:{l0}", path + ("id",), hint="rule ids must be unique in a pack"))
                continue
            seen_ids[key] = (res.doc.file, res.doc.locate(path)[0])
            if rule.label not in labels:
                diags.append(res.doc.diagnostic("label-unknown", f"label `{rule.label}` is not declared in "
                                                f"`labels:`", path + ("label",),
                                                hint=did_you_mean(rule.label, labels) or
                                                f"declare it under labels: (declared: {', '.join(sorted(labels))})"))
                continue
            try:
                compiled, cd = _compile_rule(res.doc, rule, path, res.path.parent, validator,
                                             roots.get(rp), allow_outside_paths)
            except Exception as exc:  # noqa: BLE001 - last resort: a located error, never a traceback
                compiled, cd = None, [res.doc.diagnostic(
                    "rule-compile-failed", f"rule `{rule.id}` could not be compiled: "
                    f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}", path,
                    hint="please report this with the rule; meanwhile simplify the rule")]
            diags.extend(cd)
            if compiled is not None:
                pack.rules.append(compiled)
        for case, path in res.tests:
            ok = True
            for j, exp in enumerate(case.expect):
                if exp.label and exp.label not in labels:
                    ok = False
                    diags.append(res.doc.diagnostic("label-unknown", f"test expects undeclared label `{exp.label}`",
                                                    path + ("expect", j, "label"),
                                                    hint=did_you_mean(exp.label, labels)))
            if ok:
                pack.tests.append(LoadedTest(case, res.doc.file, path[1], res.doc.locate(path)[0]))
    # deterministic rule order: by id, so file order never matters downstream
    for pack in packs.values():
        pack.rules.sort(key=lambda r: r.id)
    return packs, diags


def load_rule_files(paths: Iterable[str | Path], *, allow_outside_paths: bool = False
                    ) -> dict[str, RulePack]:
    """Like `check_rule_files` but raises `RuleFileError` (with every error) on any error."""
    packs, diags = check_rule_files(list(paths), allow_outside_paths=allow_outside_paths)
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise RuleFileError(errors)
    return packs
