"""What the admin home shows: the user's organisations at a glance and what needs attention now.

Every figure and every named line comes from the organisation-year summaries the user may see
(documents/summary.py), so the number of queries does not grow with the number of pledges.
"""
import datetime as dt
from dataclasses import dataclass

from bson import ObjectId

from documents import access, modelpost, summary, zone
from documents.calendar import PublicationDeadline
from documents.organisation import ref_id
from documents.pledge import STATE_TITLES, State

SHOWN = 8
SOON = dt.timedelta(days=14)


def dashboard_context(user, today=None):
    today = today or dt.date.today()
    orgs = list(access.org_queryset(user).only("name", "code", "level", "org_type"))
    summaries = summary.visible(user)
    latest = {}
    for s in sorted(summaries, key=lambda s: s.year):
        latest[s.organisation] = s
    this_year = {s.organisation: s for s in summaries if s.year == today.year}
    quarter = str((today.month - 1) // 3 + 1)
    return {
        "org_count": len(orgs),
        "member_count": sum(s.members_total for s in latest.values()),
        "active_member_count": sum(s.members_active for s in latest.values()),
        "orgs": orgs[:12],
        "to_review": _to_review(user, summaries),
        "unpublished": _unpublished(this_year.values(), today),
        "overdue": _overdue(summaries, today),
        "no_round": [o for o in orgs if not (this_year.get(o.pk) and this_year[o.pk].rounds.get(quarter))],
        "posts": modelpost.dashboard(user, today),
        "zones": zone.counts(user, today.year),
    }


@dataclass
class ToDo:
    """A pledge named on a to-do line."""
    pk: ObjectId
    label: str
    state: str

    def __str__(self):
        return self.label

    @property
    def state_title(self):
        return STATE_TITLES[State(self.state)]


class Lines(list):
    """The first SHOWN lines of a to-do box, with the full count that the box's title shows."""

    def __init__(self, lines, total):
        super().__init__(lines)
        self.total = total


def _to_review(user, summaries):
    """Submitted pledges this user reviews, counted and named from the summaries."""
    if user.is_admin:
        buckets = [(s, scope) for s in summaries for scope in ("member", "org")]
    elif user.role == "reviewer":
        own = ref_id(user, "organisation")
        buckets = [(s, "member") for s in summaries if s.organisation == own]
        buckets += [(s, "org") for s in summaries if s.parent == own]
    else:
        buckets = []
    buckets.sort(key=lambda b: (-b[0].year, b[0].code or ""))
    submitted = State.SUBMITTED.value
    lines = [ToDo(f["id"], f["label"], submitted) for s, scope in buckets
             for f in s.firsts.get(submitted, []) if f["scope"] == scope]
    return Lines(lines[:SHOWN], sum(s.count(scope, (submitted,)) for s, scope in buckets))


def _unpublished(summaries, today):
    """This year's pledges not yet published whose publication deadline is past or within SOON."""
    deadlines = {ref_id(d, "organisation"): d.deadline
                 for d in PublicationDeadline.objects(year=today.year).order_by().no_dereference()}
    due = []
    for s in summaries:
        deadline = next((deadlines[i] for i in reversed(s.org_path) if i in deadlines), None)
        if deadline and deadline <= today + SOON:
            due.append((deadline, s))
    due.sort(key=lambda d: (d[0], d[1].code or ""))
    lines = [(ToDo(f["id"], f["label"], state), deadline, deadline < today) for deadline, s in due
             for state in summary.UNPUBLISHED_STATES for f in s.firsts.get(state, [])]
    return Lines(lines[:SHOWN], sum(s.count(None, summary.UNPUBLISHED_STATES) for _d, s in due))


def _overdue(summaries, today):
    """Items past their deadline and not done, soonest first."""
    items = [dict(i, deadline=dt.date.fromisoformat(i["deadline"]), pledge=ObjectId(str(i["pledge"])))
             for s in summaries for i in s.earliest_open if i["deadline"] < today.isoformat()]
    items.sort(key=lambda i: (i["deadline"], str(i["pledge"]), i["index"]))
    return Lines(items[:SHOWN], sum(s.items_due_before(today) for s in summaries))
