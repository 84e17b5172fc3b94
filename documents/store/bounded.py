"""Reads that want only the first few matches of a filter that may match thousands.

FerretDB 1.24 pushes no limit down beside a filter, and whenever it closes a query before its end (the end of a
limited reply, or the killCursors of a cursor the app stopped reading) it first reads the rest of PostgreSQL's rows:
on the county data, closing a search over a key 36,000 entries hold took 4.6–7.3 s of the server's time after the
page had its 20 rows. A query sent with a time limit is cancelled instead (FerretDB cancels the statement before
closing it): 7 ms. On MongoDB both are cheap.
"""
CANCEL_NOT_DRAIN_MS = 600_000  # never reached by a page: it only makes FerretDB cancel an early close, not drain it


def first_ids(collection, query, count):
    """The _ids of the first count documents matching query, in one reply that leaves the server no cursor to close."""
    found = collection.find(query, {"_id": 1}, limit=-count, batch_size=count, max_time_ms=CANCEL_NOT_DRAIN_MS)
    return [row["_id"] for row in found]
