"""Backfills of many records: one update per record, new records inserted in batches, progress reported as they go.

FerretDB 1.24 runs every statement of an unordered bulk write on a PostgreSQL connection of its own and stops
answering everyone once its pool (50) is used up; measured on the county data, a bulk of 20 statements is not faster
than the same 20 updates one by one either (each update costs a commit, and the two cores are the limit), so updates
go one command each. Inserts are the cheap write (FerretDB commits a batch together): new records go in batches.
"""
import contextlib
import contextvars

from pymongo.errors import BulkWriteError

from documents.store.claims import DUPLICATE_KEY

INSERT_BATCH = 500
REPORT_EVERY = 2000

_progress = contextvars.ContextVar("backfill_progress", default=None)


@contextlib.contextmanager
def reporting(report):
    """Call report(done, total) as the backfills within write their records (the CLI prints it)."""
    token = _progress.set(report)
    try:
        yield
    finally:
        _progress.reset(token)


def report(done, total, every=REPORT_EVERY):
    """Tell the caller of reporting() that done of total records are written, every so many and at the end."""
    progress = _progress.get()
    if progress is not None and (done % every == 0 or done == total):
        progress(done, total)


def update_each(collection, changes, total=None):
    """$set each record's values (pairs of _id and {field: value}, taken lazily), one command a record; return how many."""
    total, done = len(changes) if total is None else total, 0
    for done, (pk, values) in enumerate(changes, 1):
        collection.update_one({"_id": pk}, {"$set": values})
        report(done, total)
    return done


def insert_new(collection, docs):
    """Insert the documents in batches, leaving any whose _id was stored meanwhile as it is; return how many."""
    docs, inserted = list(docs), 0
    for first in range(0, len(docs), INSERT_BATCH):
        batch = docs[first:first + INSERT_BATCH]
        try:
            inserted += len(collection.insert_many(batch, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", ())):
                raise
            inserted += exc.details["nInserted"]
        report(first + len(batch), len(docs))
    return inserted
