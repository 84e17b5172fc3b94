"""What the admin home shows: the user's organisations at a glance and what needs attention now.

Every figure and every named line comes from the organisation-year summaries the user may see
(documents/summary.py), so the number of queries does not grow with the number of pledges.
"""
import datetime as dt

from documents import access, chasing, notices, summary


def dashboard_context(user, today=None):
    today = today or dt.date.today()
    orgs = list(access.org_queryset(user).only("name", "code", "level", "org_type"))
    summaries = summary.visible(user)
    latest = {}
    for s in sorted(summaries, key=lambda s: s.year):
        latest[s.organisation] = s
    return {
        "org_count": len(orgs),
        "member_count": sum(s.members_total for s in latest.values()),
        "active_member_count": sum(s.members_active for s in latest.values()),
        "orgs": orgs[:12],
        "notices": notices.unread(user),
        **chasing.todos(user, summaries, orgs, today),
    }
