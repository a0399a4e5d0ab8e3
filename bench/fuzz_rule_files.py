"""Mutate the default rule packs and check that every failure is a located diagnostic.

Each case copies one default pack (pt or en: YAML plus phrase CSVs), applies one to three
random mutations to one of its files (bytes, lines, hostile values, alias bombs, paths,
regexes), then runs what `entrec validate` runs (`check_rule_files`) and, when the pack is
still valid, builds the matcher; every `--dry-run-every`-th case also runs what `entrec
dry-run` runs (`Engine.load` with the grammar + the embedded tests). It counts:

  traceback   an exception that is not an `EntrecError` (what the CLI would print as a traceback)
  timeout     a case that took longer than --timeout seconds
  unlocated   an error diagnostic without file:line:col (or an EntrecError without one)
  invalid / valid   cases that were refused with located errors / still loaded

Usage:  .venv/bin/python bench/fuzz_rule_files.py --cases 2000 --seed 16
        .venv/bin/python bench/fuzz_rule_files.py --kinds     (each listed kind, timed)
Exit status 1 if any traceback, timeout or unlocated error was seen.
"""
from __future__ import annotations

import argparse
import collections
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

HOSTILE_VALUES = [
    "..", ".", "/etc/passwd", "/etc/shadow", "/dev/zero", "/dev/stdin", '"a\\0b.yaml"', "a" * 300 + ".csv",
    "9" * 5000, "0b" + "1" * 5000, "[" * 500 + "]" * 500, "{" * 300 + "}" * 300, "&r [*r]", "*nope",
    "{REGEX: '(x+x+)+y'}", "[{TEXT: {REGEX: '(a'}}]", "[{TEXT: {REGEX: '(x+x+)+y'}}]",
    '"\\ud800"', '"SE \\udfff"', "'(a'", "'a(?=b)'", "'" + "(" * 1000 + "a" + ")" * 1000 + "'",
    "!!python/object/apply:os.system [ls]", "!!binary aGVsbG8=", "2024-13-45", "2024-02-30 25:61:00",
    "-1", "1e999", ".nan", "null", "[]", "{}", "true", "''", '"\\x1b[31m"', "\"\\uFFFE\"", "~",
    "'/(x+x+)+y/'", "'SE [TITEL]+'", "'SE /(?<=a)b/'", "'\\\\1'", "{a: 1, a: 2}", "[*a, *a]",
    "&a [x, *a]", "{<<: *x}", "subestacoes.csv/", "../pt/base.yaml", "base.yaml", "agentes.yaml",
    "!!set {a, b}", "!!omap [a: 1]", "!!timestamp x", "!!int x", "!!float x", "? [a]\n  : b",
]
HOSTILE_CHARS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028",
                 "\ufeff", "\ufffe", "\uffff", "\t", "\r", "\n", "[", "]", "{", "}", ":", "-", "&", "*",
                 "!", "|", ">", '"', "'", "#", "%", "@", "`", ",", "?", " ", "\\", "é", "💥", "\u0301"]
BOMB = ('lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n'
        + "".join(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 8)))


def mutate(text: str, rnd: random.Random) -> str:
    """One random mutation of a rule file (or CSV) text."""
    lines = text.split("\n")
    kind = rnd.choice(["char", "char", "delete", "dupline", "swap", "truncate", "value", "value",
                       "value", "value", "bomb", "indent", "regex", "regex", "path", "path", "splice"])
    pos = rnd.randrange(len(text) + 1)
    if kind == "char":
        return text[:pos] + rnd.choice(HOSTILE_CHARS) * rnd.choice([1, 1, 2, 50]) + text[pos:]
    if kind == "delete":
        return text[:pos] + text[pos + rnd.randint(1, 60):]
    if kind == "truncate":
        return text[:pos]
    if kind == "dupline" and lines:
        i = rnd.randrange(len(lines))
        lines.insert(i, lines[i])
        return "\n".join(lines)
    if kind == "swap" and len(lines) > 1:
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    if kind == "indent" and lines:
        i = rnd.randrange(len(lines))
        lines[i] = (" " * rnd.choice([1, 2, 4]) + lines[i]) if rnd.random() < 0.5 else lines[i].lstrip()
        return "\n".join(lines)
    if kind == "bomb":
        return BOMB + text if rnd.random() < 0.5 else text + "\n" + BOMB.replace("lol", "zz")
    if kind == "splice":
        a, b = sorted(rnd.randrange(len(text) + 1) for _ in range(2))
        return text[:pos] + text[a:b] + text[pos:]
    if kind in ("regex", "path"):
        # aim at the lines that hold regexes / paths, so the value reaches its compiler
        marks = ("regex:", "REGEX:", "pattern:", "- '") if kind == "regex" else ("include:", "phrases_file:")
        spots = [i for i, ln in enumerate(lines) if any(m in ln for m in marks)]
        if spots and rnd.random() < 0.8:
            i = rnd.choice(spots)
            if kind == "regex":
                rx = rnd.choice(["(x+x+)+y", "(a", "a(?=b)", "(" * 1000 + "a" + ")" * 1000, "(a+)+$",
                                 "(" * 300 + "a" + ")" * 300, "\\ud800", "[[:alpha:]", "a{1001}",
                                 "(?P<n>a)(?P=n)", "\\1", "x**", "(?<=a)b"])
                if "REGEX: '" in lines[i]:
                    lines[i] = re.sub(r"REGEX: '[^']*'", lambda _: f"REGEX: '{rx}'", lines[i], count=1)
                elif "/" in lines[i]:
                    lines[i] = re.sub(r"/[^/ ]+/", lambda _: f"/{rx}/", lines[i], count=1)
                else:
                    lines[i] = re.sub(r"'[^']*'", lambda _: f"'{rx}'", lines[i], count=1)
            else:
                value = rnd.choice(["..", ".", "/etc/passwd", "/dev/zero", '"x\\0y"', "a" * 300,
                                    "/etc/shadow", "../../../../etc/hostname", "../en/grid.yaml", "/proc/self/environ"])
                key, _, rest = lines[i].partition(":")
                lines[i] = f"{key}: [{value}]" if "include" in key else f"{key}: {value}"
            return "\n".join(lines)
    if kind in ("value", "regex", "path"):
        keyed = [i for i, ln in enumerate(lines) if ": " in ln]
        if not keyed:
            return text + "\n" + rnd.choice(HOSTILE_VALUES)
        i = rnd.choice(keyed)
        key = lines[i].split(": ", 1)[0]
        if kind == "regex":
            key = key[: len(key) - len(key.lstrip())] + rnd.choice(["regex", "pattern", "    pattern"])
            value = rnd.choice(["'(x+x+)+y'", "[{TEXT: {REGEX: '(x+x+)+y'}}]", "'(a'", "'a(?=b)'",
                                "'" + "(" * 1000 + "a" + ")" * 1000 + "'", "'/(a+)+$/ x'",
                                "[{TEXT: {REGEX: '" + "(" * 300 + "a" + ")" * 300 + "'}}]", '"\\ud800"'])
        elif kind == "path":
            key = key[: len(key) - len(key.lstrip())] + rnd.choice(["include", "phrases_file", "- phrases_file"])
            value = rnd.choice(["[..]", "..", "[/etc/passwd]", "/dev/zero", '"x\\0y"', "a" * 300,
                                "[" + "b" * 300 + ".yaml]", "/etc/shadow", "[.]", "../../../../etc/hostname"])
        else:
            value = rnd.choice(HOSTILE_VALUES)
        lines[i] = f"{key}: {value}"
        return "\n".join(lines)
    return text + rnd.choice(HOSTILE_CHARS)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ANN001
    raise _Timeout()


def _located(d) -> bool:  # noqa: ANN001
    return bool(d.file) and d.line >= 1 and d.column >= 1


def run_case(pack_dir: Path, dry_run: bool) -> tuple[str, str]:
    """(outcome, detail) for the pack in `pack_dir`."""
    from spacy.vocab import Vocab

    from entrec.engine.dryrun import run_tests
    from entrec.engine.engine import Engine
    from entrec.engine.errors import EntrecError, RuleFileError
    from entrec.engine.rules.loader import check_rule_files

    packs, diags = check_rule_files([pack_dir])
    for d in diags:
        d.format().encode("utf-8")  # printable, as the CLI prints it
    errors = [d for d in diags if d.severity == "error"]
    bad = [d for d in errors if not _located(d)]
    if bad:
        return "unlocated", bad[0].format()
    internal = [d for d in errors if d.code == "rule-compile-failed"]
    if internal:
        return "internal", internal[0].format()
    if not errors:
        for pack in packs.values():
            pack.source(Vocab())  # build the matcher as Engine.load does
    if dry_run:  # valid or not, as `entrec dry-run` would be run on it
        try:
            engine = Engine.load(rules=[pack_dir])  # what `entrec dry-run` loads
            run_tests(engine)
        except RuleFileError as exc:
            if not all(_located(d) for d in exc.diagnostics if d.severity == "error"):
                return "unlocated", str(exc)
        except EntrecError as exc:
            return "unlocated", f"{type(exc).__name__}: {exc}"
        else:
            if errors:
                return "unlocated", "dry-run loaded a pack that validate refused"
    if errors:
        return "invalid", errors[0].code
    return "valid", ""


def run_lexicon_case(text: str, name: str) -> tuple[str, str]:
    from entrec.engine.errors import LexiconError
    from entrec.engine.inequality.lexicon import parse_lexicon

    try:
        parse_lexicon(text, name)
    except LexiconError as exc:
        for d in exc.diagnostics:
            d.format().encode("utf-8")
        bad = [d for d in exc.diagnostics if d.severity == "error" and not _located(d)]
        return ("unlocated", bad[0].format()) if bad else ("invalid", exc.diagnostics[0].code)
    return "valid", ""


HEAD = "version: 1\nlanguage: pt\nlabels:\n  SUBESTACAO: s\n"
RULE = "rules:\n  - id: pt.a\n    label: SUBESTACAO\n"
#: the kinds issue 16 lists, exact inputs: name -> rule file body after HEAD
KINDS = {
    "ESC byte": "rules: []\n# \x1b[31m\n",
    "U+FFFE": "rules: []\nx: \ufffe\n",
    "include: [..]": "include: [..]\n",
    "phrases_file: folder": RULE + "    phrases_file: sub\n",
    "NUL in a path": 'include: ["a\\0b.yaml"]\n',
    "300-char file name": "include: [" + "a" * 300 + ".yaml]\n",
    "5,000-digit integer": RULE + "    phrases: [x]\n    priority: " + "9" * 5000 + "\n",
    "500 nested brackets": "x: " + "[" * 500 + "]" * 500 + "\n",
    "x: &r [*r]": "x: &r [*r]\n",
    "invalid token REGEX": RULE + "    pattern: [{TEXT: {REGEX: '(a'}}]\n",
    "lone surrogate in regex": RULE + '    regex: "a\\ud800"\n',
    "lone surrogate in phrase": RULE + '    phrases: ["SE \\udc80"]\n',
    "phrases_file: /dev/zero": RULE + "    phrases_file: /dev/zero\n",
    "include: [/etc/passwd]": "include: [/etc/passwd]\n",
    "phrases_file: /etc/shadow": RULE + "    phrases_file: /etc/shadow\n",
    "billion laughs, 7 levels": ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                                 + "".join(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n"
                                           for p, n in zip("abcdef", "bcdefg"))),
    "(x+x+)+y token REGEX": RULE + "    pattern: [{TEXT: {REGEX: '(x+x+)+y'}}]\n",
    "1,000 nested capture groups": RULE + "    regex: '" + "(" * 1000 + "a" + ")" * 1000 + "'\n",
}


def run_kinds() -> int:
    """Time each listed kind through `check_rule_files`; print code and location."""
    from entrec.engine.rules.loader import check_rule_files

    bad = 0
    with tempfile.TemporaryDirectory(prefix="entrec-kinds-") as tmp:
        pack = Path(tmp) / "pack"
        (pack / "sub").mkdir(parents=True)
        for name, body in KINDS.items():
            f = pack / "r.yaml"
            f.write_text(HEAD + body, encoding="utf-8")
            t0 = time.perf_counter()
            _, diags = check_rule_files([pack])
            took = time.perf_counter() - t0
            errs = [d for d in diags if d.severity == "error"]
            where = ", ".join(f"{d.code} at {Path(d.file).name}:{d.line}:{d.column}" for d in errs) or "loads"
            located = all(d.line >= 1 and d.column >= 1 for d in errs)
            bad += not located
            print(f"  {name:30} {len(body.encode()):6} B  {took * 1000:8.1f} ms  {where}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--dry-run-every", type=int, default=10, help="0: never run dry-run")
    ap.add_argument("--show", type=int, default=5, help="failures shown in full")
    ap.add_argument("--lexicon-cases", type=int, default=200,
                    help="also mutate the inequality lexicons this many times")
    ap.add_argument("--kinds", action="store_true", help="only time the kinds issue 16 lists")
    args = ap.parse_args(argv)
    if args.kinds:
        return run_kinds()

    from entrec.engine.paths import rules_dir

    src = rules_dir()
    rnd = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    codes: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    slowest = (0.0, -1)
    signal.signal(signal.SIGALRM, _alarm)
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="entrec-fuzz-") as tmp:
        for case in range(args.cases):
            lang = rnd.choice(["pt", "pt", "pt", "en"])
            pack = Path(tmp) / f"c{case}" / lang
            shutil.copytree(src / lang, pack)
            files = sorted(p for p in pack.iterdir() if p.is_file())
            target = rnd.choice([f for f in files if f.suffix == ".yaml"] * 4 + files)
            text = target.read_text(encoding="utf-8")
            for _ in range(rnd.choice([1, 1, 1, 2, 3])):
                text = mutate(text, rnd)
            target.write_text(text, encoding="utf-8", errors="surrogatepass")
            dry = bool(args.dry_run_every) and case % args.dry_run_every == 0
            t0 = time.perf_counter()
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                outcome, detail = run_case(pack, dry)
            except _Timeout:
                outcome, detail = "timeout", f"> {args.timeout} s"
            except Exception:  # noqa: BLE001 - this is what we count
                outcome, detail = "traceback", traceback.format_exc(limit=-6)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - t0
            slowest = max(slowest, (took, case))
            counts[outcome] += 1
            if outcome == "invalid":
                codes[detail] += 1
            if outcome in ("traceback", "timeout", "unlocated", "internal"):
                failures.append(f"--- case {case} ({lang}/{target.name}): {outcome}\n{detail}")
                bad_copy = Path("/tmp") / f"entrec-fuzz-case-{case}-{target.name}"
                bad_copy.write_text(text, encoding="utf-8", errors="surrogatepass")
            shutil.rmtree(pack.parent)
            if (case + 1) % 200 == 0:
                print(f"  {case + 1} cases, {dict(counts)}", file=sys.stderr, flush=True)
        lex_counts: collections.Counter[str] = collections.Counter()
        from entrec.engine.paths import grammars_dir

        for case in range(args.lexicon_cases):
            name = rnd.choice(["pt.yaml", "en.yaml"])
            text = (grammars_dir() / "lexicon" / name).read_text(encoding="utf-8")
            for _ in range(rnd.choice([1, 1, 2])):
                text = mutate(text, rnd)
            signal.setitimer(signal.ITIMER_REAL, args.timeout)
            try:
                outcome, detail = run_lexicon_case(text, name)
            except _Timeout:
                outcome, detail = "timeout", f"> {args.timeout} s"
            except Exception:  # noqa: BLE001
                outcome, detail = "traceback", traceback.format_exc(limit=-6)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            lex_counts[outcome] += 1
            if outcome in ("traceback", "timeout", "unlocated"):
                failures.append(f"--- lexicon case {case} ({name}): {outcome}\n{detail}")
    elapsed = time.perf_counter() - t_start
    for f in failures[: args.show]:
        print(f)
    print(f"fuzz_rule_files: {args.cases} mutations of the default packs, seed {args.seed}, "
          f"dry-run on every {args.dry_run_every or 'no'}th, {elapsed:.0f} s")
    for k in ("traceback", "timeout", "unlocated", "internal", "invalid", "valid"):
        print(f"  {k:10} {counts[k]:5}")
    print(f"  slowest case: {slowest[0]:.2f} s (case {slowest[1]})")
    print("  refusal codes: " + ", ".join(f"{c} {n}" for c, n in codes.most_common()))
    print(f"lexicons: {args.lexicon_cases} mutations: "
          + ", ".join(f"{k} {lex_counts[k]}" for k in ("traceback", "timeout", "unlocated", "invalid", "valid")))
    bad = sum(counts[k] + lex_counts[k] for k in ("traceback", "timeout", "unlocated", "internal"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
