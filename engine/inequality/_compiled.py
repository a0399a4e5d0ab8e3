"""Compiled grammar modules: used only while they match their source.

`ENTREC_COMPILE=1 pip install ...` (see setup.py) compiles the grammar's hot modules with
Cython from their unchanged `.py` files and records the SHA-256 of each source it compiled in
`_compiled_sources.json`. Python's import system prefers a compiled file to a `.py` of the
same name, so after an edit (an editable install, a checkout) the compiled file would run
the old code. `install_guard` runs before any of these modules is imported: if the record is
missing, any hash differs, or `ENTREC_PURE_PYTHON=1` is set, every compiled module is loaded
from its `.py` instead (all or none, so compiled and source versions never mix).
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["COMPILED_MODULES", "NATIVE_MODULES", "NATIVE_INCLUDES", "FORCED_HEADER", "MANIFEST",
           "PURE_ENV", "CompiledStatus", "install_guard", "check_build", "native_pass3", "native_raw_scanner",
           "source_digest", "module_digest", "module_files"]

#: the modules setup.py compiles from their `.py` (setup.py reads these lists from this file)
COMPILED_MODULES = ("interval", "numbers", "scanner", "refine", "bound_plan", "lr_memo", "parser",
                    "extractor", "source")
#: compiled-only modules (C loops with no `.py` twin; the `.py` modules keep the reference
#: code and use these only in a current compiled build): module -> its Cython source
NATIVE_MODULES = {"_rawscan": "_rawscan.pyx", "_scanloop": "_scanloop.pyx",
                  "_slotfill": "_slotfill.pyx", "_refineloop": "_refineloop.pyx",
                  "_parsewin": "_parsewin.pyx", "_triggers": "_triggers.pyx"}
#: files a compiled-only module includes (Cython `include`): recorded with its source, so an
#: edit of a shared include makes every module that includes it stale
NATIVE_INCLUDES = {"_rawscan": ("_rawview.pxi",), "_scanloop": ("_rawview.pxi",)}
#: a C header setup.py forces into every compiled module (`-include`: the string equality
#: of `_streq.h`): recorded with each module's source, so editing it makes the build stale
FORCED_HEADER = "_streq.h"
MANIFEST = "_compiled_sources.json"
PURE_ENV = "ENTREC_PURE_PYTHON"


@dataclass(frozen=True)
class CompiledStatus:
    """What this process runs: `modules` compiled (empty: all pure Python), and why."""

    modules: tuple[str, ...]
    reason: str

    @property
    def compiled(self) -> bool:
        return bool(self.modules)

    def describe(self) -> str:
        if self.modules:
            total = len(COMPILED_MODULES) + len(NATIVE_MODULES)
            return f"compiled ({len(self.modules)}/{total} grammar modules)"
        return f"pure Python ({self.reason})"

    def uses(self, module: str) -> bool:
        return module in self.modules


def _compiled_file(folder: Path, module: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{module}{suffix}"
        if path.is_file():
            return path
    return None


def source_digest(path: Path) -> str:
    """The SHA-256 of one source file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def module_files(module: str) -> tuple[str, ...]:
    """The files a compiled module is built from: its source, its includes, the forced header."""
    return (NATIVE_MODULES.get(module, f"{module}.py"), *NATIVE_INCLUDES.get(module, ()),
            FORCED_HEADER)


def module_digest(folder: Path, module: str) -> str:
    """What the build records per module and the guard compares (setup.py uses it too): the
    digest of its source and of each file it includes, in turn (`module_files`). Raises
    OSError when a file is missing."""
    source, *includes = module_files(module)
    digest = hashlib.sha256((folder / source).read_bytes())
    for name in includes:
        digest.update(b"\0" + name.encode() + b"\0" + (folder / name).read_bytes())
    return digest.hexdigest()


def check_build(folder: Path, environ: dict[str, str] | None = None) -> CompiledStatus:
    """Decide, without importing anything, whether the compiled files in `folder` may run.
    With the process environment, decided once per folder (the package's guard and the
    scanner both ask at import; the sources are hashed once)."""
    if environ is None:
        return _check_process_build(str(folder), os.environ.get(PURE_ENV, ""))
    return _check_build(folder, environ)


@functools.lru_cache(maxsize=8)
def _check_process_build(folder: str, pure: str) -> CompiledStatus:
    return _check_build(Path(folder), {PURE_ENV: pure})


def _check_build(folder: Path, env: dict[str, str]) -> CompiledStatus:
    present = tuple(m for m in COMPILED_MODULES if _compiled_file(folder, m) is not None)
    if not present:
        return CompiledStatus((), "no compiled build")
    if env.get(PURE_ENV, "").strip() not in ("", "0"):
        return CompiledStatus((), f"{PURE_ENV} is set")
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return CompiledStatus((), f"no readable {MANIFEST} beside the compiled files")
    native = tuple(m for m in NATIVE_MODULES if _compiled_file(folder, m) is not None)
    for module in present + native:
        files = module_files(module)
        try:
            digest = module_digest(folder, module)
        except OSError:
            missing = next((f for f in files if not (folder / f).is_file()), files[0])
            return CompiledStatus((), f"{missing} is missing")
        if recorded.get(module) != digest:
            return CompiledStatus((), f"{' or '.join(files)} changed since it was compiled "
                                      "(rebuild: make compile)")
    return CompiledStatus(present + native, "compiled")


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the listed modules at their `.py` files (ahead of the compiled ones)."""

    def __init__(self, sources: dict[str, Path]):
        self.sources = sources

    def find_spec(self, fullname, path=None, target=None):
        source = self.sources.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def _unlisted_compiled(folder: Path) -> list[str]:
    """Modules of `folder` with a `.py` and a compiled file the build does not list (a
    leftover of an earlier build with another module list): never imported compiled."""
    return sorted(p.stem for p in folder.glob("*.py")
                  if p.stem not in COMPILED_MODULES and _compiled_file(folder, p.stem) is not None)


def install_guard(package: str, folder: Path) -> CompiledStatus:
    """Call from the package's `__init__`, before importing the listed modules."""
    status = check_build(folder)
    present = [m for m in COMPILED_MODULES if _compiled_file(folder, m) is not None]
    stale = present if present and not status.compiled else []
    stale = stale + _unlisted_compiled(folder)
    if stale:
        sources = {f"{package}.{m}": folder / f"{m}.py" for m in stale}
        if not any(isinstance(f, _SourceFinder) and f.sources == sources for f in sys.meta_path):
            sys.meta_path.insert(0, _SourceFinder(sources))
    return status


def _native(module: str, name: str):
    """`name` from the compiled-only `module` when this build has a current one, else None
    (the scanner then runs its Python loop)."""
    if not check_build(Path(__file__).resolve().parent).uses(module):
        return None
    # by name: the module exists only compiled (a leaf: it imports nothing of entrec), and
    # import-graph tools reading `.py` files would take `from ._rawscan` for the package
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def native_has_trigger():
    """`_triggers.has_trigger` (a digit or comparator in a text, in C), or None."""
    return _native("_triggers", "has_trigger")


def native_has_word():
    """`_triggers.has_word` (a number word in a text, in C), or None."""
    return _native("_triggers", "has_word")


def native_raw_scanner():
    """The scanner's compiled passes 1 and 2 (`_rawscan.RawScanner`, built per scanner), or
    None."""
    return _native("_rawscan", "RawScanner")


def _slot_native(name: str, *args):
    """`_slotfill.<name>(*args)`, or None when this build has no current `_slotfill` or the
    class in `args` has no slots it can use (its constructors raise TypeError then)."""
    make = _native("_slotfill", name)
    if make is None:
        return None
    try:
        return make(*args)
    except TypeError:
        return None


def native_slot_filler(cls):
    """`_slotfill.SlotFiller(cls)` (builds `cls` instances by filling their slots), or None."""
    return _slot_native("SlotFiller", cls)


def native_windows():
    """`_parsewin.windows` (the parser's parse windows in one C pass), or None."""
    return _native("_parsewin", "windows")


def native_slot_codes(cls, field: str):
    """`_slotfill.SlotCodes(cls, field)` (one slot of each object mapped to a code string),
    or None."""
    return _slot_native("SlotCodes", cls, field)


def native_refine(refiner, module):
    """`_refineloop.RefineLoop` for `refiner` (a `refine.Refiner`; `module`: the refine
    module, whose constants and reference functions it reads), or None when this build has
    no current one or the module's `Tok` has no slots to read."""
    loop = _native("_refineloop", "RefineLoop")
    slots = _slot_native("slot_offsets", module.Tok)
    if loop is None or slots is None:
        return None
    return loop(refiner, module, slots)


def native_pass3():
    """The scanner's compiled pass 3 (`_scanloop.Pass3`, built per scanner), or None."""
    return _native("_scanloop", "Pass3")
