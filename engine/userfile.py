"""Read analysts' files (rule files, phrase lists, lexicons) without trusting them.

A path an analyst writes can name a folder, a device (`/dev/zero` never ends), a FIFO (opening
it blocks), a file outside the pack (`/etc/shadow`), hold a NUL or be longer than the file
system allows. Every one of those becomes a `FileProblem` with a stable code, raised *before*
any byte is read, and reads are capped so a huge file costs a bounded amount of memory.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import EntrecError

__all__ = ["FileProblem", "read_user_text", "check_reference", "is_inside", "MAX_NAME_BYTES",
           "MAX_PATH_BYTES"]

#: longest file name / path the common Linux file systems accept
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096


class FileProblem(EntrecError):
    """Why a file cannot be used; `line`/`column` locate an encoding error inside it.

    Internal to loading: callers turn it into a located diagnostic."""

    def __init__(self, code: str, message: str, hint: str | None = None, line: int = 0, column: int = 0):
        super().__init__(message, code=code, hint=hint)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message


def _os_problem(exc: OSError, shown: str) -> FileProblem:
    if exc.errno == errno.ENOENT:
        return FileProblem("file-not-found", f"no such file: {shown}")
    if exc.errno == errno.ENAMETOOLONG:
        return FileProblem("path-invalid", f"file name too long: {shown[:80]}...",
                           f"file names are limited to {MAX_NAME_BYTES} bytes")
    if exc.errno == errno.EISDIR:
        return FileProblem("file-not-regular", f"{shown} is a directory, not a file")
    if exc.errno == errno.ELOOP:
        return FileProblem("file-unreadable", f"cannot read {shown}: too many levels of symbolic links")
    return FileProblem("file-unreadable", f"cannot read {shown}: {exc.strerror or exc}")


def _check_name(text: str) -> FileProblem | None:
    if not text:
        return FileProblem("path-invalid", "empty file name")
    if "\x00" in text:
        return FileProblem("path-invalid", "file name contains a NUL character",
                           "remove the \\0 (a YAML escape such as \"\\0\" or \"\\x00\")")
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return FileProblem("path-invalid", "file name is not valid Unicode")
    if len(raw) > MAX_PATH_BYTES or any(len(part) > MAX_NAME_BYTES for part in raw.split(b"/")):
        return FileProblem("path-invalid", f"file name too long ({len(text)} characters)",
                           f"each part of a path is limited to {MAX_NAME_BYTES} bytes")
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path` (symlinks resolved) lies in `root` (symlinks resolved)."""
    try:
        real = Path(os.path.realpath(path))
        base = Path(os.path.realpath(root))
    except (OSError, ValueError, RuntimeError):
        return False
    return real == base or base in real.parents


def check_reference(value: str, base_dir: Path, root: Path | None, *,
                    allow_outside: bool = False) -> Path:
    """Resolve `value` (an `include:` / `phrases_file:` entry) against `base_dir`.

    Refuses (as `FileProblem`) a bad name, an absolute path or a `..` escape out of `root`
    (unless `allow_outside`), a missing file, and anything but a regular file. Never reads
    the file, so no content of a refused file can reach a message.
    """
    bad = _check_name(value)
    if bad:
        raise bad
    target = base_dir / value
    if not allow_outside:
        if os.path.isabs(value):
            raise FileProblem("path-outside-pack", f"absolute path {value!r} is not allowed",
                              "name a file inside the pack folder, relative to this rule file "
                              "(or pass --allow-outside-paths)")
        if root is not None and not is_inside(target, root):
            raise FileProblem("path-outside-pack", f"{value!r} points outside the pack folder {root}",
                              "keep included and phrase files inside the pack folder "
                              "(or pass --allow-outside-paths)")
    try:
        st = os.stat(target)
    except OSError as exc:
        raise _os_problem(exc, value) from None
    except ValueError:
        raise FileProblem("path-invalid", "file name cannot be used") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileProblem("file-not-regular", f"{value!r} is {_kind(st.st_mode)}, not a regular file",
                          "name a .yaml, .txt or .csv file")
    return target


def read_user_text(path: Path | str, *, max_bytes: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file no larger than `max_bytes`, else `FileProblem`."""
    p = Path(path)
    shown = str(p)
    bad = _check_name(shown)
    if bad:
        raise bad
    try:
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem("file-not-regular", f"{shown} is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise _too_large(what, st.st_size, max_bytes)
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise _os_problem(exc, shown) from None
    if len(raw) > max_bytes:
        raise _too_large(what, len(raw), max_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        raise FileProblem("file-encoding", f"file is not UTF-8 ({exc.reason} at byte {exc.start})",
                          "save the file as UTF-8", line=line, column=col) from None


def _too_large(what: str, size: int, limit: int) -> FileProblem:
    return FileProblem("file-too-large", f"{what} is {size:,} bytes; the limit is {limit:,}",
                       "split it into several files")
