"""What the public board (党务公开栏) shows: published pledges only, and only their public parts.

Which organisations have published pledges, and in which states, comes from the summaries;
the pledges themselves are read by equality (organisation, year, state), one organisation at a
time, so a street's board never reads the pledges of all its branches at once.
"""
import math
from dataclasses import dataclass, field

from documents import progress, summary
from documents.member import Member
from documents.opinion import in_window
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge, State

PUBLIC_STATES = list(summary.PUBLIC_STATES)
PAGE_SIZE = 40


@dataclass
class BoardPage:
    sections: list  # [(summary of an organisation, [public pledge])]
    branches: list = field(default_factory=list)  # [(summary, published pledges)] of the organisations below
    page: int = 1
    pages: int = 1


def public_pledge(pledge, member, org_name, latest):
    """The parts of a pledge fit for the board: who, the items, progress; never reviews, ids or phones.

    latest is {(pledge id, item index): latest progress entry}; an item shows its status, percent and date, not the note.
    """
    return {
        "id": str(pledge.pk),
        "open_for_opinions": in_window(pledge),
        "who": member.name if member else org_name,
        "post": (member.post or "") if member else "",
        "kind": "党员公开承诺" if pledge.scope == "member" else "党组织公开承诺",
        "state": str(pledge.state_title),
        "note": pledge.closing_note if pledge.state == State.EXCUSED.value else "",
        "items": [{"content": i.content, "owner": i.owner, "deadline": i.deadline, "expected": i.expected,
                   "progress": _progress(latest.get((pledge.pk, index)))} for index, i in enumerate(pledge.items)],
    }


def _progress(entry):
    """{status, percent, on} of an item's latest progress entry, or None when none is recorded."""
    if entry is None:
        return None
    return {"status": entry["status"], "percent": entry.get("percent") or 0, "on": entry["on"].date()}


def _published_rows(org_summary):
    """[(pledge, member or None)] as stored (dictionaries) published by one organisation in one year, its own pledge
    first, then by name: a large board pages them, so only the page's few become documents (1–2 ms each)."""
    pledges = [p for state in PUBLIC_STATES if org_summary.count(None, (state,))
               for p in Pledge.objects(organisation=org_summary.organisation, year=org_summary.year, state=state)
               .order_by().as_pymongo()]
    wanted, members = {p.get("member") for p in pledges} - {None}, {}
    # Members of the organisation first; members living in a community and pledging there next.
    for field_name in ("organisation", "residential_org"):
        if wanted - set(members):
            members.update((m["_id"], m) for m in Member.objects(**{field_name: org_summary.organisation})
                           .order_by().only("name", "post").as_pymongo())
    rows = []
    for p in pledges:
        member_id = p.get("member")
        member = None
        if member_id is not None:
            member = members.get(member_id) or \
                Member.objects(pk=member_id).order_by().only("name", "post").as_pymongo().first()
        rows.append((p, member))
    rows.sort(key=lambda r: (r[0].get("scope") != "org", (r[1] or {}).get("name") or ""))
    return rows


def _documents(rows):
    """[(Pledge, Member or None)] of stored rows, read without dereferencing."""
    return [(Pledge._from_son(p, _auto_dereference=False), Member._from_son(m) if m else None) for p, m in rows]


def _published(org_summary):
    """[(pledge, member or None)] published by one organisation in one year, its own pledge first, then by name."""
    return _documents(_published_rows(org_summary))


def _section(org_summary, rows):
    latest = progress.latest_in_org(org_summary.organisation) if rows else {}
    return org_summary, [public_pledge(p, m, org_summary.name, latest) for p, m in rows]


def board_page(organisation, year, page=1):
    """One page of an organisation's board: a small tree in full; a large one lists its branches and pages its own pledges."""
    shown = sorted((s for s in summary.subtree(organisation.pk, year) if s.count(None, PUBLIC_STATES)),
                   key=lambda s: s.code or "")
    if sum(s.count(None, PUBLIC_STATES) for s in shown) <= PAGE_SIZE:
        return BoardPage(sections=[_section(s, _published(s)) for s in shown])
    own = next((s for s in shown if s.organisation == organisation.pk), None)
    rows = _published_rows(own) if own else []
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(page, 1), pages)
    sections = [_section(own, _documents(rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]))] if rows else []
    return BoardPage(sections=sections, branches=[(s, s.count(None, PUBLIC_STATES)) for s in shown if s is not own], page=page, pages=pages)


def board_for(organisation, year):
    """[(organisation summary, [public pledge])] for the organisation and every one below it, by code: the printed sheet."""
    shown = sorted((s for s in summary.subtree(organisation.pk, year) if s.count(None, PUBLIC_STATES)),
                   key=lambda s: s.code or "")
    return [_section(s, _published(s)) for s in shown]


def members_published(organisation, year):
    """[(pledge, member)] of the members of one organisation whose pledges of a year are published, by name."""
    own = next((s for s in summary.subtree(organisation.pk, year) if s.organisation == organisation.pk), None)
    return [(p, m) for p, m in _published(own) if m is not None] if own and own.count(None, PUBLIC_STATES) else []


def pledge_page(organisation, pledge_id):
    """One published pledge of the organisation or one below it, as a board page of its own (what a 承诺卡 opens).

    Returns (page, year), or None when there is no such published pledge; read by `_id` and `org_path` equality.
    """
    pledge = Pledge.objects(pk=pledge_id, org_path=organisation.pk).order_by().no_dereference().first()
    if pledge is None or pledge.state not in PUBLIC_STATES:
        return None
    member_id = ref_id(pledge, "member")
    member = Member.objects(pk=member_id).order_by().only("name", "post").first() if member_id else None
    owner = Organisation.objects(pk=ref_id(pledge, "organisation")).order_by().only("name", "code").first()
    latest = progress.latest_in_org(owner.pk)
    return BoardPage(sections=[(owner, [public_pledge(pledge, member, owner.name, latest)])]), pledge.year
