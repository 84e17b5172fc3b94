"""What the admin home shows: the user's organisations at a glance and what needs attention now.

Every figure comes from the organisation-year summaries the user may see (documents/summary.py);
the few named lines are fetched by equality filters, at most SHOWN of each, so the number of
queries does not grow with the number of pledges.
"""
import datetime as dt

from bson import ObjectId

from documents import access, summary
from documents.calendar import PublicationDeadline
from documents.organisation import ref_id
from documents.pledge import Pledge, State

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
    }


class Lines(list):
    """The first SHOWN lines of a to-do box, with the full count that the box's title shows."""

    def __init__(self, lines, total):
        super().__init__(lines)
        self.total = total


def _to_review(user, summaries):
    """Submitted pledges this user reviews: buckets counted from summaries, names fetched for the first few."""
    if user.is_admin:
        buckets = [(s, scope) for s in summaries for scope in ("member", "org")]
    elif user.role == "reviewer":
        own = ref_id(user, "organisation")
        buckets = [(s, "member") for s in summaries if s.organisation == own]
        buckets += [(s, "org") for s in summaries if s.parent == own]
    else:
        buckets = []
    submitted = (State.SUBMITTED.value,)
    buckets = [(s, scope, s.count(scope, submitted)) for s, scope in buckets if s.count(scope, submitted)]
    buckets.sort(key=lambda b: (-b[0].year, b[0].code or ""))
    lines = []
    for s, scope, _n in buckets:
        if len(lines) >= SHOWN:
            break
        lines += Pledge.objects(organisation=s.organisation, year=s.year, scope=scope,
                                state=State.SUBMITTED.value).order_by().limit(SHOWN - len(lines))
    return Lines(lines, sum(n for _s, _scope, n in buckets))


def _unpublished(summaries, today):
    """This year's pledges not yet published whose publication deadline is past or within SOON."""
    deadlines = {ref_id(d, "organisation"): d.deadline
                 for d in PublicationDeadline.objects(year=today.year).order_by().no_dereference()}
    buckets = []
    for s in summaries:
        deadline = next((deadlines[i] for i in reversed(s.org_path) if i in deadlines), None)
        if deadline and deadline <= today + SOON:
            buckets += [(deadline, s, state, s.count(None, (state,))) for state in summary.UNPUBLISHED_STATES
                        if s.count(None, (state,))]
    buckets.sort(key=lambda b: (b[0], b[1].code or ""))
    lines = []
    for deadline, s, state, _n in buckets:
        if len(lines) >= SHOWN:
            break
        found = Pledge.objects(organisation=s.organisation, year=s.year, state=state).order_by().limit(SHOWN - len(lines))
        lines += [(p, deadline, deadline < today) for p in found]
    return Lines(lines, sum(b[3] for b in buckets))


def _overdue(summaries, today):
    """Items past their deadline and not done, soonest first: counted and listed from the summaries alone."""
    items = [dict(i, deadline=dt.date.fromisoformat(i["deadline"]), pledge=ObjectId(str(i["pledge"])))
             for s in summaries for i in s.earliest_open if i["deadline"] < today.isoformat()]
    items.sort(key=lambda i: (i["deadline"], str(i["pledge"]), i["index"]))
    return Lines(items[:SHOWN], sum(s.items_due_before(today) for s in summaries))
