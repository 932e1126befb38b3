"""The one way a command puts a file at OUT: checked first, then written whole or not at all.

Every command that writes a file (``readiness export``, ``backup``, ``template``, ``restore``'s copy of the
replaced database) goes through :func:`write_output`, which goes through :func:`check_output`. It refuses,
as invalid input naming OUT (exit 2), anything at OUT that is not a regular file: a FIFO, a device, a
socket or a directory would be replaced by a plain file (``/dev/full`` as root), or a FIFO would block the
command for ever. It refuses an empty OUT, and the database in use itself (its ``-wal``, ``-shm`` and
``-journal`` companions too), followed through symbolic links: replacing the live file under the app's
open connections would lose or corrupt what they write. Then the content goes to a temporary file in
OUT's folder, which an atomic rename puts in place: OUT is the old file or the new one, never a part.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from readiness.errors import InvalidInput, Issue

Content = bytes | Callable[[Path], None]


def _read_umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Read once at import: os.umask can only be read by setting it, which is not safe once threads run.
UMASK = _read_umask()


def _refuse(message: str, location: str = "OUT") -> InvalidInput:
    return InvalidInput([Issue("error", location, message)])


def file_kind(mode: int) -> str:
    """What a ``stat`` mode is, in words (``a FIFO (named pipe)``, ``a directory``...)."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISREG, "a regular file"),
    )
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def _same_file(path: Path, resolved: Path, protected: Path) -> bool:
    if resolved == protected.resolve():
        return True
    try:
        return os.path.samefile(path, protected)  # hard links, bind mounts
    except OSError:
        return False


def check_output(
    out: str | Path, protected: Iterable[Path] = (), *, location: str = "OUT", folder: bool = False
) -> Path:
    """OUT as a path, once it is safe to (re)place a file there (or, with ``folder``, to write files into it).

    Refused (:class:`InvalidInput`, exit 2 on the command line) with a message naming OUT: an empty OUT; a
    name ending in a path separator; anything at OUT that is not a regular file (a directory unless
    ``folder``); a symbolic link to nothing; a missing folder; and any of the ``protected`` files (the
    database in use), symbolic links followed.
    """
    raw = os.fspath(out)
    if not raw.strip():
        raise _refuse("no file name given (it is empty): name the file to write", location)
    path = Path(raw)
    if not folder and raw.endswith((os.sep, "/")):
        raise _refuse(f"{raw} ends with a path separator: name the file to write, not a folder", location)
    try:
        found = path.stat()
    except FileNotFoundError:
        found = None
        if path.is_symlink():
            raise _refuse(f"{path} is a symbolic link to nothing; nothing was written", location) from None
    except OSError as error:
        raise _refuse(f"{path} cannot be inspected ({error.strerror}); nothing was written", location) from None
    if found is not None:
        if folder and not stat.S_ISDIR(found.st_mode):
            raise _refuse(f"{path} is {file_kind(found.st_mode)}, not a folder; nothing was written", location)
        if not folder and not stat.S_ISREG(found.st_mode):
            message = f"{path} is {file_kind(found.st_mode)}, not a regular file; nothing was written"
            raise _refuse(message, location)
    resolved = path.resolve()
    for guarded in map(Path, protected):
        if _same_file(path, resolved, guarded):
            companion = guarded.name.endswith(("-wal", "-shm", "-journal"))
            what = f"a file of the database in use ({guarded.name})" if companion else "the database in use"
            raise _refuse(f"{path} is {what}; write the file elsewhere", location)
    parent = path.parent
    if not folder and not parent.is_dir():
        raise _refuse(f"the folder {parent} does not exist (no such folder); nothing was written", location)
    return path


def write_output(out: str | Path, content: Content, protected: Iterable[Path] = (), *, location: str = "OUT") -> Path:
    """Put ``content`` at OUT, after :func:`check_output`, whole or not at all; returns OUT's path.

    ``content`` is the file's bytes, or a function that writes the file at the temporary path it is given
    (an empty file already there). The temporary file sits in OUT's folder and is renamed over OUT only once
    it is complete (and OUT checked again); on any failure it is removed and OUT is left as it was. The new
    file gets the permissions of any new file (the umask), not the temporary file's private ones.
    """
    protected = tuple(protected)
    path = check_output(out, protected, location=location)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if isinstance(content, bytes | bytearray | memoryview):
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
        else:
            os.close(handle)
            content(Path(temporary))
        os.chmod(temporary, 0o666 & ~UMASK)
        check_output(path, protected, location=location)  # nothing else appeared at OUT meanwhile
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
