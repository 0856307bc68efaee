"""Writing outputs: only regular files are replaced, all at once, and nothing is left behind.

A temporary file is named ``.detector-<pid>-NAME.<random>.tmp`` beside its target, so the
leftovers of a killed run are recognisable and removed by a later run once that pid is gone.
A symlink is written through: its target is replaced (the temporary file beside the target).
Inside :func:`staged`, every :func:`atomic_write` only writes its temporary file; they are all
renamed when the block ends without error, so a failing output leaves the others untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.errors import InputFormatError

TMP_PREFIX = ".detector-"
_LEFTOVER = re.compile(r"^\.detector-(\d+)-.*\.tmp$")
_staged: list[list[tuple[Path, Path]]] = []
_swept: set[str] = set()


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (a leftover of a live run is not removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_leftovers(folder: str | Path, pattern: re.Pattern[str] = _LEFTOVER) -> None:
    """Remove temporary files (or spill folders) of runs whose pid is no longer alive."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid() or pid_alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def resolve(path: str | Path) -> Path:
    """The file actually replaced: a symlink's final target, else the path itself."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def check_output(path: str | Path, overwrite: bool) -> Path:
    """Refuse, before any work, an output that could not be written or must not be replaced;
    the error names the user's ``path``. Returns the file that will be replaced."""
    user = Path(path)
    target = resolve(user)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise InputFormatError(f"{user}: cannot be written ({error.strerror})") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise InputFormatError(f"{user}: is a folder; expected a file name")
        if not stat.S_ISREG(mode):
            raise InputFormatError(
                f"{user}: not a regular file (a device, FIFO or socket); refused, give a file name"
            )
        if not overwrite:
            raise InputFormatError(f"{user}: already exists (pass --force to overwrite)")
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputFormatError(f"{user}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputFormatError(f"{user}: folder {parent} is not writable")
    return target


@contextmanager
def staged() -> Iterator[None]:
    """Write every output of the block to temporary files, then rename them all at the end;
    on any error (or interruption) remove them all and replace nothing."""
    pending: list[tuple[Path, Path]] = []
    _staged.append(pending)
    try:
        yield
    except BaseException:
        _staged.remove(pending)
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    _staged.remove(pending)
    try:
        for tmp, target in pending:
            os.replace(tmp, target)
    finally:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, write: Callable[[Path], None], overwrite: bool = True) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path`` (onto a symlink's
    target); a special file or folder is refused. Inside :func:`staged` the rename waits."""
    user = Path(path)
    target = check_output(user, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    if str(target.parent) not in _swept:
        _swept.add(str(target.parent))
        remove_leftovers(target.parent)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f"{TMP_PREFIX}{os.getpid()}-{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            write(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
        except OSError as error:
            raise InputFormatError(
                f"{user}: cannot be written ({error.strerror or type(error).__name__})"
            ) from error
        if _staged:
            _staged[-1].append((tmp, target))
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return user


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
