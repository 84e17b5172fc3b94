"""What the admin home shows: the user's organisations at a glance and what needs attention now."""
import datetime as dt

from documents import access
from documents.cycle import can_review
from documents.calendar import deadline_for
from documents.member import Member
from documents.organisation import ref_id
from documents.pledge import Pledge, State
from documents.progress import OPEN_STATES, overdue_items
from documents.supervision import rounds_missing


def dashboard_context(user, today=None):
    today = today or dt.date.today()
    orgs = list(access.org_queryset(user).only("name", "code", "level", "org_type"))
    members = access.scope(Member.objects, user)
    pledges = access.scope(Pledge.objects, user)
    to_review = [p for p in pledges.filter(state=State.SUBMITTED.value) if can_review(user, p)]
    unpublished = []
    for pledge in pledges.filter(state__in=[State.DRAFT.value, State.SUBMITTED.value, State.RETURNED.value,
                                            State.APPROVED.value, State.SIGNED.value], year=today.year):
        deadline = deadline_for(ref_id(pledge, "organisation"), pledge.year)
        if deadline and deadline <= today + dt.timedelta(days=14):
            unpublished.append((pledge, deadline, deadline < today))
    overdue = [(p, p.items[i]) for p in pledges.filter(state__in=list(OPEN_STATES))
               for i in overdue_items(p, today)]
    return {
        "org_count": len(orgs),
        "member_count": members.count(),
        "active_member_count": members.filter(status="在册").count(),
        "orgs": orgs[:12],
        "to_review": to_review,
        "unpublished": unpublished,
        "overdue": overdue,
        "no_round": [o for o in orgs if o.pk in set(rounds_missing([o.pk for o in orgs], today))],
    }
