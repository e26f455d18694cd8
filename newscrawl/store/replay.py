"""Replay: write what the spool holds to the store, through the crawl's dedup, and remove what was written.

Used by ``scrapy replay`` and by the store pipeline at open (drain first). Entries are written in spool
order, in batches; after each batch exactly its written entries are removed from the spool (in place, see
:mod:`newscrawl.store.spool`), so a replay stopped midway — the store gone, the process killed — goes on
from there next time. What can never be written does not block the rest: a line that is not an entry of
the right shape is set aside by :meth:`Spool.read_all`, and a record the store refuses for good (a
:class:`StoreWriteError` naming its reason) is set aside after its batch; both are counted as ``corrupt``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records import content_hash
from ..versions import classify as verdicts  # a module, read at call time: it imports the store package too
from .base import Record, Store, StoredState, StoreWriteError, build_record
from .spool import Spool
from .spool_entry import SpoolEntry


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


@dataclass
class ReplayResult:
    replayed: int = 0  # entries read from the spool (those that can be written)
    written: int = 0  # articles written (new or changed)
    unchanged: int = 0  # articles the store already held with the same content (their sighting recorded)
    touches: int = 0  # spooled sightings written
    remaining: int = 0  # entries still in the spool afterwards
    corrupt: int = 0  # entries set aside to <spool>.corrupt (unreadable, wrong shape, refused by the store)
    error: str | None = None  # why the replay stopped early, if it did

    def summary(self) -> str:
        line = (f"replay: replayed={self.replayed} written={self.written} unchanged={self.unchanged} "
                f"touches={self.touches} remaining={self.remaining}")
        line += f" corrupt={self.corrupt}" if self.corrupt else ""
        return line + (f" error={self.error}" if self.error else "")


def replay(spool: Spool, store: Store, batch_size: int = 500) -> ReplayResult:
    """Write every spooled entry to the (open) ``store`` through dedup, removing what was written.

    Dedup is the crawl's: the content hash is compared with the stored one — equal: only the sighting is
    recorded (``unchanged``); different: the next revision is written; absent: revision 1. A key that
    occurs twice in the spool is classified against the state the first occurrence left. A store that
    fails (unreachable) stops the replay; operations it failed without refusing them for good stay in the
    spool while the later batches are written; what it refused goes to ``<spool>.corrupt``.
    """
    entries, corrupt = spool.read_all()
    result = ReplayResult(replayed=len(entries), corrupt=corrupt)
    state: dict[str, StoredState | None] = {}
    batch: list[tuple[SpoolEntry, Record | None]] = []

    def write_batch() -> bool:
        records = [rec for _, rec in batch if rec is not None]
        touches = [(e.key, e.seen_at) for e, rec in batch if rec is None]
        failed: set[int] = set()
        refused: dict[int, str] = {}
        try:
            store.write(records, touches)
        except StoreWriteError as exc:
            refused = dict(exc.reasons)
            failed = {id(r) for r in exc.records} - refused.keys()
            if exc.touches:  # sightings are not told apart: keep them all for the next replay
                failed |= {id(e) for e, rec in batch if rec is None}
            if failed:
                result.error = str(exc)
        except Exception as exc:  # noqa: BLE001 — the store went away: stop, keep the rest
            result.error = _error(exc)
            return False
        done, aside = [], []
        for e, rec in batch:
            ident = id(rec) if rec is not None else id(e)
            if ident in refused:
                aside.append((e, refused[ident]))
            if ident in refused or ident in failed:
                state.pop(e.key, None)  # not written: the store's state is what counts next time
                continue
            done.append(e)
            if rec is not None:
                result.written += 1
            elif e.kind == "touch":
                result.touches += 1
            else:
                result.unchanged += 1
        batch.clear()
        try:
            spool.blank(done)
            result.corrupt += spool.set_aside(aside)
        except OSError as exc:  # written, but still in the spool: the next replay finds them unchanged
            result.error = f"the spool {spool.path} could not be updated: {_error(exc)}"
            return False
        return True

    for entry in entries:
        if entry.kind == "item" and any(rec is not None and rec.key == entry.key for _, rec in batch):
            if not write_batch():  # the same article twice in a batch: write the first one first
                break
        try:
            rec = classify(entry, store, state)
        except Exception as exc:  # noqa: BLE001 — lookup failed: the store went away
            result.error = _error(exc)
            break
        batch.append((entry, rec))
        if len(batch) >= batch_size and not write_batch():
            break
    else:
        if batch:
            write_batch()
    result.remaining = spool.compact()
    return result


def classify(entry: SpoolEntry, store: Store, state: dict[str, StoredState | None]) -> Record | None:
    """The record to write for a spooled item, or None when only a sighting is left to record."""
    if entry.kind == "touch":
        return None
    item = entry.item
    key = entry.key
    earlier = key in state  # an earlier entry of this replay decided it: the store may not hold that one yet
    stored = state[key] if earlier else store.lookup(key)
    digest = content_hash(item)
    if stored is not None and stored.content_hash == digest:
        state[key] = stored
        return None
    changes = None
    if stored is not None and not earlier:
        # The crawl's rule (newscrawl.versions.classify): another hash whose content differs only cosmetically
        # (a hash made before the cosmetic rules) is no revision; a change carries its field-level diff.
        document = verdicts.stored_content(store, key)
        if document is not None:
            verdict = verdicts.compare(document, item, digest)
            if verdict.kind == verdicts.COSMETIC:
                state[key] = stored
                return None
            changes = verdict.changes
    item = {**item, "content_hash": digest, "revision": 1 if stored is None else stored.revision + 1,
            "changes": changes if changes is not None else item.get("changes")}
    state[key] = StoredState(digest, item["revision"])
    return build_record(item, entry.seen_at)
