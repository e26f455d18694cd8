"""The store client's parts, each on its own, with the real embedded store and a real spool: the thread runs
store calls in the order they were made, the buffer flushes at its size, the writer spools what the store
cannot take and raises ItemsLost (with the counts) when the spool cannot take it either."""

from __future__ import annotations

import asyncio
import threading

import pytest

from newscrawl.store import FlushResult, ItemsLost, SQLiteStore, Spool, StoredState, StoreClient, build_record
from newscrawl.store.buffer import Batch, WriteBuffer
from newscrawl.store.thread import StoreThread
from newscrawl.store.writer import Breaker, SpoolingWriter
from tests.store.test_spool_faults import WHEN, article, stored_keys


def record(n: int):
    return build_record({**article(n), "revision": 1}, WHEN)


def test_the_store_thread_runs_calls_in_the_order_they_were_made_on_one_thread_off_the_loop():
    thread = StoreThread("test")
    done: list[int] = []
    idents: set[int] = set()

    def call(n: int) -> int:
        idents.add(threading.get_ident())
        done.append(n)
        return n * 2

    async def scenario():
        thread.start()
        try:
            return await asyncio.gather(*(thread.run(call, n) for n in range(200)))
        finally:
            thread.stop()

    assert asyncio.run(scenario()) == [n * 2 for n in range(200)]
    assert done == list(range(200))
    assert len(idents) == 1 and threading.get_ident() not in idents


def test_a_lookup_submitted_after_a_write_sees_it_without_waiting_for_the_write(tmp_path):
    store = SQLiteStore(tmp_path / "state.sqlite3")
    thread = StoreThread(store.name)
    rec = record(1)

    async def scenario():
        thread.start()
        try:
            await thread.run(store.open)
            written, seen = await asyncio.gather(thread.run(store.write, [rec], []), thread.run(store.lookup, rec.key))
            await thread.run(store.close)
            return written, seen
        finally:
            thread.stop()

    assert asyncio.run(scenario()) == (1, StoredState(rec.content_hash, 1))


def test_the_store_thread_refuses_calls_when_not_running_and_passes_exceptions_on():
    thread = StoreThread("test")

    async def scenario():
        with pytest.raises(RuntimeError, match="the test thread is not running"):
            await thread.run(print)
        thread.start()
        with pytest.raises(ZeroDivisionError):
            await thread.run(lambda: 1 / 0)
        assert await thread.run(sum, [1, 2]) == 3  # the thread outlives a failed call
        thread.stop()
        with pytest.raises(RuntimeError):
            await thread.run(print)

    asyncio.run(scenario())


def test_the_buffer_is_full_at_its_size_counting_records_sightings_and_unknown_items_alike():
    buffer = WriteBuffer(3)
    a, b = record(1), record(2)
    buffer.add(a)
    buffer.touch("heute:9", WHEN)
    assert buffer.pending() == 2 and not buffer.full
    buffer.add_unknown(b)
    assert buffer.full
    batch = buffer.take()
    assert (batch.records, batch.touches, batch.unknown) == ([a], [("heute:9", WHEN)], [b]) and len(batch) == 3
    assert buffer.pending() == 0 and not buffer.full and len(buffer.take()) == 0


@pytest.mark.parametrize("size", [0, -5, 1])
def test_a_buffer_size_below_one_writes_every_entry_at_once(size):
    buffer = WriteBuffer(size)
    assert buffer.size == 1
    buffer.touch("heute:1", WHEN)
    assert buffer.full


def test_the_client_writes_only_when_the_buffer_is_full_then_at_release(tmp_path):
    state = tmp_path / "state.sqlite3"
    client = StoreClient(SQLiteStore(state), Spool(tmp_path / "spool.jsonl"), buffer_size=3)

    async def scenario():
        await client.acquire()
        outcomes = [await client.add(record(n)) for n in range(4)]
        assert stored_keys(state) == [f"heute:{900000 + n}" for n in range(3)]  # the 4th waits in the buffer
        return outcomes, await client.release()

    outcomes, last = asyncio.run(scenario())
    assert [o.written for o in outcomes] == [0, 0, 3, 0]
    assert (last.written, last.spooled) == (1, 0)
    assert len(stored_keys(state)) == 4 and not (tmp_path / "spool.jsonl").exists()


def open_store(tmp_path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "state.sqlite3")
    store.open()
    return store


def test_the_writer_spools_the_whole_batch_when_the_store_fails_and_writes_again_when_it_is_back(tmp_path):
    store = open_store(tmp_path)
    spool = Spool(tmp_path / "spool.jsonl")
    breaker = Breaker(retry_interval=3600)
    writer = SpoolingWriter(store, spool, breaker)
    try:
        store.conn.execute("PRAGMA query_only = ON")  # every write now fails: a read-only database
        failed = writer.write(Batch(records=[record(1), record(2)], touches=[("heute:7", WHEN)]), store_open=True)
        assert (failed.written, failed.spooled, failed.spooled_touches, failed.failed) == (0, 2, 1, True)
        assert not breaker.closed and "readonly" in breaker.last_error  # lookups answer UNKNOWN meanwhile
        store.conn.execute("PRAGMA query_only = OFF")
        later = writer.write(Batch(records=[record(3)]), store_open=True)  # a write always tries the store
        assert later == FlushResult(written=1)
        assert breaker.closed
        assert store.count() == 1
    finally:
        store.close()
    entries = spool.read()
    assert [(e.kind, e.key) for e in entries] == [("item", "heute:900001"), ("item", "heute:900002"),
                                                  ("touch", "heute:7")]


def test_the_writer_spools_a_store_not_opened_and_unknown_items_without_asking_the_store(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    writer = SpoolingWriter(SQLiteStore(tmp_path / "never-opened.sqlite3"), spool, Breaker(5))
    result = writer.write(Batch(records=[record(1)], touches=[("heute:7", WHEN)], unknown=[record(2)]),
                          store_open=False)
    assert (result.written, result.spooled, result.spooled_touches, result.failed) == (0, 2, 1, False)
    assert sorted(e.key for e in spool.read()) == ["heute:7", "heute:900001", "heute:900002"]
    assert not (tmp_path / "never-opened.sqlite3").exists()


def test_what_neither_the_store_nor_the_spool_takes_is_raised_as_items_lost_with_the_counts(tmp_path, tmpfs):
    disk = tmpfs("64k")
    disk.fill()
    store = open_store(tmp_path)
    writer = SpoolingWriter(store, Spool(disk.path / "spool.jsonl"), Breaker(5))
    try:
        with pytest.raises(ItemsLost) as lost:
            writer.write(Batch(records=[record(1)], unknown=[record(2), record(3)]), store_open=True)
    finally:
        store.close()
    assert (lost.value.items, lost.value.touches) == (2, 0)
    assert lost.value.result.written == 1  # what the flush did before: the store took record 1
    assert stored_keys(tmp_path / "state.sqlite3") == ["heute:900001"]
    spool_file = disk.path / "spool.jsonl"
    assert not spool_file.exists() or spool_file.read_bytes() == b""  # nothing half-written
