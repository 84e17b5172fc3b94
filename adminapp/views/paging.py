"""Keyed paging for the lists of big collections: a page never reads more than one organisation or one day.

FerretDB pushes down equalities only, and sorts, skips and applies a limit after reading everything
the filter matched, so a list of a whole street (or of a year's audit trail) costs what the street
holds, whatever the page. These lists instead step through a key that is an indexed equality: the
organisation (pledges, members; in code order, counts from the read models) or the day (the audit
trail, newest first). The key travels in the URL next to Flask-Admin's own page number, which then
pages within that one organisation or day.
"""
import datetime as dt

from flask import request
from flask_babel import gettext as _

from adminapp.views.filters import orgs_under
from exporters.pdf import cn_date

DAYS_PROBED = 31  # how far the audit trail looks for the previous or next day with entries


class OrgWalk:
    """One organisation of the user's scope (or of the chosen subtree) at a time, in code order."""

    param = "org"

    def __init__(self, root, counts):
        """root: the organisation whose subtree is listed (None: all); counts: {org id: records} or None."""
        counts = counts or {}
        self.choices = [(str(pk), label, counts.get(pk, 0)) for pk, label in orgs_under(root)]
        keys = [key for key, _label, _n in self.choices]
        busy = [key for key, _label, n in self.choices if n]
        requested = request.args.get(self.param)
        self.current = requested if requested in keys else (busy or keys or [None])[0]
        here = keys.index(self.current) if self.current in keys else -1
        self.previous = next((k for k, _l, n in reversed(self.choices[:max(here, 0)]) if n), None)
        self.next = next((k for k, _l, n in self.choices[here + 1:] if n), None)
        self.label = next((f"{label}，{_('共 %(n)s 条', n=n)}" for k, label, n in self.choices if k == self.current), "")

    def narrow(self, query):
        """The records of the current organisation: one more indexed equality on the scoped query."""
        return query.filter(organisation=self.current) if self.current else query.none()


class DayWalk:
    """The audit trail one day at a time, the latest day with entries first."""

    param = "day"

    def __init__(self, today=None):
        self.today = today or dt.date.today()
        self.choices = self.current = self.previous = self.next = self.label = None

    def narrow(self, query):
        """Settle on the asked day (else the latest with entries) and its neighbours, then keep that day's entries."""
        try:
            asked = dt.date.fromisoformat(request.args.get(self.param, ""))
        except ValueError:
            asked = None
        day = asked if asked and asked <= self.today else self._nearest(query, self.today, -1, 0) or self.today
        earlier = self._nearest(query, day, -1, 1)
        later = self._nearest(query, day, 1, 1)
        self.current, self.label = day.isoformat(), cn_date(day)
        self.previous = (earlier or day - dt.timedelta(days=DAYS_PROBED + 1)).isoformat()
        self.next = later.isoformat() if later else None
        return query.filter(day=self.current)

    def _nearest(self, query, day, step, first):
        """The closest day in that direction (within DAYS_PROBED, never after today) with an entry; one equality each."""
        for offset in range(first, DAYS_PROBED + 1):
            probe = day + dt.timedelta(days=offset * step)
            if probe > self.today:
                return None
            if query.filter(day=probe.isoformat()).order_by().limit(1).first() is not None:
                return probe
        return None
