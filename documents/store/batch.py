"""Backfills of many records: each collection read once per run, one update per record sent by a few writers at
once, new records inserted in batches, progress reported as they go.

Reading is the other cost: FerretDB converts every document a query returns, whatever the projection (county: a
pass over the pledges takes about two minutes under load). Within reading(), the backfills share one read of each
collection, with the fields all of them declared (reads()), and the rows follow their own updates.

FerretDB 1.24 runs every statement of an unordered bulk write on a PostgreSQL connection of its own and stops
answering everyone once its pool (50) is used up; measured on the county data, a bulk of 20 statements is not faster
than the same 20 updates one by one either (each update costs a commit, and the two cores are the limit), so updates
go one command each, from WRITERS threads: on the loaded county machine (load 15) a member's update took 50 ms one
after another and 5 ms each with 8 in flight (each waits mostly for its turn on a core and for its commit, which
PostgreSQL then flushes together). Inserts are the cheap write (FerretDB commits a batch together): new records go in
batches.
"""
import contextlib
import contextvars
import itertools
from concurrent.futures import ThreadPoolExecutor

from pymongo.errors import BulkWriteError

from documents.store.claims import DUPLICATE_KEY

INSERT_BATCH = 500
WRITERS = 8  # updates in flight: far below FerretDB's pool of 50 connections, which the app shares
REPORT_EVERY = 2000

_progress = contextvars.ContextVar("backfill_progress", default=None)
_rows = contextvars.ContextVar("backfill_rows", default=None)
_declared = {}  # document name -> the stored fields the backfills read of it


def reads(document_name, *fields):
    """Declare stored fields a backfill reads of a document, so the one shared read fetches them for every backfill."""
    _declared.setdefault(document_name, set()).update(fields)


@contextlib.contextmanager
def reading():
    """Let the backfills within share one read of each collection (the rows stay in memory until the end)."""
    token = _rows.set({})
    try:
        yield
    finally:
        _rows.reset(token)


def rows(document, fields):
    """Every record of the document with these stored fields: read now, or shared with the backfills of reading()."""
    collection = document._get_collection()
    shared, wanted = _rows.get(), {*fields, *_declared.get(document.__name__, ())}
    if shared is None:
        return list(collection.find({}, dict.fromkeys(wanted, 1)))
    known, found = shared.get(collection.name, (set(), None))
    if found is None or not wanted <= known:
        found = {row["_id"]: row for row in collection.find({}, dict.fromkeys(wanted, 1))}
        shared[collection.name] = (wanted, found)
    return list(found.values())


@contextlib.contextmanager
def reporting(report):
    """Call report(text) with a line of progress in Chinese as the backfills within go (the CLI prints it)."""
    token = _progress.set(report)
    try:
        yield
    finally:
        _progress.reset(token)


def report(done, total, every=REPORT_EVERY, text="已写入 {done} / {total} 条"):
    """Tell the caller of reporting() how far a backfill is, every so many and at the end."""
    progress = _progress.get()
    if progress is not None and (done % every == 0 or done == total):
        progress(text.format(done=done, total=total))


def update_each(collection, changes, total=None):
    """$set each record's values (pairs of _id and {field: value}, taken lazily, a few at a time), one command a
    record; return how many."""
    total, done, changes = len(changes) if total is None else total, 0, iter(changes)
    shared = (_rows.get() or {}).get(collection.name, (None, {}))[1]
    with ThreadPoolExecutor(WRITERS) as writers:
        while window := list(itertools.islice(changes, WRITERS * 2)):
            list(writers.map(lambda change: collection.update_one({"_id": change[0]}, {"$set": change[1]}), window))
            for pk, values in window:
                if pk in shared:
                    shared[pk].update(values)
                done += 1
                report(done, total)
    return done


def insert_new(collection, docs, total=None):
    """Insert the documents (taken lazily, a batch at a time) in batches, leaving any whose _id was stored meanwhile as it
    is; return how many."""
    total, done, inserted, docs = len(docs) if total is None else total, 0, 0, iter(docs)
    while chunk := list(itertools.islice(docs, INSERT_BATCH)):
        try:
            inserted += len(collection.insert_many(chunk, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", ())):
                raise
            inserted += exc.details["nInserted"]
        done += len(chunk)
        report(done, total)
    return inserted
