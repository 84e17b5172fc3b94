"""Text search that works on FerretDB and MongoDB alike.

MongoEngine's icontains sends the regex options "iu", which FerretDB refuses; every text
search goes through here and sends an escaped pattern with the option "i" only.
"""
import re

from mongoengine import Q

from documents import normalise


def contains(field, term):
    return Q(__raw__={field: {"$regex": re.escape(normalise.search_term(term)), "$options": "i"}})


def any_contains(fields, term):
    """Match documents where any of the fields contains the term, case-insensitively."""
    query = None
    for field in fields:
        q = contains(field, term)
        query = q if query is None else query | q
    return query
