"""Recording pledges: the operations the views and seed call."""
from documents import audit, summary, window
from documents.base import now
from documents.pledge import Pledge, PledgeItem, State, page_of, slot_sequence
from documents.store import batch
from documents.store.claims import take_numbers
from documents.template import applicable

NUMBERS_TAKEN = 20  # fewer than a list page holds (PAGE_ROWS)
EDITABLE_STATES = (State.DRAFT.value, State.RETURNED.value, State.SUBMITTED.value)


class PledgeErrors(Exception):
    """What is wrong with a submitted pledge: {field key or (item index, key) or None: message}."""

    def __init__(self, errors):
        super().__init__("；".join(str(m) for m in errors.values()))
        self.errors = errors


def can_pledge_at(member, organisation):
    """A member pledges at their own organisation, and an in-service member also at their community."""
    own = member._data.get("organisation")
    home = member._data.get("residential_org")
    ids = {getattr(own, "id", own), getattr(home, "id", home)}
    return organisation.pk in ids


def template_for(organisation, member, year):
    scope = "member" if member else "org"
    return applicable(scope, organisation.org_type, member.categories if member else (), year)


def save_pledge(actor, *, organisation, year, raw_values, raw_items, member=None, oral=False,
                pledge=None, expected_version=None, outside_reason=None):
    """Create or edit a pledge from submitted text; raise PledgeErrors with every problem found.

    A new pledge outside the 提诺 time needs an administrator's outside_reason, kept in its audit entry.
    """
    errors = {}
    late = None
    if pledge is None:
        try:
            late = window.admit(actor, organisation.pk, year, outside_reason)
        except window.OutsideWindow as exc:
            raise PledgeErrors({None: str(exc)}) from exc
        template = template_for(organisation, member, year)
        if template is None:
            raise PledgeErrors({None: f"没有适用于“{organisation.org_type}”的{'党员' if member else '党组织'}承诺模板，请联系系统管理员"})
        if member is not None and not can_pledge_at(member, organisation):
            errors[None] = f"{member.name}不是该组织的党员，也未到该社区报到"
        duplicate = Pledge.objects(scope="member" if member else "org", organisation=organisation,
                                   member=member, year=year).first()
        if duplicate:
            errors[None] = f"{duplicate}已存在，请直接修改它"
        pledge = Pledge(scope="member" if member else "org", organisation=organisation, member=member,
                        year=year, template=template, entered_by=str(actor), entered_by_id=actor.pk)
    elif pledge.state not in EDITABLE_STATES:
        raise PledgeErrors({None: f"该承诺当前状态为“{pledge.state_title}”，已锁定，不能修改"})
    template = pledge.template
    categories = member.categories if member else ()
    values, value_errors = template.parse_values(raw_values, categories)
    items, item_errors, count_error = template.parse_items(raw_items, categories)
    errors.update(value_errors)
    errors.update(item_errors)
    if count_error:
        errors["items"] = count_error
    if oral and (member is None or not template.allows_oral(categories)):
        errors["oral"] = "只有" + "、".join(template.oral_categories) + "党员可以口头承诺"
    if errors:
        raise PledgeErrors(errors)
    before = audit.snapshot(pledge) if pledge.pk else {}
    pledge.values = template.merged_values(pledge.values, values)
    pledge.items = [PledgeItem(**item) for item in items]
    if oral and not pledge.oral:
        pledge.recorded_by, pledge.recorded_at = str(actor), now()
    pledge.oral = bool(oral)
    if not pledge.oral:
        pledge.recorded_by = pledge.recorded_at = None
    pledge.refresh_copies()
    action = "修改承诺" if before else "提诺时间外新建承诺" if late else "新建承诺"
    pledge.save_checked(expected_version if pledge.pk else None,
                        lambda doc: audit.entry(actor, action, doc, before,
                                                {**audit.snapshot(doc), **({"原因": late} if late else {})},
                                                organisation_id=organisation.pk))
    summary.refresh(organisation.pk)
    return pledge


PAGE_FIELDS = ("organisation", "year", "page_no")
batch.reads("Pledge", *PAGE_FIELDS)


def backfill_page_numbers():
    """Number the pledges stored before list pages were numbered, oldest first in each organisation-year, and recount
    their organisations; safe to run again. Return how many were numbered."""
    pledges, waiting = Pledge._get_collection(), {}
    for doc in batch.rows(Pledge, PAGE_FIELDS):
        if "page_no" not in doc:
            waiting.setdefault((doc["organisation"], doc["year"]), []).append(doc["_id"])
    numbered = batch.update_each(pledges, _numbers(waiting), total=sum(map(len, waiting.values())))
    if waiting:
        summary.refresh_each(list(dict.fromkeys(org_id for org_id, _year in waiting)))
        summary.roll_all()
    return numbered


def _numbers(waiting):
    """(pledge id, {slot, page_no}) of the waiting pledges, a few numbers taken at a time as they are written: an
    interrupted run loses fewer numbers than a page holds, so it leaves no list page empty."""
    for (org_id, year), ids in waiting.items():
        ids = sorted(ids)
        for first in range(0, len(ids), NUMBERS_TAKEN):
            chunk = ids[first:first + NUMBERS_TAKEN]
            for pk, slot in zip(chunk, take_numbers(slot_sequence(org_id, year), len(chunk))):
                yield pk, {"slot": slot, "page_no": page_of(slot)}
