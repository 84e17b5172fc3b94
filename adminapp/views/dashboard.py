"""What the admin home shows: the user's organisations at a glance and what needs attention now.

Every figure and every named line comes from the rollups of the user's top organisations (documents/summary.py),
a few documents whatever the number of organisations. Until `flask rebuild-summaries` has made the rollups, they come
from the organisation-year summaries the user may see: every organisation has a summary of the current year, so they
also say which organisations there are, and only the current year's (and the chosen year's) are read.
"""
import datetime as dt

from flask import current_app, url_for

from documents import access, chasing, modelpost, notices, statistics, summary, zone


def dashboard_context(user, today=None):
    today = today or dt.date.today()
    rolled = summary.rolled_up(user)
    if rolled and today.year in rolled:
        this_year = rolled[today.year]
        return {
            "org_count": this_year.orgs, "member_count": this_year.members_total,
            "active_member_count": this_year.members_active, **_shared(user, today), **chasing.rolled_todos(user, rolled, today),
        }
    summaries = summary.visible(user, (today.year,))
    latest = {}
    for s in sorted(summaries, key=lambda s: s.year):
        latest[s.organisation] = s
    return {
        "org_count": len(latest),
        "member_count": sum(s.members_total for s in latest.values()),
        "active_member_count": sum(s.members_active for s in latest.values()),
        **_shared(user, today),
        **chasing.todos(user, summaries, sorted(latest.values(), key=lambda s: s.code or ""), today),
    }


def _shared(user, today):
    """What the home page shows besides the summaries' figures."""
    return {
        "orgs": list(access.org_queryset(user).only("name", "code", "level", "org_type").limit(chasing.ORGS_SHOWN)),
        "notices": notices.unread(user),
        "posts": modelpost.dashboard(user, today),
        "zones": zone.counts(user, today.year),
    }


def list_url(endpoint, **filters):
    """The URL of a Flask-Admin list with its filters set: {column: value}, each on the view's filter of that column."""
    view = next(v for v in current_app.extensions["admin"][0]._views if v.endpoint == endpoint)
    args = {}
    for position, (column, value) in enumerate(filters.items()):
        index = next(i for i, f in enumerate(view._filters) if f.column == column)
        args[f"flt{position}_{view.get_filter_arg(index, view._filters[index])}"] = value
    return url_for(f"{endpoint}.index_view", **args)


LINKS = {
    "coverage": lambda year, org: url_for("coverage.index", organisation=org, year=year),
    "funnel": lambda year, state: list_url("pledge", year=str(year), state=state),
    "items": lambda year, kind: url_for("statistics.index", year=year, kind=kind),
    "rounds": lambda year, quarter: list_url("supervision", year=str(year), quarter=str(quarter)),
    "rectifications": lambda year, state: list_url("rectification", year=str(year), closed_on=state),
    "grades": lambda year, _grade: list_url("evaluation", year=str(year), period="年度"),
}


def chart_context(user, year, today=None):
    """The year's figures over what the user may see, and the charts drawn from them, each bar linking to its list."""
    f = statistics.figures(user, year, today)
    charts = [{"id": s.id, "title": str(s.title), "kind": s.kind, "unit": s.unit,
               "labels": [str(label) for label, _v, _k in s.bars], "values": [v for _l, v, _k in s.bars],
               "links": [LINKS[s.id](f.year, key) for _l, _v, key in s.bars]} for s in statistics.series(f)]
    return {"figures": f, "charts": charts, "rate": statistics.rate}
