"""The spool: what the store could not take, kept on local disk until a replay writes it.

When the store (MongoDB, or the embedded store) cannot be reached or rejects a batch, the items go to a
JSONL file instead of being lost — by default ``spool.jsonl`` next to the embedded state
(``NEWSCRAWL_SPOOL`` names another). One line per entry, appended and fsynced once per batch:

- ``{"kind": "item", "seen_at": ..., "spooled_at": ..., "item": {...}}`` — an article as the pipelines
  produced it (``revision`` is ``null`` when dedup could not ask the store);
- ``{"kind": "touch", "key": ..., "seen_at": ...}`` — a sighting of an unchanged article (``last_seen``).

The file survives full disks and crashes:

- An append is all or nothing: the batch is written and fsynced, and when that fails (``ENOSPC``) the
  file is truncated back to where it was before the error reaches the caller (who counts the items lost).
  A last line without its newline (an older version or a process killed mid-write) is set aside before
  the next append, so a complete entry is never glued onto a fragment.
- Removal needs no free space: a written line is overwritten in place with spaces (its newline stays, so
  readers see a blank line). Afterwards the file is rewritten without the blank lines (temporary file,
  fsync, rename) only when the disk has room for that, and deleted when nothing is left; a ``.tmp``
  found under the lock is the leftover of a rewrite that never finished and is deleted.
- A line that cannot be written — not JSON, nested too deep, of the wrong shape
  (:mod:`newscrawl.store.spool_entry`), cut short, or refused by the store — goes to ``<spool>.corrupt``
  as ``{"reason": ..., "set_aside_at": ..., "line": ...}`` and never blocks the others.

Every change holds an ``flock`` on ``<spool>.lock``, so a replay running beside a crawl that is appending
loses nothing. :func:`newscrawl.store.replay.replay` writes the entries to the store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections import Counter
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..records import record_key
from .base import Record
from .spool_entry import BadEntry, SpoolEntry, parse_line

logger = logging.getLogger(__name__)

CUT_SHORT = "cut short: the last line has no newline (a write interrupted by a crash or a full disk)"
TAIL_CHUNK = 64 * 1024  # bytes read at a time when looking back for the last newline
REWRITE_MARGIN = 1024 * 1024  # free space kept beyond the kept lines before the file is rewritten
LOGGED_ASIDE = 20  # set-aside lines logged one by one per call; the rest as a count


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _append_whole(fd: int, data: bytes) -> None:
    """Append ``data`` to ``fd`` (opened with ``O_APPEND``) and fsync it — or, when that fails, truncate
    the file back to its old size and raise: nothing of a failed append stays."""
    start = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:  # each write takes at least one byte or raises
            written = os.write(fd, view)
            if not written:
                raise OSError(28, "No space left on device")
            view = view[written:]
        os.fsync(fd)
    except OSError:
        os.ftruncate(fd, start)
        with suppress(OSError):  # the truncation itself needs no space; its fsync is best effort
            os.fsync(fd)
        raise


def _split(data: bytes) -> tuple[list[tuple[int, bytes]], tuple[int, bytes] | None]:
    """The non-blank lines of ``data`` as (offset, bytes without the newline), and the cut tail (a last
    line without its newline), if any."""
    lines: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(data):  # pos grows with every line
        end = data.find(b"\n", pos)
        if end < 0:
            tail = data[pos:]
            return lines, ((pos, tail) if tail.strip() else None)
        if data[pos:end].strip():
            lines.append((pos, data[pos:end]))
        pos = end + 1
    return lines, None


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class Spool:
    """One JSONL spool file; safe to use from several processes (``flock``) and threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.corrupt_path = self.path.with_name(self.path.name + ".corrupt")
        self.tmp_path = self.path.with_name(self.path.name + ".tmp")

    def __repr__(self) -> str:
        return f"Spool({str(self.path)!r})"

    @contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""

    # Writing.

    def append(self, records: Iterable[Record] = (), touches: Iterable[tuple[str, str]] = ()) -> tuple[int, int]:
        """Append the records' items and the touches, all or nothing, one fsync for the batch; returns
        (items, touches). Raises :class:`OSError` (the file unchanged) when the disk cannot take them."""
        now = _now()
        lines = [_line({"kind": "item", "seen_at": r.seen_at, "spooled_at": now, "item": r.item}) for r in records]
        n_items = len(lines)
        lines += [_line({"kind": "touch", "key": key, "seen_at": when}) for key, when in touches]
        if not lines:
            return 0, 0
        data = _raw("".join(line + "\n" for line in lines))
        with self._locked():
            created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                self._mend_tail(fd)
                _append_whole(fd, data)
            except OSError:
                if created and os.fstat(fd).st_size == 0:
                    self.path.unlink(missing_ok=True)
                raise
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.path.parent)
        return n_items, len(lines) - n_items

    def append_items(self, items: Iterable[dict[str, Any]]) -> int:
        """Append plain item dicts (``seen_at`` from their ``fetched_at``); for tools and tests."""
        records = [Record(key=record_key(it) or "", content_hash=it.get("content_hash") or "",
                          revision=it.get("revision") or 0, seen_at=it.get("fetched_at") or _now(), doc={}, item=it)
                   for it in items]
        return self.append(records)[0]

    def _mend_tail(self, fd: int) -> None:
        """Set a last line without its newline aside and truncate the file back to the newline before it."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return
        start, pos = 0, size
        while pos > 0:  # backwards, one chunk at a time
            step = min(TAIL_CHUNK, pos)
            pos -= step
            newline = os.pread(fd, step, pos).rfind(b"\n")
            if newline >= 0:
                start = pos + newline + 1
                break
        tail = os.pread(fd, size - start, start)
        if tail.strip():  # a blanked (already written) tail has nothing to keep
            self._write_corrupt([(_text(tail), CUT_SHORT)])
            logger.warning("Spool %s: a last line cut short (%d bytes) moved to %s", self.path, len(tail),
                           self.corrupt_path)
        os.ftruncate(fd, start)
        os.fsync(fd)

    def _write_corrupt(self, lines: list[tuple[str, str]]) -> None:
        """Append (line, reason) records to ``<spool>.corrupt``, all or nothing."""
        now = _now()
        data = "".join(json.dumps({"reason": reason, "set_aside_at": now, "line": text}) + "\n"
                       for text, reason in lines).encode("ascii")
        fd = os.open(self.corrupt_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a record cut short here stays, on a line of its own
            _append_whole(fd, data)
        finally:
            os.close(fd)

    # Reading.

    def lines(self) -> list[str]:
        """The entries' lines (blank lines are removed entries), a cut last line included."""
        with self._locked():
            lines, tail = _split(self._read_bytes())
        return [_text(raw) for _, raw in lines] + ([_text(tail[1])] if tail else [])

    def __len__(self) -> int:
        return len(self.lines())

    def read(self) -> list[SpoolEntry]:
        """Every entry that can be written, in file order; the others are set aside (:meth:`read_all`)."""
        return self.read_all()[0]

    def read_all(self) -> tuple[list[SpoolEntry], int]:
        """Every entry that can be written, in file order, and how many lines were set aside to
        ``<spool>.corrupt`` with their reason (not JSON, wrong shape, nested too deep, cut short)."""
        with self._locked():
            self.tmp_path.unlink(missing_ok=True)
            lines, tail = _split(self._read_bytes())
            entries, bad = [], []
            for offset, raw in lines:
                text = _text(raw)
                try:
                    entry = parse_line(text)
                except BadEntry as exc:
                    bad.append((offset, text, str(exc)))
                    continue
                entry.line, entry.offset = text, offset
                entries.append(entry)
            if tail:
                bad.append((tail[0], _text(tail[1]), CUT_SHORT))
            return entries, self._set_aside_locked(bad)

    # Removing.

    def set_aside(self, entries: Iterable[tuple[SpoolEntry, str]]) -> int:
        """Move (entry, reason) pairs to ``<spool>.corrupt`` — entries that can never be written, such as
        those the store refuses; returns how many were moved."""
        with self._locked():
            return self._set_aside_locked([(e.offset, e.line, reason) for e, reason in entries])

    def _set_aside_locked(self, bad: list[tuple[int, str, str]]) -> int:
        if not bad:
            return 0
        try:
            self._write_corrupt([(text, reason) for _, text, reason in bad])
        except OSError as exc:
            logger.error("Spool %s: %d entries cannot be written nor set aside to %s (%s: %s); they stay in the "
                         "spool", self.path, len(bad), self.corrupt_path, type(exc).__name__, exc)
            return 0
        for _, _, reason in bad[:LOGGED_ASIDE]:
            logger.warning("Spool %s: an entry moved to %s: %s", self.path, self.corrupt_path, reason)
        if len(bad) > LOGGED_ASIDE:
            logger.warning("Spool %s: %d more entries moved to %s", self.path, len(bad) - LOGGED_ASIDE,
                           self.corrupt_path)
        self._blank_locked([(offset, text) for offset, text, _ in bad])
        return len(bad)

    def blank(self, entries: Iterable[SpoolEntry | str]) -> None:
        """Remove entries (read by :meth:`read`, or given as their exact line: one occurrence each) by
        overwriting them with spaces in place, which needs no free disk space."""
        found = [(e.offset, e.line) if isinstance(e, SpoolEntry) else (-1, e) for e in entries]
        if not found:
            return
        with self._locked():
            if self.path.exists():
                self._blank_locked(found)

    def _blank_locked(self, found: list[tuple[int, str]]) -> None:
        missing: list[str] = []
        fd = os.open(self.path, os.O_RDWR)
        try:
            size = os.fstat(fd).st_size
            for offset, text in found:
                raw = _raw(text)
                if offset < 0:
                    missing.append(text)
                elif offset + len(raw) == size and os.pread(fd, len(raw), offset) == raw:  # the cut tail
                    os.ftruncate(fd, offset)
                    size = offset
                elif os.pread(fd, len(raw) + 1, offset) == raw + b"\n":
                    os.pwrite(fd, b" " * len(raw), offset)
                else:  # moved by a rewrite since it was read
                    missing.append(text)
            if missing:  # by content, one occurrence each
                todo = Counter(missing)
                lines, _ = _split(os.pread(fd, size, 0))
                for offset, raw in lines:
                    text = _text(raw)
                    if todo[text] > 0:
                        todo[text] -= 1
                        os.pwrite(fd, b" " * len(raw), offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    def compact(self) -> int:
        """Delete the file when it holds no entry any more, else rewrite it without the blank lines when
        the disk has room for that (the blank lines stay otherwise); returns the entries remaining."""
        with self._locked():
            self.tmp_path.unlink(missing_ok=True)
            data = self._read_bytes()
            lines, tail = _split(data)
            remaining = len(lines) + (1 if tail else 0)
            if not remaining:
                if self.path.exists():
                    self.path.unlink()
                    _fsync_dir(self.path.parent)
                return 0
            kept = b"".join(raw + b"\n" for _, raw in lines) + (tail[1] if tail else b"")
            if len(kept) == len(data):
                return remaining
            stat = os.statvfs(self.path.parent)
            if stat.f_bavail * stat.f_frsize < len(kept) + REWRITE_MARGIN:
                logger.info("Spool %s: written entries left blank in place (no room to rewrite the file)", self.path)
                return remaining
            try:
                with open(self.tmp_path, "wb") as f:
                    f.write(kept)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(self.tmp_path, self.path)
            except OSError as exc:
                self.tmp_path.unlink(missing_ok=True)
                logger.warning("Spool %s: not rewritten (%s); written entries stay blank in place", self.path, exc)
                return remaining
            _fsync_dir(self.path.parent)
            return remaining

    def remove(self, entries: Iterable[SpoolEntry | str]) -> int:
        """Remove entries (see :meth:`blank`), keep everything else — including lines appended meanwhile —
        then :meth:`compact`; returns the entries that remain."""
        self.blank(entries)
        return self.compact()
