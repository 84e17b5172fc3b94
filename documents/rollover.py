"""The new year: extend templates, copy deadlines and 提诺/评诺 time, and carry unfinished items into draft pledges.

Everything is looked up before it is made, so running the rollover twice changes nothing the
second time. A carried item is recorded on the new pledge ("carried_from": the old pledge and
item) and found from the old pledge by one equality on the member, so both show the link.
"""
from dataclasses import dataclass, field

from documents import audit, progress, summary
from documents.calendar import PublicationDeadline
from documents.member import Member
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge, PledgeItem, State
from documents.pledging import template_for
from documents.template import PledgeTemplate
from documents.window import WorkWindow

OPEN_FOR_ITEMS = (State.DRAFT.value, State.RETURNED.value)
UNFINISHED_STATES = (*progress.OPEN_STATES, State.LATE.value)


def next_year_day(day):
    """The same day a year later (29 February becomes 28 February)."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass
class Plan:
    """What rolling `year` over into year + 1 would make; empty once it has been done."""
    year: int
    templates: list = field(default_factory=list)
    settings: list = field(default_factory=list)  # (old setting, fields of its copy)
    carried: dict = field(default_factory=dict)  # (organisation id, member id) -> [(old pledge, item index)]
    locked: list = field(default_factory=list)  # next-year pledges already past draft: nothing is added to them

    @property
    def empty(self):
        return not (self.templates or self.settings or self.carried)

    def carried_lines(self):
        return [(pledge, index) for lines in self.carried.values() for pledge, index in lines]


def plan(year):
    """Look at `year` and say what the rollover would create for year + 1."""
    year, following = int(year), int(year) + 1
    found = Plan(year)
    found.templates = [t for t in PledgeTemplate.objects(current=True, active=True) if t.years and year in t.years
                       and following not in t.years]
    for document, dates in ((PublicationDeadline, ("deadline",)),
                            (WorkWindow, ("propose_from", "propose_until", "evaluate_from", "evaluate_until"))):
        taken = {ref_id(s, "organisation") for s in document.objects(year=following).order_by().no_dereference()}
        for setting in document.objects(year=year).order_by().no_dereference():
            if ref_id(setting, "organisation") not in taken:
                found.settings.append((setting, {name: next_year_day(getattr(setting, name)) for name in dates}))
    for org_id in Organisation.objects.order_by().scalar("pk"):
        _plan_items(found, org_id, following)
    return found


def _plan_items(found, org_id, following):
    """Unfinished items of one organisation's member pledges not yet carried into next year's pledge."""
    pledges = [p for p in Pledge.objects(organisation=org_id, year=found.year, scope="member").order_by().as_pymongo()
               if p["state"] in UNFINISHED_STATES]
    if not pledges:
        return
    unfinished = summary.unfinished_items(pledges, org_id)
    following_pledges = {ref_id(p, "member"): p for p in Pledge.objects(organisation=org_id, year=following,
                                                                         scope="member").order_by().no_dereference()}
    by_id = {p["_id"]: p for p in pledges}
    for item in unfinished:
        member = by_id[item["pledge"]]["member"]
        nxt = following_pledges.get(member)
        if nxt is not None and any(c["pledge"] == item["pledge"] and c["index"] == item["index"] for c in nxt.carried_from):
            continue
        if nxt is not None and nxt.state not in OPEN_FOR_ITEMS:
            if nxt not in found.locked:
                found.locked.append(nxt)
            continue
        old = Pledge._from_son(by_id[item["pledge"]])
        found.carried.setdefault((org_id, member), []).append((old, item["index"]))


def run(actor, year):
    """Create year + 1's working set from `year`; return the Plan that was carried out."""
    done = plan(year)
    following = done.year + 1
    for template in done.templates:
        before = audit.snapshot(template)
        template.years = sorted({*template.years, following})
        template.save_checked(template.version, lambda doc: audit.entry(actor, "年度结转：延用模板", doc, before,
                                                                         audit.snapshot(doc)))
    for setting, dates in done.settings:
        copy = type(setting)(organisation=ref_id(setting, "organisation"), year=following, **dates)
        copy.save_checked(None, lambda doc: audit.entry(actor, "年度结转：复制", doc, {}, audit.snapshot(doc),
                                                        organisation_id=ref_id(doc, "organisation")))
    for (org_id, member_id), lines in done.carried.items():
        _carry(actor, org_id, member_id, following, lines)
        summary.refresh(org_id)
    return done


def _carry(actor, org_id, member_id, following, lines):
    """Add the carried items to the member's draft pledge of the next year, making the draft if there is none."""
    pledge = Pledge.objects(organisation=org_id, member=member_id, year=following, scope="member").first()
    before = audit.snapshot(pledge) if pledge else {}
    if pledge is None:
        organisation, member = Organisation.objects(pk=org_id).first(), Member.objects(pk=member_id).first()
        template = template_for(organisation, member, following)
        if template is None:
            return
        old_values = lines[0][0].values
        pledge = Pledge(scope="member", organisation=organisation, member=member, year=following, template=template,
                        values={f.key: old_values[f.key] for f in template.shown_fields(old_values, member.categories)
                                if f.key in old_values},
                        entered_by=str(actor), entered_by_id=actor.pk)
    for old, index in lines:
        item = old.items[index]
        pledge.items.append(PledgeItem(content=item.content, owner=item.owner, deadline=next_year_day(item.deadline),
                                       expected=item.expected, extra=dict(item.extra)))
        pledge.carried_from.append({"pledge": old.pk, "index": index, "year": old.year, "content": item.content})
    pledge.refresh_copies()
    pledge.save_checked(pledge.version if pledge.pk else None,
                        lambda doc: audit.entry(actor, "年度结转：未完成事项", doc, before, audit.snapshot(doc),
                                                organisation_id=org_id))


def carried_to(pledge):
    """{item index: next year's pledge} for the items of this pledge carried into the next year."""
    if pledge.scope != "member" or pledge.member is None:
        return {}
    found = {}
    for nxt in Pledge.objects(member=ref_id(pledge, "member"), year=pledge.year + 1).order_by():
        for carried in nxt.carried_from:
            if carried["pledge"] == pledge.pk:
                found[carried["index"]] = nxt
    return found
