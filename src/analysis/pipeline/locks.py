"""One run at a time per wave: a lock file ``OUTPUT/<wave>/.lock`` held while a verb works on the wave.

Two ``hallperf run`` (or ``analyze``, ``report`` ...) of one wave at once would both do all the
work and replace each other's folders. The CLI takes the wave's lock before a stage starts; a
second run finds it taken and stops at once with exit 2 and one line, e.g. ``wave sample is
being processed by pid 4242 (since 2026-12-02T04:51:07+00:00); wait for it to finish``.

The lock is an advisory ``flock`` on the file (POSIX; ``msvcrt.locking`` on Windows), which
the operating system releases when the holding process ends in any way, SIGKILL included: a
lock file left by a dead process is simply taken over. The file's text (pid and start time)
only serves the message. Report workers forked by the holder keep the lock until they end,
so a new run cannot start while an orphan could still write. Re-entrant within one process
(``run`` holds the lock while it calls ``ingest``, ``score``, ... which take it again).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from analysis.atomic import cannot_write
from analysis.errors import HallperfError

try:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
except ImportError:  # Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

__all__ = ["LOCK_NAME", "WaveBusyError", "wave_lock"]

LOCK_NAME = ".lock"
_held: set[Path] = set()  # the lock files this process holds


class WaveBusyError(HallperfError):
    """Another process holds the wave's lock."""


@contextmanager
def wave_lock(wave: str, output_root: str | os.PathLike[str] = "output") -> Iterator[Path]:
    """Hold the lock of ``wave`` (the file ``output_root/<wave>/.lock``) for the ``with`` block.

    Raises :class:`WaveBusyError` (one line naming the pid and since when) when another process
    holds it. Yields the lock file's path.
    """
    path = (Path(output_root) / wave / LOCK_NAME).resolve()
    if path in _held:  # taken by an outer block of this process, which lets it go
        yield path
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        if not _try_lock(fd):
            try:
                holder = os.read(fd, 200).decode("utf-8", "replace").split()
            except OSError:  # Windows: the locked byte cannot be read
                holder = []
            pid, since = (holder + ["?", "?"])[:2]
            raise WaveBusyError(f"wave {wave} is being processed by pid {pid} (since {since}); wait for it to finish")
        _note(fd, f"{os.getpid()} {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
        _held.add(path)
        try:
            yield path
        finally:
            _held.discard(path)
            _note(fd, "")  # no stale pid for the next message; the OS drops the lock with the fd
    finally:
        os.close(fd)


def _note(fd: int, text: str) -> None:
    """Who holds the lock, for the message only: a full disk here is no reason to stop."""
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, text.encode())
    except OSError:
        pass
