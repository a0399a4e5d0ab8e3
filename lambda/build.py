#!/usr/bin/env python3
"""Build the two Lambda zips: `dist/lambda-proxy.zip` and `dist/lambda-authorizer.zip`.

Each zip holds its handler at the top level, `entrec_tokens.py` (a verbatim copy of
`keyset/__init__.py`: the one key-set/route schema shared with the CLI) and only the
third-party packages its `lambda/requirements-<name>.txt` lists, minus what the Lambda
Python runtime already ships (boto3, botocore, s3transfer, jmespath, urllib3, dateutil, six).

    python lambda/build.py                          # for Lambda: manylinux wheels, CPython 3.12, x86_64
    python lambda/build.py --arch arm64             # Graviton functions
    python lambda/build.py --platform local --source env   # this machine, offline (tests)

`--platform lambda` asks pip for wheels built for the Lambda platform (`--platform
manylinux*_<arch> --only-binary=:all: --python-version 3.12 --implementation cp`): the
authorizer carries cryptography's compiled extension, so a zip built for this machine's
Python would not load there. `--source env` copies the packages installed in the running
interpreter instead of downloading (offline, exact versions of the dev venv; for tests only:
the binaries then match this machine, not Lambda).

Zips are deterministic (sorted entries, fixed timestamps). With a matching interpreter
(`--compile-python`, auto-detected as `python3.12`) sources are precompiled with
unchecked-hash .pyc files: /var/task is read-only, so without them every cold start
recompiles every module.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOKENS_SRC = ROOT / "keyset" / "__init__.py"

# Shipped by the Lambda Python runtime; never bundled (smaller zip, AWS patches them).
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
PLATFORMS = {
    "x86_64": ["manylinux2014_x86_64", "manylinux_2_28_x86_64", "manylinux_2_34_x86_64"],
    "arm64": ["manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"],
}


@dataclass(frozen=True)
class Package:
    name: str  # zip stem: lambda-<name>.zip
    handler: str  # module file in lambda/
    requirements: Path


PACKAGES = {
    "proxy": Package("proxy", "lambda_function.py", HERE / "requirements-proxy.txt"),
    "authorizer": Package("authorizer", "authorizer.py", HERE / "requirements-authorizer.txt"),
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_requirements(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


# --- source "env": copy installed distributions (offline) -------------------------------

def env_closure(requirements: list[str], exclude: set[str]) -> list[md.Distribution]:
    """The installed distributions a requirement list needs, following Requires-Dist + extras."""
    from packaging.requirements import Requirement

    seen: dict[str, md.Distribution] = {}
    todo = [(Requirement(r), ()) for r in requirements]
    while todo:
        req, parent_extras = todo.pop()
        key = _norm(req.name)
        if key in exclude:
            continue
        if req.marker is not None:
            envs = [{"extra": e} for e in parent_extras] or [{"extra": ""}]
            if not any(req.marker.evaluate(e) for e in envs):
                continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            raise SystemExit(f"build: {req.name} is not installed here; use --source pip") from None
        new_extras = tuple(req.extras)
        if key in seen and not new_extras:
            continue
        seen[key] = dist
        for dep in dist.requires or []:
            todo.append((Requirement(dep), new_extras))
    return sorted(seen.values(), key=lambda d: _norm(d.metadata["Name"]))


def copy_from_env(requirements: list[str], target: Path, exclude: set[str]) -> list[str]:
    names = []
    for dist in env_closure(requirements, exclude):
        names.append(f"{dist.metadata['Name']}=={dist.version}")
        for f in dist.files or []:
            rel = Path(str(f))
            if rel.parts and rel.parts[0] == ".." or "__pycache__" in rel.parts:
                continue
            src = Path(f.locate())
            if not src.is_file():
                continue
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return names


# --- source "pip": download wheels for the target platform ------------------------------

def pip_install(req_file: Path, target: Path, *, platform: str, arch: str, python_version: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
           "--target", str(target), "-r", str(req_file)]
    if platform == "lambda":
        # python3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34); older ones on Amazon
        # Linux 2 (glibc 2.26), where only manylinux2014 wheels load.
        modern = tuple(int(x) for x in python_version.split(".")[:2]) >= (3, 12)
        for tag in PLATFORMS[arch] if modern else PLATFORMS[arch][:1]:
            cmd += ["--platform", tag]
        cmd += ["--only-binary=:all:", "--python-version", python_version, "--implementation", "cp"]
    subprocess.run(cmd, check=True)
    for d in list(target.glob("*.dist-info")):  # drop what the runtime ships, if pip pulled it in
        name = _norm(d.name[:-len(".dist-info")].rsplit("-", 1)[0])
        if name in RUNTIME_PROVIDED:
            for rec in (d / "RECORD").read_text().splitlines() if (d / "RECORD").exists() else []:
                p = target / rec.split(",", 1)[0]
                if p.is_file():
                    p.unlink()
            shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(target / "bin", ignore_errors=True)


def _compile(target: Path, python: str | None) -> bool:
    if not python:
        return False
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                    str(target)], check=True, stdout=subprocess.DEVNULL)
    return True


def find_python(version: str, explicit: str | None) -> str | None:
    candidates = [explicit] if explicit else [f"python{version}", sys.executable]
    for c in candidates:
        if not c:
            continue
        try:
            out = subprocess.run([c, "-c", "import sys;print('%d.%d'%sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return c
    if explicit:
        raise SystemExit(f"build: {explicit} is not Python {version}")
    return None


def stage_runtime_libs(target: Path) -> list[str]:
    """Copy what the Lambda Python runtime preinstalls (boto3 and its closure) from this
    interpreter into `target`: with the unzipped function on sys.path in a bare venv, that
    reproduces /var/task + /var/runtime offline (import tests, cold-import benchmark)."""
    target.mkdir(parents=True, exist_ok=True)
    return copy_from_env(["boto3"], target, exclude=set())


def write_zip(src: Path, dest: Path) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.tmp")
    files = sorted(p for p in src.rglob("*") if p.is_file())
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for p in files:
            info = zipfile.ZipInfo(p.relative_to(src).as_posix(), FIXED_DATE)
            info.external_attr = (0o755 if os.access(p, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())
    os.replace(tmp, dest)
    return dest.stat().st_size


def stage(pkg: Package, target: Path, *, source: str = "env", platform: str = "local", arch: str = "x86_64",
          python_version: str = "3.12", powertools: str = "bundle") -> list[str]:
    """Lay out one function's folder (what the zip will contain); returns bundled packages."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    exclude = set(RUNTIME_PROVIDED)
    reqs = read_requirements(pkg.requirements)
    if powertools == "layer":  # the AWS-managed Powertools layer provides it
        exclude |= {"aws-lambda-powertools", "typing-extensions"}
        reqs = [r for r in reqs if not _norm(re.split(r"[<>=!~;\[ ]", r, 1)[0]).startswith("aws-lambda-powertools")]
    if source == "env":
        bundled = copy_from_env(reqs, target, exclude)
    elif not reqs:
        bundled = []
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(reqs) + "\n")
        try:
            pip_install(Path(fh.name), target, platform=platform, arch=arch, python_version=python_version)
        finally:
            os.unlink(fh.name)
        bundled = sorted(d.name[:-len(".dist-info")].replace("-", "==", 1) for d in target.glob("*.dist-info"))
    shutil.copy2(HERE / pkg.handler, target / pkg.handler)
    shutil.copy2(TOKENS_SRC, target / "entrec_tokens.py")
    return bundled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "dist"), help="output folder (default dist/)")
    ap.add_argument("--platform", choices=["lambda", "local"], default="lambda",
                    help="lambda: manylinux wheels for the Lambda runtime; local: this machine")
    ap.add_argument("--arch", choices=sorted(PLATFORMS), default="x86_64")
    ap.add_argument("--python-version", default="3.12", help="Lambda runtime version (default 3.12)")
    ap.add_argument("--source", choices=["pip", "env"], default=None,
                    help="pip: download (default for --platform lambda); env: copy from this interpreter")
    ap.add_argument("--powertools", choices=["bundle", "layer"], default="bundle",
                    help="bundle aws-lambda-powertools, or leave it to the AWS-managed layer")
    ap.add_argument("--compile-python", default=None,
                    help="interpreter matching --python-version to precompile .pyc (default: python<ver> if found)")
    ap.add_argument("--no-compile", action="store_true", help="do not precompile .pyc files")
    ap.add_argument("--only", choices=sorted(PACKAGES), action="append", help="build only this one")
    ap.add_argument("--keep-staging", action="store_true", help="keep dist/build/<name>/ (unzipped layout)")
    args = ap.parse_args(argv)
    source = args.source or ("pip" if args.platform == "lambda" else "env")
    if args.platform == "lambda" and source == "env":
        ap.error("--source env copies this machine's binaries: use it with --platform local only")
    version = args.python_version if args.platform == "lambda" else "%d.%d" % sys.version_info[:2]
    compiler = None if args.no_compile else find_python(version, args.compile_python)
    out = Path(args.out)
    for name in args.only or sorted(PACKAGES):
        pkg = PACKAGES[name]
        staging = out / "build" / name
        bundled = stage(pkg, staging, source=source, platform=args.platform, arch=args.arch,
                        python_version=version, powertools=args.powertools)
        compiled = _compile(staging, compiler)
        size = write_zip(staging, out / f"lambda-{name}.zip")
        if not args.keep_staging:
            shutil.rmtree(staging)
        print(f"{out / f'lambda-{name}.zip'}: {size / 1024:.0f} KiB; platform={args.platform}"
              f"{'/' + args.arch if args.platform == 'lambda' else ''} python={version} source={source}"
              f" pyc={'yes' if compiled else 'no'}; bundles: "
              + (", ".join(bundled) or "nothing"))
    if not args.keep_staging:
        shutil.rmtree(out / "build", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
