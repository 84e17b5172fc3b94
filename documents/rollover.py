"""The new year: extend templates, copy deadlines and 提诺/评诺 time, and carry unfinished items into draft pledges.

Everything is looked up before it is made, so running the rollover twice changes nothing the
second time. A carried item is recorded on the new pledge ("carried_from": the old pledge and
item) and found from the old pledge by one equality on the member, so both show the link.
A street's rollover writes thousands of drafts (minutes of work), so the web starts it as a job.
"""
from collections import Counter
from dataclasses import dataclass, field

from documents import audit, jobs, progress, summary
from documents.base import cn_date
from documents.calendar import PublicationDeadline
from documents.member import Member
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge, PledgeItem, State
from documents.pledging import template_for
from documents.template import PledgeTemplate
from documents.user import User
from documents.window import WorkWindow

OPEN_FOR_ITEMS = (State.DRAFT.value, State.RETURNED.value)
UNFINISHED_STATES = (*progress.OPEN_STATES, State.LATE.value)
REPORT_EVERY = 20  # members' pledges written between two progress reports
PREVIEW_LINES = 100  # carried items the preview lists one by one; a street's thousands are summed up by organisation
# What the plan reads of each pledge: enough to name it and find its items, not its template field values.
NAMED = ("member", "state", "year", "scope", "organisation_name", "member_name")


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
    carried: dict = field(default_factory=dict)  # (organisation id, member id) -> [(old pledge as stored, item index)]
    locked: list = field(default_factory=list)  # next-year pledges already past draft: nothing is added to them
    written: Counter = field(default_factory=Counter)  # what the run did per member: "made", "added" or "skipped"

    @property
    def empty(self):
        return not (self.templates or self.settings or self.carried)

    def carried_lines(self, first=None):
        """[(old pledge, item index)] of the carried items, the first `first` of them made into Pledge documents."""
        lines = [(pledge, index) for lines in self.carried.values() for pledge, index in lines]
        if first is None:
            return lines
        return [(Pledge._from_son(pledge), index) for pledge, index in lines[:first]]

    def by_organisation(self):
        """[(organisation name, members, items)] of the carried items, for a preview that stays short on a street."""
        rows = {}
        for (org_id, _member), lines in self.carried.items():
            name, members, items = rows.get(org_id, (lines[0][0]["organisation_name"], 0, 0))
            rows[org_id] = (name, members + 1, items + len(lines))
        return list(rows.values())


def plan(year, report=None):
    """Say what rolling `year` over into year + 1 would create; report(done=, total=) counts organisations."""
    report = report or (lambda **_kw: None)
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
    org_ids = list(Organisation.objects.order_by().scalar("pk"))
    for n, org_id in enumerate(org_ids, start=1):
        _plan_items(found, org_id, following)
        report(done=n, total=len(org_ids), message="正在查看各组织的承诺")
    return found


def _plan_items(found, org_id, following):
    """Unfinished items of one organisation's member pledges not yet carried into next year's pledge.

    Pledges are read as raw documents, one equality query per unfinished state, with only the fields needed:
    at street size building thousands of Pledge objects took most of the preview's time."""
    pledges = [p for state in UNFINISHED_STATES for p in Pledge.objects(
        organisation=org_id, year=found.year, scope="member", state=state).order_by().only(*NAMED, "items")
        .as_pymongo()]
    if not pledges:
        return
    unfinished = summary.unfinished_items(pledges, org_id)
    following_pledges = {p["member"]: p for p in Pledge.objects(organisation=org_id, year=following, scope="member")
                         .order_by().only(*NAMED, "carried_from").as_pymongo()}
    by_id = {p["_id"]: p for p in pledges}
    for item in unfinished:
        member = by_id[item["pledge"]]["member"]
        nxt = following_pledges.get(member)
        if nxt is not None and any(c["pledge"] == item["pledge"] and c["index"] == item["index"]
                                   for c in nxt.get("carried_from", ())):
            continue
        if nxt is not None and nxt["state"] not in OPEN_FOR_ITEMS:
            if nxt["_id"] not in {p.pk for p in found.locked}:
                found.locked.append(Pledge._from_son(nxt))
            continue
        found.carried.setdefault((org_id, member), []).append((by_id[item["pledge"]], item["index"]))


def run(actor, year, report=None):
    """Create year + 1's working set from `year`; return the Plan that was carried out.

    report(done=, total=, message=) hears of each member's pledge as it is written, for a job's progress page.
    """
    report = report or (lambda **_kw: None)
    done = plan(year, report)
    following = done.year + 1
    report(done=0, total=len(done.carried), message="正在延用模板、复制期限和时间")
    for template in done.templates:
        before = audit.snapshot(template)
        template.years = sorted({*template.years, following})
        template.save_checked(template.version, lambda doc: audit.entry(actor, "年度结转：延用模板", doc, before,
                                                                         audit.snapshot(doc)))
    for setting, dates in done.settings:
        copy = type(setting)(organisation=ref_id(setting, "organisation"), year=following, **dates)
        copy.save_checked(None, lambda doc: audit.entry(actor, "年度结转：复制", doc, {}, audit.snapshot(doc),
                                                        organisation_id=ref_id(doc, "organisation")))
    for n, ((org_id, member_id), lines) in enumerate(done.carried.items(), start=1):
        done.written[_carry(actor, org_id, member_id, following, lines)] += 1
        if n % REPORT_EVERY == 0:
            report(done=n, message="正在结转未完成事项")
    report(done=len(done.carried), message="正在更新统计")
    for org_id in dict.fromkeys(org_id for org_id, _member in done.carried):
        summary.refresh(org_id)
    return done


def _carry(actor, org_id, member_id, following, lines):
    """Add the carried items to the member's draft pledge of the next year, making the draft if there is none.

    Return what was done: "made" a draft, "added" to one, or nothing for want of a template ("skipped")."""
    pledge = Pledge.objects(organisation=org_id, member=member_id, year=following, scope="member").first()
    before = audit.snapshot(pledge) if pledge else {}
    outcome = "added" if pledge else "made"
    if pledge is None:
        organisation, member = Organisation.objects(pk=org_id).first(), Member.objects(pk=member_id).first()
        template = template_for(organisation, member, following)
        if template is None:
            return "skipped"
        old_values = Pledge.objects(pk=lines[0][0]["_id"]).only("values").first().values
        pledge = Pledge(scope="member", organisation=organisation, member=member, year=following, template=template,
                        values={f.key: old_values[f.key] for f in template.shown_fields(old_values, member.categories)
                                if f.key in old_values},
                        entered_by=str(actor), entered_by_id=actor.pk)
    for son, index in lines:
        old = Pledge._from_son(son)
        item = old.items[index]
        pledge.items.append(PledgeItem(content=item.content, owner=item.owner, deadline=next_year_day(item.deadline),
                                       expected=item.expected, extra=dict(item.extra)))
        pledge.carried_from.append({"pledge": old.pk, "index": index, "year": old.year, "content": item.content})
    pledge.refresh_copies()
    pledge.save_checked(pledge.version if pledge.pk else None,
                        lambda doc: audit.entry(actor, "年度结转：未完成事项", doc, before, audit.snapshot(doc),
                                                organisation_id=org_id))
    return outcome


def latest_job(year):
    """The latest rollover job of `year` (None if there was none) and the number the next one would take.

    Jobs are numbered per year and read by `_id`, so two administrators starting at once insert the
    same id and only one of them starts the work."""
    number, latest = 1, None
    while (job := jobs.load(f"rollover:{year}:{number}")) is not None:
        latest, number = job, number + 1
    return latest, number


def start_job(actor, year):
    """Start rolling `year` over in a job, or return the rollover of that year that is still running."""
    latest, number = latest_job(year)
    if latest is not None and not latest.finished:
        return jobs.resume_if_stalled(latest)
    return jobs.start(f"rollover:{year}:{number}", "rollover", actor.pk, ref_id(actor, "organisation"),
                      {"year": year})


def _run_job(job, report):
    done = run(User.objects(pk=job.owner).first(), job.params["year"], report)
    return {"year": done.year, "templates": len(done.templates), "settings": len(done.settings),
            "items": len(done.carried_lines()), **done.written}


jobs.HANDLERS["rollover"] = _run_job


def start_preview(actor, year, key):
    """Work out in a job what rolling `year` over would make (minutes' reading on a street); `key` names the form."""
    return jobs.start(f"rollover-preview:{year}:{key}", "rollover_preview", actor.pk, ref_id(actor, "organisation"),
                      {"year": year})


def _preview_job(job, report):
    """The plan as the preview page shows it (names and counts, the first PREVIEW_LINES carried items), as documents:
    FerretDB stores no arrays inside arrays."""
    found = plan(job.params["year"], report)
    report(message="正在整理预览")
    return {
        "year": found.year, "empty": found.empty, "templates": [str(t) for t in found.templates],
        "settings": [{"name": setting.organisation_name, "deadline": isinstance(setting, PublicationDeadline),
                      "days": "、".join(cn_date(day) for day in dates.values() if day)}
                     for setting, dates in found.settings],
        "organisations": [{"name": name, "members": members, "items": items}
                          for name, members, items in found.by_organisation()],
        "items": len(found.carried_lines()), "members": len(found.carried),
        "lines": [{"id": str(p.pk), "label": str(p), "organisation": p.organisation_name, "number": index + 1,
                   "content": p.items[index].content} for p, index in found.carried_lines(PREVIEW_LINES)],
        "locked": [str(p) for p in found.locked]}


jobs.HANDLERS["rollover_preview"] = _preview_job


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


def carried_from(pledge):
    """{item index: where it came from} for this pledge's items carried from last year and still worded as then."""
    found, left = {}, list(pledge.carried_from)
    for index, item in enumerate(pledge.items):
        match = next((c for c in left if c["content"] == item.content), None)
        if match is not None:
            found[index] = match
            left.remove(match)
    return found
