"""Text search that works on FerretDB and MongoDB alike.

MongoEngine's icontains sends the regex options "iu", which FerretDB refuses; every text
search goes through here and sends an escaped pattern with the option "i" only.
"""
import re

from mongoengine import Q

from documents import normalise


def _pattern(term):
    return {"$regex": re.escape(normalise.search_term(term)), "$options": "i"}


def any_contains(fields, term):
    """Match documents where any of the fields contains the term, case-insensitively.

    One raw `$or`, not an OR of queries: MongoEngine then keeps the list's equalities (org_path, month …) at the
    top of the filter beside it, where FerretDB pushes them down, instead of wrapping everything in an `$and`.
    """
    return Q(__raw__={"$or": [{field: _pattern(term)} for field in fields]})
