"""Keyed paging for the lists of big collections: a page never reads more than one organisation's records.

FerretDB pushes down equalities only, and sorts, skips and applies a limit after reading everything
the filter matched, so a list of a whole street costs what the street holds, whatever the page.
These lists instead step through the organisations in code order (counts from the read models), an
indexed equality; the key travels in the URL next to Flask-Admin's own page number, which then pages
within that one organisation. A list whose records store their page number (pledges: `page_no`, per
organisation-year) reads page N by one more equality instead of having FerretDB skip N pages in Go;
sorted by a column or narrowed by other filters, it pages by skipping as before.
"""
from flask import request
from flask_babel import gettext as _

from adminapp.views.filters import orgs_under


class OrgWalk:
    """One organisation of the user's scope (or of the chosen subtree) at a time, in code order."""

    param = "org"
    pages = None  # how many stored pages the current organisation's records fill, when they store their page number

    def __init__(self, root, counts, counted=True):
        """root: the organisation whose subtree is listed (None: all); counts: {org id: records} or None.

        counted is False when other filters narrow the list, so the read models' counts are not the list's.
        """
        counts, self.counted = counts or {}, counted
        self.choices = [(str(pk), label, counts.get(pk, 0)) for pk, label in orgs_under(root)]
        keys = [key for key, _label, _n in self.choices]
        busy = [key for key, _label, n in self.choices if n]
        requested = request.args.get(self.param)
        self.current = requested if requested in keys else (busy or keys or [None])[0]
        here = keys.index(self.current) if self.current in keys else -1
        self.previous = next((k for k, _l, n in reversed(self.choices[:max(here, 0)]) if n), None)
        self.next = next((k for k, _l, n in self.choices[here + 1:] if n), None)
        self.label = next((_("%(label)s，共 %(n)s 条", label=label, n=n) if counted else label
                           for k, label, n in self.choices if k == self.current), "")

    def narrow(self, query):
        """The records of the current organisation: one more indexed equality on the scoped query."""
        return query.filter(organisation=self.current) if self.current else query.none()

    def stored_page(self, query, page, read):
        """Page `page` of the narrowed query by its stored number, one more equality, in the order rows were numbered;
        read turns the query into rows."""
        return sorted(read(query.filter(page_no=page)), key=lambda row: row.slot)
