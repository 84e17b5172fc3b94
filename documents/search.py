"""Text search that works on FerretDB and MongoDB alike, and stays fast on big lists.

MongoEngine's icontains sends the regex options "iu", which FerretDB refuses; every text
search goes through here and sends an escaped pattern with the option "i" only.

FerretDB never pushes a regex down, so a regex alone reads the user's whole scope. Big lists
store search keys on each record (an array field with a GIN index) and send one equality on
the key the term must have beside the regex: PostgreSQL picks the few candidates, FerretDB
runs the regex on them only.
"""
import re

from mongoengine import Q

from documents import normalise
from documents.store import batch

# Keys kept per record: the bigrams of a long pledge beyond this are not searchable, its start and names are.
KEY_CAP = 1500


def _pattern(term):
    return {"$regex": re.escape(normalise.search_term(term)), "$options": "i"}


def _or(fields, term):
    return [{field: _pattern(term)} for field in fields]


def any_contains(fields, term):
    """Match documents where any of the fields contains the term, case-insensitively.

    One raw `$or`, not an OR of queries: MongoEngine then keeps the list's equalities (org_path, month …) at the
    top of the filter beside it, where FerretDB pushes them down, instead of wrapping everything in an `$and`.
    """
    return Q(__raw__={"$or": _or(fields, term)})


def keyed_filter(key_field, key, fields, term):
    """The raw filter of keyed_contains, for a query sent without MongoEngine."""
    return {key_field: key, "$or": _or(fields, term)}


def keyed_contains(key_field, key, fields, term):
    """As any_contains, among only the documents whose key_field holds key (an indexed equality FerretDB pushes down)."""
    return Q(__raw__=keyed_filter(key_field, key, fields, term))


def _words(text):
    return normalise.search_term(text).lower().split()


def text_keys(names, texts):
    """A record's keys: every character of its names and every pair of neighbouring characters of names and texts.

    Chinese has no spaces between words, so any term of two characters or more contains a pair the record must
    have; single characters are kept for names only (a pair of characters in a long text is selective, one is not).
    """
    keys = {}
    for text in names:
        for word in _words(text or ""):
            keys.update(dict.fromkeys(word))
    for text in (*names, *texts):
        for word in _words(text or ""):
            keys.update(dict.fromkeys(word[i:i + 2] for i in range(len(word) - 1)))
            if len(keys) >= KEY_CAP:
                return list(keys)[:KEY_CAP]
    return list(keys)


def term_key(term):
    """The key a record must hold to contain the term: its longest word's last pair of characters, or the character."""
    words = _words(term)
    if not words:
        return None
    word = max(words, key=len)
    return word[-2:]


def backfill(document, field, keys_of, fields):
    """Give records whose search keys are missing or made by an earlier rule their keys; safe to run again. Return how many.

    The records are read in full before the first write (FerretDB 1.24 ran out of connections when updates ran beside
    an open cursor), then only the stale ones are written.
    """
    collection = document._get_collection()
    stale = [(doc["_id"], {field: keys}) for doc in batch.rows(document, (*fields, field))
             if doc.get(field) != (keys := keys_of(doc))]
    return batch.update_each(collection, stale)
