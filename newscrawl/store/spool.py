"""The spool: what the store could not take, kept on local disk until a replay writes it.

When the store (MongoDB, or the embedded store) cannot be reached or rejects a batch, the items go to a
JSONL file instead of being lost — by default ``spool.jsonl`` next to the embedded state
(``NEWSCRAWL_SPOOL`` names another). One line per entry, appended and fsynced once per batch:

- ``{"kind": "item", "seen_at": ..., "spooled_at": ..., "item": {...}}`` — an article as the pipelines
  produced it (``revision`` is ``null`` when dedup could not ask the store);
- ``{"kind": "touch", "key": ..., "seen_at": ...}`` — a sighting of an unchanged article (``last_seen``).

:func:`replay` writes the entries through the same dedup and store logic as a crawl (new / changed /
unchanged by content hash, so nothing is stored twice) and removes from the file exactly the lines that
were written; the rest stay. Appends and removals hold an ``flock`` on ``<spool>.lock`` and removals
rewrite the file atomically (temporary file, fsync, rename), so a replay running beside a crawl that is
appending loses nothing. It is used by ``scrapy replay`` and by the store pipeline at open (drain first).
A line that is not valid JSON (a write cut short by a crash) is moved to ``<spool>.corrupt``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..records import content_hash, record_key
from .base import Record, Store, StoredState, StoreWriteError, build_record

logger = logging.getLogger(__name__)


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


@dataclass
class SpoolEntry:
    line: str  # the exact line in the file, which identifies it for removal
    kind: str  # "item" or "touch"
    seen_at: str
    item: dict[str, Any] | None = None
    key: str | None = None


class Spool:
    """One JSONL spool file; safe to use from several processes (``flock``) and threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.corrupt_path = self.path.with_name(self.path.name + ".corrupt")

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

    # Writing.

    def append(self, records: Iterable[Record] = (), touches: Iterable[tuple[str, str]] = ()) -> tuple[int, int]:
        """Append the records' items and the touches, one fsync for the batch; returns (items, touches)."""
        now = _now()
        lines = [_line({"kind": "item", "seen_at": r.seen_at, "spooled_at": now, "item": r.item}) for r in records]
        n_items = len(lines)
        lines += [_line({"kind": "touch", "key": key, "seen_at": when}) for key, when in touches]
        if not lines:
            return 0, 0
        with self._locked():
            created = not self.path.exists()
            with open(self.path, "a", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
                f.flush()
                os.fsync(f.fileno())
            if created:
                _fsync_dir(self.path.parent)
        return n_items, len(lines) - n_items

    def append_items(self, items: Iterable[dict[str, Any]]) -> int:
        """Append plain item dicts (``seen_at`` from their ``fetched_at``); for tools and tests."""
        records = [Record(key=record_key(it) or "", content_hash=it.get("content_hash") or "",
                          revision=it.get("revision") or 0, seen_at=it.get("fetched_at") or _now(), doc={}, item=it)
                   for it in items]
        return self.append(records)[0]

    # Reading.

    def _read_lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            return []
        return [line for line in text.split("\n") if line.strip()]

    def lines(self) -> list[str]:
        with self._locked():
            return self._read_lines()

    def __len__(self) -> int:
        return len(self.lines())

    def read(self) -> list[SpoolEntry]:
        """Every readable entry in file order; unreadable lines are moved to ``<spool>.corrupt``."""
        entries, corrupt = [], []
        for line in self.lines():
            try:
                data = json.loads(line)
                kind = data["kind"]
                if kind == "item":
                    item = data["item"]
                    if not isinstance(item, dict) or record_key(item) is None:
                        raise ValueError("item without a key")
                    entries.append(SpoolEntry(line, kind, data.get("seen_at") or item.get("fetched_at") or _now(),
                                              item=item, key=record_key(item)))
                elif kind == "touch":
                    entries.append(SpoolEntry(line, kind, data["seen_at"], key=data["key"]))
                else:
                    raise ValueError(f"unknown kind {kind!r}")
            except (ValueError, KeyError, TypeError) as exc:
                corrupt.append(line)
                logger.warning("Spool %s: unreadable line moved to %s (%s)", self.path, self.corrupt_path, exc)
        if corrupt:
            with self._locked(), open(self.corrupt_path, "a", encoding="utf-8", errors="surrogateescape") as f:
                f.write("".join(line + "\n" for line in corrupt))
                f.flush()
                os.fsync(f.fileno())
            self.remove(corrupt)  # after the lock is released: flock is not re-entrant across open files
        return entries

    # Removing.

    def remove(self, lines: Iterable[str]) -> int:
        """Remove one occurrence of each line (what was written), keep everything else — including lines
        appended meanwhile — and rewrite the file atomically; returns the entries that remain."""
        done = Counter(lines)
        if not done:
            return len(self)
        with self._locked():
            remaining = []
            for line in self._read_lines():
                if done[line] > 0:
                    done[line] -= 1
                else:
                    remaining.append(line)
            if not remaining:
                self.path.unlink(missing_ok=True)
            else:
                tmp = self.path.with_name(self.path.name + ".tmp")
                with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write("".join(line + "\n" for line in remaining))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
            return len(remaining)


@dataclass
class ReplayResult:
    replayed: int = 0  # entries read from the spool
    written: int = 0  # articles written (new or changed)
    unchanged: int = 0  # articles the store already held with the same content (their sighting recorded)
    touches: int = 0  # spooled sightings written
    remaining: int = 0  # entries still in the spool afterwards
    error: str | None = None  # why the replay stopped early, if it did

    def summary(self) -> str:
        line = (f"replay: replayed={self.replayed} written={self.written} unchanged={self.unchanged} "
                f"touches={self.touches} remaining={self.remaining}")
        return line + (f" error={self.error}" if self.error else "")


def replay(spool: Spool, store: Store, batch_size: int = 500) -> ReplayResult:
    """Write every spooled entry to the (open) ``store`` through dedup, removing what was written.

    Dedup is the crawl's: the content hash is compared with the stored one — equal: only the sighting is
    recorded (``unchanged``); different: the next revision is written; absent: revision 1. A key that
    occurs twice in the spool is classified against the state the first occurrence left. Batches are
    written in spool order; the first batch the store fails stops the replay (what it did not write stays
    in the spool; rejected records of a partly written batch stay too).
    """
    entries = spool.read()
    result = ReplayResult(replayed=len(entries))
    state: dict[str, StoredState | None] = {}
    batch: list[tuple[SpoolEntry, Record | None]] = []

    def write_batch() -> bool:
        records = [rec for _, rec in batch if rec is not None]
        touches = [(e.key, e.seen_at) for e, rec in batch if rec is None]
        failed: set[int] = set()
        try:
            store.write(records, touches)
        except StoreWriteError as exc:
            failed = {id(r) for r in exc.records}
            result.error = str(exc)
            if exc.touches:  # sightings are not told apart: keep them all for the next replay
                failed |= {id(e) for e, rec in batch if rec is None}
        except Exception as exc:  # noqa: BLE001 — the store went away: stop, keep the rest
            result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            return False
        done = []
        for e, rec in batch:
            if (id(rec) if rec is not None else id(e)) in failed:
                continue
            done.append(e.line)
            if rec is not None:
                result.written += 1
            elif e.kind == "touch":
                result.touches += 1
            else:
                result.unchanged += 1
        spool.remove(done)
        batch.clear()
        return True

    for entry in entries:
        if entry.kind == "item" and any(rec is not None and rec.key == entry.key for _, rec in batch):
            if not write_batch():  # the same article twice in a batch: write the first one first
                break
        try:
            rec = classify(entry, store, state)
        except Exception as exc:  # noqa: BLE001 — lookup failed: the store went away
            result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            break
        batch.append((entry, rec))
        if len(batch) >= batch_size and not write_batch():
            break
    else:
        if batch:
            write_batch()
    result.remaining = len(spool)
    return result


def classify(entry: SpoolEntry, store: Store, state: dict[str, StoredState | None]) -> Record | None:
    """The record to write for a spooled item, or None when only a sighting is left to record."""
    if entry.kind == "touch":
        return None
    item = entry.item
    key = entry.key
    stored = state[key] if key in state else store.lookup(key)
    digest = content_hash(item)
    if stored is not None and stored.content_hash == digest:
        state[key] = stored
        return None
    item = {**item, "content_hash": digest, "revision": 1 if stored is None else stored.revision + 1}
    state[key] = StoredState(digest, item["revision"])
    return build_record(item, entry.seen_at)
