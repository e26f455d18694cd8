"""The write buffer: what waits for the next flush, and when a flush is due.

Writing one article at a time would cost a round trip (MongoDB) or a transaction (SQLite) per item; the
pipelines add to this buffer and flush it as one batch when it holds ``size`` entries (records, sightings and
unclassified items together), on the periodic tick and at close.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .base import Record


@dataclass
class Batch:
    """One flush: ``records`` to write, ``touches`` (key, seen at) to record as sightings, and ``unknown``
    items whose dedup could not ask the store (they go to the spool; the replay's dedup decides later)."""

    records: list[Record] = field(default_factory=list)
    touches: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[Record] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records) + len(self.touches) + len(self.unknown)


class WriteBuffer:
    """Records, sightings and unclassified items in the order added; :attr:`full` at ``size`` entries (a size
    below 1 flushes every entry at once, as ``replay`` does)."""

    def __init__(self, size: int):
        self.size = max(1, size)
        self._batch = Batch()

    def add(self, record: Record) -> None:
        self._batch.records.append(record)

    def add_unknown(self, record: Record) -> None:
        self._batch.unknown.append(record)

    def touch(self, key: str, seen_at: str) -> None:
        self._batch.touches.append((key, seen_at))

    def pending(self) -> int:
        return len(self._batch)

    @property
    def full(self) -> bool:
        return len(self._batch) >= self.size

    def take(self) -> Batch:
        """Everything buffered, as one batch; the buffer starts empty again."""
        batch, self._batch = self._batch, Batch()
        return batch
