"""Optional compiled build of the inequality grammar's hot modules (metadata: pyproject.toml).

    ENTREC_COMPILE=1        pip install -e .   # compile with Cython if it can, else pure Python
    ENTREC_COMPILE=require  python -m build    # compile or fail the build
    (unset / 0)             pure Python: the py3-none-any wheel Glue installs

The modules are compiled from their own `.py` source, unchanged (Cython 3, Python semantics),
so there is one source of truth and the pure modules remain the reference. Next to the
compiled files the build writes `_compiled_sources.json` (module -> SHA-256 of the source
it was compiled from); `entrec.engine.inequality` uses a compiled module only while that
hash still matches its `.py`, so an edited source is never shadowed by a stale build.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
PACKAGE = "entrec.engine.inequality"
FOLDER = ROOT / "engine" / "inequality"


def _guard_module():
    """engine/inequality/_compiled.py (stdlib only), read from its file: the module lists and
    the record's name are defined once, where the import guard reads them."""
    spec = importlib.util.spec_from_file_location("_entrec_compiled_guard", FOLDER / "_compiled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


_GUARD = _guard_module()
MODULES = _GUARD.COMPILED_MODULES  # compiled from their .py
NATIVE = _GUARD.NATIVE_MODULES  # compiled-only C loops (the .py modules hold the reference code)
MANIFEST = _GUARD.MANIFEST
MODE = os.environ.get("ENTREC_COMPILE", "0").strip().lower()
if MODE not in ("0", "", "1", "require"):
    sys.exit(f"ENTREC_COMPILE={MODE!r}: expected 0, 1 or require")


def _can_compile() -> str | None:
    """None when a C extension builds here, else why not. Decided before `setup()` so a
    machine without a compiler gets the pure `py3-none-any` wheel (the wheel's tag is fixed
    before any extension is built)."""
    import tempfile

    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler, get_python_inc

    try:
        cc = new_compiler()
        customize_compiler(cc)
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "probe.c"
            src.write_text("#include <Python.h>\nint entrec_probe(void) { return 0; }\n")
            cc.compile([str(src)], output_dir=tmp, include_dirs=[get_python_inc()])
    except Exception as exc:  # CompileError, a missing compiler, missing Python headers
        return f"{type(exc).__name__}: {exc}"
    return None


def _extensions() -> list:
    if MODE in ("0", ""):
        return []
    why = _can_compile()
    if why is not None:
        if MODE == "require":
            sys.exit(f"ENTREC_COMPILE=require but no C extension can be built here: {why}")
        print(f"entrec: no C compiler usable ({why}); building pure Python", file=sys.stderr)
        return []
    try:
        from Cython import __version__ as cython_version
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError as exc:
        if MODE == "require":
            sys.exit(f"ENTREC_COMPILE=require but Cython is not importable: {exc}")
        print(f"entrec: Cython not available ({exc}); building pure Python", file=sys.stderr)
        return []
    # -g0: no debug sections (2.2 MB -> a few hundred KB per module)
    sources = {m: f"{m}.py" for m in MODULES} | NATIVE
    # -include: the grammar's string equality helper replaces Cython's (see _streq.h)
    streq = str(FOLDER / _GUARD.FORCED_HEADER)
    # (depends: an edited header recompiles every module, as the guard expects)
    exts = [Extension(f"{PACKAGE}.{m}", [f"engine/inequality/{src}"], depends=[streq],
                      extra_compile_args=["-g0", "-include", streq])
            for m, src in sources.items()]
    # annotation_typing off: annotations stay hints, as in CPython (with it on, Cython turns
    # `x: str` into an exact-type check that rejects str subclasses such as lark's Token)
    directives = {"language_level": 3, "annotation_typing": False}
    # cythonize regenerates C only for a newer .py: other directives, or another Cython,
    # get another folder
    tag = hashlib.sha256(json.dumps([directives, cython_version], sort_keys=True).encode()).hexdigest()[:8]
    return cythonize(exts, build_dir=f"build/cython-{tag}", quiet=True, compiler_directives=directives)


class OptionalBuildExt(build_ext):
    """Compiles what it can; with ENTREC_COMPILE=1 a failed compile leaves pure Python (a
    machine without a C compiler still installs), with `require` it fails the build."""

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            super().run()
        except Exception as exc:  # CCompilerError, DistutilsExecError, PlatformError, ...
            if MODE == "require":
                raise
            print(f"entrec: compiling the grammar modules failed ({exc}); pure Python is used",
                  file=sys.stderr)
            # nothing half-built or left from an earlier build may ship or shadow a source
            for ext in self.extensions:
                Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            return
        # the manifest goes where the compiled files went (the source tree for an editable
        # install, the build folder for a wheel)
        out = Path(self.get_ext_fullpath(self.extensions[0].name)).parent
        sources = {m: f"{m}.py" for m in MODULES} | NATIVE
        manifest = {m: _GUARD.module_digest(FOLDER, m) for m in sources}
        (out / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                    encoding="utf-8")

    def get_outputs(self) -> list[str]:
        outs = super().get_outputs()
        if self.extensions:
            manifest = Path(self.get_ext_fullpath(self.extensions[0].name)).parent / MANIFEST
            if manifest.is_file():
                outs.append(str(manifest))
        return outs


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
