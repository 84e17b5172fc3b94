"""What the public board (党务公开栏) shows: published pledges only, and only their public parts."""
from documents.opinion import in_window
from documents.organisation import Organisation, subtree_ids
from documents.pledge import Pledge, State

PUBLIC_STATES = [s.value for s in (State.PUBLISHED, State.FULFILLING, State.FULFILLED, State.LATE,
                                   State.EXCUSED, State.EVALUATED)]


def public_pledge(pledge):
    """The parts of a pledge fit for the board: who, the items, progress; never reviews, ids or phones."""
    return {
        "id": str(pledge.pk),
        "open_for_opinions": in_window(pledge),
        "who": pledge.pledger,
        "post": (pledge.member.post or "") if pledge.member else "",
        "kind": "党员公开承诺" if pledge.member else "党组织公开承诺",
        "state": str(pledge.state_title),
        "note": pledge.closing_note if pledge.state == State.EXCUSED.value else "",
        "items": [{"content": i.content, "owner": i.owner, "deadline": i.deadline, "expected": i.expected}
                  for i in pledge.items],
    }


def board_for(organisation, year):
    """[(organisation, [public pledge])] for the organisation and every one below it, by code."""
    ids = subtree_ids([organisation.pk])
    pledges = Pledge.objects(organisation__in=ids, year=year, state__in=PUBLIC_STATES).select_related(max_depth=1)
    by_org = {}
    for pledge in sorted(pledges, key=lambda p: (p.scope != "org", p.member.name if p.member else "")):
        by_org.setdefault(pledge.organisation.pk, []).append(public_pledge(pledge))
    return [(org, by_org[org.pk]) for org in Organisation.objects(pk__in=ids).order_by("code") if org.pk in by_org]
