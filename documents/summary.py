"""Read models: one small document per organisation and year with the figures the home page, coverage and board show.

FerretDB loses concurrent `$inc`s and pushes down only plain equality, so a summary is never
incremented: refresh() recounts one organisation from its own records (one equality filter
per collection) and replaces its summaries. Pages read summaries by one equality on
`org_path` (or `year`) and add them up, instead of aggregating over all pledges; the to-do lines
that name pledges are kept beside them (OrgYearLines) and read by `_id` only where shown.
"""
import contextlib
import contextvars
import datetime as dt
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bson import ObjectId
from flask import g, has_request_context
from mongoengine import BooleanField, DictField, Document, IntField, ListField, ObjectIdField, StringField

from documents import access, evaluation, progress, supervision
from documents.base import now
from documents.member import Member
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge, State
from documents.store import batch

OPTIONAL_CATEGORIES = {"入党积极分子", "非党骨干"}
UNPUBLISHED_STATES = (State.DRAFT.value, State.SUBMITTED.value, State.RETURNED.value, State.APPROVED.value,
                      State.SIGNED.value)
PUBLIC_STATES = (State.PUBLISHED.value, State.FULFILLING.value, State.FULFILLED.value, State.LATE.value,
                 State.EXCUSED.value, State.EVALUATED.value)
EARLIEST_KEPT = 8
# What a recount reads of a member besides its organisation: a change to anything else leaves the summaries as they are.
MEMBER_FIELDS = ("name", "status", "categories")
FIRSTS_KEPT = 8
ACROSS_YEARS = (State.SUBMITTED.value, State.RETURNED.value)  # states the home page counts over every year, not only this one
ORGS_KEPT = 12  # organisations a rollup names in each of its capped lists: the most any line of the home page names
BUILT = "built"  # the rollup `_id` that says `flask rebuild-summaries` has made every rollup


class OrgYearSummary(Document):
    """What one organisation did in one year, recounted from its own records after every change."""
    id = StringField(primary_key=True)  # "<organisation id>:<year>"
    organisation = ObjectIdField(required=True)
    parent = ObjectIdField()
    org_path = ListField(ObjectIdField())  # ancestors from the root, then the organisation itself
    code = StringField()
    name = StringField()
    year = IntField(required=True)
    pledges = DictField()  # {"member" | "org": {state: count}}
    members_total = IntField(default=0)
    members_active = IntField(default=0)  # 在册
    members_expected = IntField(default=0)  # 在册 and expected to pledge (not activists or non-party staff)
    members_pledged = IntField(default=0)  # of those expected, members with a member pledge here this year
    open_items = DictField()  # {"YYYY-MM-DD": items of published or fulfilling pledges not yet 已完成}
    first_open = StringField()  # "<deadline> <pledge id>" of the soonest of those items: which lines hold the earliest
    rounds = DictField()  # {"1".."4": supervision rounds held that quarter}
    rectifications = DictField()  # {"open" | "closed": lines of the 整改台账 from this year's rounds or pledges}
    grades = ListField(DictField())  # [{label, min, count}] of this year's 年度 evaluation, best grade first, 未评 last
    others = ListField(DictField())  # [{year, pledges, open_items, first_open}]: the organisation's other years, as far as
    # the home page adds them up (pledges only in ACROSS_YEARS), so that it reads one year's summaries only
    pages = IntField()  # list pages of this year's pledges by their stored page_no; None while some pledge has none
    refreshed_at = StringField()

    # Not strict: summaries written before the to-do lines moved out still load until `flask rebuild-summaries`.
    meta = {"collection": "org_year_summary", "indexes": ["org_path", "year"], "strict": False}

    def __str__(self):
        return f"{self.year}年 {self.name}"

    def count(self, scope=None, states=None):
        """Pledges of a scope ("member", "org" or both) in the given states (all states if None)."""
        total = 0
        for kind in ((scope,) if scope else ("member", "org")):
            total += sum(n for state, n in (self.pledges or {}).get(kind, {}).items() if states is None or state in states)
        return total

    def items_due_before(self, day):
        return sum(n for on, n in (self.open_items or {}).items() if on < day.isoformat())


class OrgYearLines(Document):
    """The to-do lines of one organisation-year, kept apart from its summary so that the home page reads, by `_id`,
    only the few organisation-years whose lines it shows."""
    id = StringField(primary_key=True)  # as the summary's
    firsts = DictField()  # {state not yet published: [{id, scope, label}]}, the first few of each scope
    earliest_open = ListField(DictField())  # the EARLIEST_KEPT open items with the soonest deadlines, with whose they are

    meta = {"collection": "org_year_lines"}


class OrgYearCount(Document):
    """The few figures list pages step by, per organisation-year: kept apart from the summary, whose to-do lines make
    it many times costlier for FerretDB to read."""
    id = StringField(primary_key=True)  # as the summary's
    organisation = ObjectIdField(required=True)
    org_path = ListField(ObjectIdField())
    year = IntField(required=True)
    pledges = IntField(default=0)
    members_total = IntField(default=0)
    members_active = IntField(default=0)
    pages = IntField()
    latest = BooleanField(default=False)  # the organisation's latest year: where lists read its roster size, one a branch

    meta = {"collection": "org_year_count", "indexes": ["org_path", "year"]}

    @classmethod
    def of(cls, summary, latest):
        return cls(id=summary.pk, organisation=summary.organisation, org_path=summary.org_path, year=summary.year,
                   pledges=summary.count(), members_total=summary.members_total, members_active=summary.members_active,
                   pages=summary.pages, latest=latest)


class OrgYearRollup(Document):
    """One organisation-year added up over the organisation and all below it, counts and the few lines the home page
    names: an admin or a reviewer reads the rollups of their top organisation instead of a summary per organisation."""
    id = StringField(primary_key=True)  # as the summary's, or BUILT
    organisation = ObjectIdField()
    parent = ObjectIdField()
    top = BooleanField()  # no parent: what an admin reads
    year = IntField()
    orgs = IntField(default=0)  # organisations below (itself included) with a summary this year
    members_total = IntField(default=0)
    members_active = IntField(default=0)
    members_expected = IntField(default=0)
    members_pledged = IntField(default=0)
    orgs_pledged = IntField(default=0)  # organisations with a pledge of their own
    pledges = DictField()
    open_items = DictField()
    rounds = DictField()
    rectifications = DictField()
    grades = ListField(DictField())
    no_round = DictField()  # {"1".."4": {"n": organisations without a round that quarter, "first": [{code, name}] by code}}
    behind = ListField(DictField())  # [{organisation, code, name, expected, pledged}]: the lowest member coverage, capped
    firsts = DictField()  # {submitted | returned: [{id, label, org_name, code}]} by organisation code, capped
    earliest_open = ListField(DictField())  # the EARLIEST_KEPT soonest open items below, with org_name
    own_review = DictField()  # {n, first}: this organisation's own pledges (org scope) awaiting its parent's review
    review = DictField()  # {n, first}: what its reviewer reviews: its members' pledges and its children's own

    meta = {"collection": "org_year_rollup", "indexes": ["organisation", "parent", "top"]}

    count = OrgYearSummary.count
    items_due_before = OrgYearSummary.items_due_before


def key(org_id, year):
    return f"{org_id}:{int(year)}"


def recount(org_id, years):
    """{year: (summary, its to-do lines)} of one organisation, counted afresh from its pledges, progress, members and rounds.

    Each collection is read once, by one equality on the organisation, whatever the number of years.
    """
    org = Organisation.objects(pk=org_id).order_by().only("name", "code", "parent", "ancestors").no_dereference().first()
    if org is None:
        return {}
    members = {m["_id"]: m for m in Member.objects(organisation=org_id).order_by().only(*MEMBER_FIELDS).as_pymongo()}
    expected = {i for i, m in members.items()
                if m.get("status") == "在册" and not set(m.get("categories") or ()) & OPTIONAL_CATEGORIES}
    all_pledges = list(Pledge.objects(organisation=org_id).order_by().only("scope", "state", "member", "member_name", "year",
                                                                         "items", "page_no").as_pymongo())
    open_items = unfinished_items([p for p in all_pledges if p["state"] in progress.OPEN_STATES], org_id)
    all_rounds = list(supervision.SupervisionRound.objects(organisation=org_id).order_by().only("year", "quarter")
                      .as_pymongo())
    rectifications = _rectification_years(org_id, all_rounds, all_pledges)
    grades = _grades(org_id)
    years = (set(map(int, years)) | {p["year"] for p in all_pledges} | {r["year"] for r in all_rounds}
             | {y for y, _closed in rectifications} | set(grades))
    whose = {p["_id"]: p.get("member_name", "") if p["scope"] == "member" else org.name for p in all_pledges}
    found = {}
    for year in years:
        pledges = [p for p in all_pledges if p["year"] == year]
        items = sorted((i for i in open_items if i["year"] == year), key=lambda i: (i["deadline"], str(i["pledge"]), i["index"]))
        found[year] = (OrgYearSummary(
            id=key(org_id, year), organisation=org_id, parent=ref_id(org, "parent"),
            org_path=list(org.ancestors) + [org_id], code=org.code, name=org.name, year=year,
            pledges={scope: dict(Counter(p["state"] for p in pledges if p["scope"] == scope)) for scope in ("member", "org")},
            members_total=len(members), members_active=sum(m.get("status") == "在册" for m in members.values()),
            members_expected=len(expected),
            members_pledged=len(expected & {p.get("member") for p in pledges if p["scope"] == "member"}),
            open_items=dict(Counter(i["deadline"] for i in items)),
            first_open=f"{items[0]['deadline']} {items[0]['pledge']}" if items else None,
            rounds=dict(Counter(str(r["quarter"]) for r in all_rounds if r["year"] == year)),
            rectifications={state: sum(y == year and closed == (state == "closed") for y, closed in rectifications)
                            for state in ("open", "closed")},
            grades=grades.get(year, []), pages=_pages(pledges), refreshed_at=now().isoformat()), OrgYearLines(
            id=key(org_id, year), firsts=_firsts(pledges, members, org.name, year),
            earliest_open=[{**{k: v for k, v in i.items() if k != "year"}, "whose": whose.get(i["pledge"], "")}
                           for i in items[:EARLIEST_KEPT]]))
    for year, (s, _lines) in found.items():
        s.others = [_digest(other) for y, (other, _l) in sorted(found.items()) if y != year]
    return found


def _digest(s):
    """What the home page adds up of one organisation-year when it reads another year's summaries."""
    return {"year": s.year, "first_open": s.first_open, "open_items": s.open_items,
            "pledges": {scope: {state: n for state, n in counts.items() if state in ACROSS_YEARS}
                        for scope, counts in s.pledges.items()}}


def _pages(pledges):
    """How many list pages the stored page numbers of one organisation-year's pledges make, or None if some have none."""
    numbers = [p.get("page_no") for p in pledges]
    return None if None in numbers else max(numbers, default=-1) + 1


def _rectification_years(org_id, rounds, pledges):
    """[(year, closed?)] of an organisation's 整改台账 lines: the year of their round, else of their pledge."""
    round_years = {r["_id"]: r["year"] for r in rounds}
    pledge_years = {p["_id"]: p["year"] for p in pledges}
    lines = supervision.Rectification.objects(organisation=org_id).order_by().only("round", "pledge", "closed_on").as_pymongo()
    return [(round_years.get(line.get("round")) or pledge_years.get(line.get("pledge")), bool(line.get("closed_on")))
            for line in lines]


def _grades(org_id):
    """{year: [{label, min, count}]} from the results of an organisation's latest 年度 evaluation round of each year."""
    latest = {}
    for round_ in sorted(evaluation.EvaluationRound.objects(organisation=org_id, period="年度").order_by(), key=lambda r: r.pk):
        latest[round_.year] = round_
    found = {}
    for year, round_ in latest.items():
        counts = Counter(grade for _member, _parts, _combined, grade in evaluation.results(round_))
        bands = [{"label": b.label, "min": b.min_score, "count": counts.pop(b.label, 0)}
                 for b in round_.scheme.ordered_bands()]
        found[year] = bands + [{"label": label, "min": -1, "count": n} for label, n in counts.items()]
    return found


def _firsts(pledges, members, org_name, year):
    """{state: [{id, scope, label}]}: the first FIRSTS_KEPT pledges of each scope in each state a to-do line names."""
    firsts = {}
    for p in sorted(pledges, key=lambda p: (p["scope"], str(p["_id"]))):
        if p["state"] not in UNPUBLISHED_STATES:
            continue
        shown = firsts.setdefault(p["state"], [])
        if sum(f["scope"] == p["scope"] for f in shown) >= FIRSTS_KEPT:
            continue
        if p["scope"] == "member":
            member = members.get(p.get("member")) or Member.objects(pk=p.get("member")).order_by().only("name").as_pymongo().first()
            label = f"{year}年 {(member or {}).get('name', '')} 的党员公开承诺"
        else:
            label = f"{year}年 {org_name} 的党组织公开承诺"
        shown.append({"id": p["_id"], "scope": p["scope"], "label": label})
    return firsts


def unfinished_items(open_pledges, org_id):
    """Items with a deadline of published or fulfilling pledges whose latest progress is not 已完成."""
    if not open_pledges:
        return []
    latest = progress.latest_in_org(org_id)
    found = []
    for p in open_pledges:
        for index, item in enumerate(p.get("items") or ()):
            if item.get("deadline") and latest.get((p["_id"], index), {}).get("status") != "已完成":
                found.append({"pledge": p["_id"], "index": index, "content": (item.get("content") or "")[:20],
                              "deadline": item["deadline"].date().isoformat(), "year": p["year"]})
    return found


_deferred = contextvars.ContextVar("summaries_deferred", default=False)


@contextlib.contextmanager
def deferred():
    """Leave out the recount after each change inside: for a bulk load that calls rebuild() once it is done."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def refresh(org_id, roll=True):
    """Recount one organisation after a change to its pledges, progress, rounds or members, and replace its summaries.

    Every year of the organisation is recounted, not only the year changed: the roster counts
    in each year's coverage. A year left with nothing in it (other than the current one) is dropped. The rollups of
    the organisation and its ancestors are recomputed from their children's (unless roll is False, as in rebuild).
    """
    if org_id is None or _deferred.get():
        return []
    if has_request_context():
        for cached in ("_visible_summaries", "_summary_lines", "_rolled_up"):
            g.pop(cached, None)
    stored = {s["_id"]: s.get("org_path") for s in OrgYearSummary.objects(organisation=org_id).order_by()
              .only("id", "org_path").as_pymongo()}
    fresh = recount(org_id, {dt.date.today().year})
    for summary, lines in fresh.values():
        summary.save()
        lines.save()
        OrgYearCount.of(summary, summary.year == max(fresh)).save()
    for gone in set(stored) - {s.pk for s, _lines in fresh.values()}:
        for kind in (OrgYearSummary, OrgYearLines, OrgYearRollup):
            kind.objects(pk=gone).delete()
        OrgYearCount.objects(pk=gone).delete()
    vanished = {int(pk.rsplit(":", 1)[1]) for pk in stored} - set(fresh)
    if roll and fresh:
        roll_up(next(iter(fresh.values()))[0].org_path,
                {s.year: (s.to_mongo().to_dict(), lines.to_mongo().to_dict()) for s, lines in fresh.values()}, vanished)
    elif roll and stored:  # the organisation is gone: its ancestors lose what it added
        roll_up(list(next(iter(stored.values())) or ())[:-1], vanished=vanished)
    return [s for s, _lines in fresh.values()]


def touched(record, before=None):
    """Refresh the summaries that a record created, changed or deleted through the admin counts in."""
    before = before or {}
    kind = type(record).__name__
    if kind in ("Pledge", "SupervisionRound", "Member", "Rectification", "EvaluationRound"):
        for org_id in {ref_id(record, "organisation"), before.get("organisation")} - {None}:
            refresh(ObjectId(str(org_id)))
    elif kind == "Organisation":
        for org_id in [record.pk] + list(Organisation.objects(ancestors=record.pk).order_by().scalar("pk")):
            refresh(org_id)
        left = before.get("parent")
        if left and str(left) != str(ref_id(record, "parent")):  # moved: the old ancestors no longer add it up
            old_parent = Organisation.objects(pk=ObjectId(str(left))).order_by().only("org_path").first()
            if old_parent:
                roll_up(list(old_parent.org_path))


RECOUNTED = "已重新统计 {done} / {total} 个组织"
RECOUNTERS = 4  # organisations recounted at once: on a loaded machine each mostly waits for a core (store/batch.py)


def refresh_each(org_ids):
    """Refresh the organisations, a few at a time, telling the CLI how far it is; return their summaries. Their rollups
    are left to roll_all() (two recounts at once would each roll up the shared ancestors from half the news)."""
    fresh = []
    with ThreadPoolExecutor(RECOUNTERS) as recounters:
        for done, summaries in enumerate(recounters.map(lambda org_id: refresh(org_id, roll=False), org_ids), 1):
            fresh += summaries
            batch.report(done, len(org_ids), every=10, text=RECOUNTED)
    return fresh


def rebuild():
    """Recount every organisation, drop the summaries of organisations that are gone and add them all up again into
    rollups; return how many summaries are kept."""
    kept = [s.pk for s in refresh_each(list(Organisation.objects.order_by().scalar("pk")))]
    for kind in (OrgYearSummary, OrgYearLines, OrgYearCount):
        kind.objects(pk__nin=kept).delete()
    roll_all()
    return len(kept)


def roll_up(path, own=None, vanished=()):
    """Recompute the rollups of the last organisation of path and of each ancestor in turn, each from its own summaries
    and its children's rollups: a few small reads and writes a level. own: {year: (summary, lines)} of the last one,
    as just counted; vanished: years whose summary it just lost, the only ones a rollup above may lose too."""
    for depth in range(len(path) - 1, -1, -1):
        org_id = path[depth]
        if depth < len(path) - 1 or own is None:
            own = {s["year"]: (s, None) for s in OrgYearSummary.objects(organisation=org_id).order_by().as_pymongo()}
        children = defaultdict(list)
        for r in OrgYearRollup.objects(parent=org_id).order_by().as_pymongo():
            children[r["year"]].append(r)
        years = set(own) | set(children)
        for year in years:
            summary_, lines_ = own.get(year, (None, None))
            if summary_ and lines_ is None and _names_any(summary_):
                lines_ = OrgYearLines.objects(pk=summary_["_id"]).order_by().as_pymongo().first()
            OrgYearRollup(**_rolled(org_id, path[depth - 1] if depth else None, year, summary_, lines_,
                                    children[year])).save()
        vanished = set(vanished) - years
        for year in vanished:
            OrgYearRollup.objects(pk=key(org_id, year)).delete()


def roll_all():
    """Make every rollup afresh from the stored summaries, deepest organisations first, and mark them built."""
    summaries, lines, rolled = defaultdict(list), {}, defaultdict(list)
    for s in OrgYearSummary.objects.order_by().as_pymongo():
        summaries[s["organisation"]].append(s)
    for raw in OrgYearLines.objects.order_by().as_pymongo():
        lines[raw["_id"]] = raw
    orgs = sorted(Organisation.objects.order_by().only("parent", "ancestors").no_dereference().as_pymongo(),
                  key=lambda o: -len(o.get("ancestors") or ()))
    kept = []
    for org in orgs:
        own = {s["year"]: s for s in summaries[org["_id"]]}
        children = defaultdict(list)
        for r in rolled.pop(org["_id"], ()):
            children[r["year"]].append(r)
        for year in set(own) | set(children):
            r = _rolled(org["_id"], org.get("parent"), year, own.get(year),
                        lines.get(own[year]["_id"]) if year in own else None, children[year])
            OrgYearRollup(**r).save()
            rolled[org.get("parent")].append(r)
            kept.append(r["id"])
    OrgYearRollup.objects(pk__nin=kept).delete()
    OrgYearRollup(id=BUILT).save()


def mark_built_if_empty():
    """On a database without summaries the (no) rollups are complete: mark them built, so that a new installation's
    home page reads rollups from its first organisation on."""
    if OrgYearSummary.objects.order_by().only("id").as_pymongo().first() is None:
        OrgYearRollup(id=BUILT).save()


def _names_any(s):
    """Whether a summary's to-do lines hold anything a rollup names."""
    return bool(s.get("first_open")) or any(state in ACROSS_YEARS for counts in (s.get("pledges") or {}).values()
                                            for state, n in counts.items() if n)


def _rolled(org_id, parent, year, own, own_lines, children):
    """The rollup of one organisation-year (a dict as stored): its own summary and lines (None when it has none that
    year) added to its children's rollups of the same year."""
    parts = ([own] if own else []) + list(children)
    stored_own = Stored(own or {})
    submitted = State.SUBMITTED.value
    firsts = (own_lines or {}).get("firsts") or {}

    def own_entries(state, scope=None):
        return [{"id": f["id"], "label": f["label"], "org_name": own.get("name"), "code": own.get("code") or ""}
                for f in firsts.get(state, []) if scope is None or f["scope"] == scope] if own else []

    def capped(entries, sort_key, cap):
        return sorted(entries, key=sort_key)[:cap]

    rows = [{"organisation": org_id, "code": own.get("code") or "", "name": own.get("name"),
             "expected": own.get("members_expected", 0), "pledged": own.get("members_pledged", 0)}] \
        if own and own.get("members_expected") else []
    return {
        "id": key(org_id, year), "organisation": org_id, "parent": parent, "top": parent is None, "year": year,
        "orgs": (1 if own else 0) + sum(c["orgs"] for c in children),
        **{f: sum(p.get(f, 0) for p in parts) for f in ("members_total", "members_active", "members_expected",
                                                         "members_pledged")},
        "orgs_pledged": (1 if own and stored_own.count("org") else 0) + sum(c["orgs_pledged"] for c in children),
        "pledges": {scope: dict(_added(p.get("pledges", {}).get(scope) or {} for p in parts)) for scope in ("member", "org")},
        "open_items": dict(_added(p.get("open_items") or {} for p in parts)),
        "rounds": dict(_added(p.get("rounds") or {} for p in parts)),
        "rectifications": dict(_added(p.get("rectifications") or {} for p in parts)),
        "grades": [{"label": label, "min": low, "count": n} for label, (low, n) in merged_grades(parts).items()],
        "no_round": {q: {"n": (1 if own and not (own.get("rounds") or {}).get(q) else 0)
                     + sum(c["no_round"][q]["n"] for c in children),
                     "first": capped(([{"code": own.get("code") or "", "name": own.get("name")}]
                                      if own and not (own.get("rounds") or {}).get(q) else [])
                                     + [o for c in children for o in c["no_round"][q]["first"]],
                                     lambda o: o["code"], ORGS_KEPT)} for q in ("1", "2", "3", "4")},
        "behind": capped(rows + [r for c in children for r in c["behind"]],
                         lambda r: (r["pledged"] / r["expected"], r["code"]), ORGS_KEPT),
        "firsts": {state: capped(own_entries(state) + [f for c in children for f in c["firsts"].get(state, [])],
                                 lambda f: f["code"], FIRSTS_KEPT) for state in ACROSS_YEARS},
        "earliest_open": capped([dict(i, org_name=own.get("name")) for i in (own_lines or {}).get("earliest_open", [])]
                                + [i for c in children for i in c["earliest_open"]],
                                lambda i: (i["deadline"], str(i["pledge"]), i["index"]), EARLIEST_KEPT),
        "own_review": {"n": stored_own.count("org", (submitted,)), "first": own_entries(submitted, "org")},
        "review": {"n": stored_own.count("member", (submitted,)) + sum(c["own_review"]["n"] for c in children),
                   "first": capped(own_entries(submitted, "member") + [f for c in children for f in c["own_review"]["first"]],
                                   lambda f: f["code"], FIRSTS_KEPT)},
    }


def merged_grades(parts):
    """{label: (lowest score, members)} of the grade bands of summaries or rollups added up."""
    found = {}
    for part in parts:
        for band in part.get("grades") or ():
            low, n = found.get(band["label"], (band["min"], 0))
            found[band["label"]] = (max(low, band["min"]), n + band["count"])
    return found


def _added(counters):
    """The sum of {key: count} dicts."""
    total = Counter()
    for counts in counters:
        total.update(counts)
    return total


def rolled_up(user):
    """{year: the rollup of everything a user may see}, from the rollups of the user's top organisations (an admin's:
    every root), or None until `flask rebuild-summaries` has made them. Kept for the rest of the request."""
    cache = g.setdefault("_rolled_up", {}) if has_request_context() else {}
    if user.pk not in cache:
        cache[user.pk] = _rolled_up(user)
    return cache[user.pk]


def _rolled_up(user):
    own = ref_id(user, "organisation")
    if not user.is_admin and own is None:
        return None
    if OrgYearRollup.objects(pk=BUILT).order_by().only("id").as_pymongo().first() is None:
        return None
    query = OrgYearRollup.objects(top=True) if user.is_admin else OrgYearRollup.objects(organisation=own)
    by_year = defaultdict(list)
    for raw in query.order_by().as_pymongo():
        by_year[raw["year"]].append(raw)
    return {year: Rolled(tops[0] if len(tops) == 1 else _rolled(None, None, year, None, None, tops))
            for year, tops in by_year.items()}


def visible(user, years=None):
    """The summaries of every organisation-year a user may see: one equality on org_path, none for an admin.

    With years (the first one a year every organisation has a summary of, as the current one), only those years'
    summaries are read, by one more equality each; the other years come from the digests each summary carries, with
    the figures the home page adds up over every year. Kept for the rest of the request until a refresh.
    """
    cache = g.setdefault("_visible_summaries", {}) if has_request_context() else {}
    cache_key = (user.pk, tuple(dict.fromkeys(years or ())))
    if cache_key not in cache:
        cache[cache_key] = _visible(user, cache_key[1])
    return cache[cache_key]


def _visible(user, years):
    query = access.scope(OrgYearSummary.objects, user).order_by()
    if not years:
        return [Stored(raw) for raw in query.as_pymongo()]
    read = [raw for year in years for raw in query.filter(year=int(year)).as_pymongo()]
    if any("others" not in raw for raw in read):  # written before summaries carried their other years
        return _visible(user, ())
    found, digested = [Stored(raw) for raw in read], set()
    for raw in read:
        if raw["organisation"] in digested:
            continue
        digested.add(raw["organisation"])
        org_fields = {k: v for k, v in raw.items() if k not in PER_YEAR}
        found += [Stored(org_fields, _id=key(raw["organisation"], other["year"]), **other)
                  for other in raw["others"] if other["year"] not in years]
    return found


# Fields of a summary that differ from year to year; the others are the organisation's, the same in all its summaries.
PER_YEAR = {"_id", "year", "pledges", "members_pledged", "open_items", "first_open", "rounds", "rectifications", "grades",
            "pages", "others", "refreshed_at"}


class Stored(dict):
    """A summary as stored, read without MongoEngine's conversion of every field: the home page of a county reads
    hundreds (40 ms of CPU as documents, 7 ms as they come)."""
    document = OrgYearSummary
    count = OrgYearSummary.count
    items_due_before = OrgYearSummary.items_due_before

    @property
    def pk(self):
        return self["_id"]

    def __getattr__(self, name):
        if name not in self.document._fields:
            raise AttributeError(name)
        return self.get(self.document._fields[name].db_field)


class Rolled(Stored):
    """A rollup as stored (or several added up), read like a summary."""
    document = OrgYearRollup


def lines(summary):
    """The to-do lines of one summary, read by `_id` once per request and only when a to-do box shows them."""
    cache = g.setdefault("_summary_lines", {}) if has_request_context() else {}
    if summary.pk not in cache:
        cache[summary.pk] = OrgYearLines.objects(pk=summary.pk).order_by().first() or OrgYearLines(id=summary.pk)
    return cache[summary.pk]


def subtree(org_id, year):
    """The summaries of an organisation and every one below it for one year, by two equalities."""
    return list(OrgYearSummary.objects(org_path=org_id, year=int(year)).order_by())


@dataclass
class CoverageRow:
    """One organisation's line on the coverage page."""
    organisation: ObjectId
    code: str
    name: str
    expected: int
    pledged: int
    org_pledged: bool

    @property
    def unpledged(self):
        return self.expected - self.pledged


def coverage(org_id, year):
    """[CoverageRow] for an organisation and those below it in one year, by code, from their summaries."""
    return coverage_rows(OrgYearSummary.objects(org_path=org_id).order_by(), year)


def coverage_rows(summaries, year):
    """[CoverageRow] of the organisations among summaries (of any years) in one year, by code.

    An organisation with no summary for that year has pledged nothing yet: its members
    are taken from its latest summary.
    """
    latest, this_year = {}, {}
    for s in sorted(summaries, key=lambda s: s.year):
        latest[s.organisation] = s
        if s.year == int(year):
            this_year[s.organisation] = s
    rows = []
    for org, s in latest.items():
        counted = this_year.get(org)
        rows.append(CoverageRow(org, s.code, s.name, (counted or s).members_expected,
                                counted.members_pledged if counted else 0,
                                bool(counted and counted.count("org"))))
    return sorted(rows, key=lambda r: r.code or "")


def open_items(org_id, year):
    """Items of one organisation's published or fulfilling pledges of a year not yet 已完成, soonest deadline first.

    Read by equalities (organisation, year, state), for the list a dashboard figure links to: the item's whole
    content, and `who` names the member of a member pledge (None for the organisation's own).
    """
    pledges = [p for state in progress.OPEN_STATES
               for p in Pledge.objects(organisation=org_id, year=int(year), state=state).order_by()
               .only("scope", "state", "member_name", "year", "items").as_pymongo()]
    by_id = {p["_id"]: p for p in pledges}
    return sorted((dict(i, content=by_id[i["pledge"]]["items"][i["index"]].get("content") or "",
                        who=by_id[i["pledge"]].get("member_name") if by_id[i["pledge"]]["scope"] == "member" else None)
                   for i in unfinished_items(pledges, org_id)), key=lambda i: (i["deadline"], str(i["pledge"]), i["index"]))


def unpledged_members(org_id, year):
    """Members of one organisation expected to pledge who have no member pledge there that year, by name."""
    pledged = {p.get("member") for p in Pledge.objects(organisation=org_id, year=int(year), scope="member")
               .order_by().only("member").as_pymongo()}
    members = Member.objects(organisation=org_id, status="在册").order_by().no_dereference()
    return sorted((m for m in members if m.pk not in pledged and not set(m.categories) & OPTIONAL_CATEGORIES),
                  key=lambda m: m.name)


def list_pages(org_id, year):
    """How many list pages one organisation-year's pledges fill by their stored page numbers; None if not all have one."""
    found = OrgYearCount.objects(pk=key(org_id, year)).order_by().only("pages").as_pymongo().first()
    return found.get("pages") if found else None


def org_counts(root, year=None, what="pledges"):
    """{organisation id: count} below root (everything if None), read from the small count documents by one equality.

    what is "pledges" (of `year`, or of every year when None) or a roster field of the latest year
    ("members_total", "members_active"), read from one document an organisation (every year holds the same roster).
    List pages use it to step from one organisation to the next and to say how many records each holds; the
    organisation tree shows the rosters.
    """
    query = OrgYearCount.objects.order_by() if root is None else OrgYearCount.objects(org_path=root).order_by()
    if what != "pledges":
        return {c["organisation"]: c.get(what, 0) for c in query.filter(latest=True).only("organisation", what).as_pymongo()}
    if year is not None:
        query = query.filter(year=int(year))
    counts = {}
    for c in query.only("organisation", "pledges").as_pymongo():
        counts[c["organisation"]] = counts.get(c["organisation"], 0) + c.get("pledges", 0)
    return counts
