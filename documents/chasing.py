"""催办: what falls due, soon or already late, from the dates the system holds.

Publication deadlines and 提诺/评诺 time (documents/calendar.py, documents/window.py), each item's
完成时限, the quarter's 督诺. One module decides what is due: the home page's to-do boxes (from
the organisation-year summaries, so the page stays cheap), the chase list (one organisation and
those below it, each collection read by one path equality) and the notices (documents/notices.py).
"""
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from bson import ObjectId

from documents import access, progress, summary
from documents.base import cn_date
from documents.calendar import PublicationDeadline, nearest, settings_by_org
from documents.evaluation import EvaluationRound
from documents.member import Member
from documents.opinion import Opinion
from documents.organisation import Organisation, ref_id
from documents.pledge import STATE_TITLES, Pledge, State
from documents.supervision import SupervisionRound
from documents.window import WorkWindow, window_for

NEAR, SOON = 7, 30
SHOWN = 8
ORGS_SHOWN = summary.ORGS_KEPT  # organisations named in one line of the home page; a county has hundreds
BUCKETS = {"overdue": "已逾期", "due7": "7天内到期", "due30": "30天内到期", "undated": "未设期限"}
KINDS = {"item": "承诺事项", "unsubmitted": "承诺未提交审核", "unpublished": "承诺未公示", "unpledged": "党员尚未承诺",
         "round": "季度督诺未开展", "evaluation": "年度评诺未开展"}
NOT_SUBMITTED = (State.DRAFT.value, State.RETURNED.value)
NOT_PUBLISHED = (State.SUBMITTED.value, State.APPROVED.value, State.SIGNED.value)


def bucket(when, today):
    """"overdue", "due7", "due30", or None when the date is further off; "undated" without a date."""
    if when is None:
        return "undated"
    days = (when - today).days
    if days < 0:
        return "overdue"
    return "due7" if days <= NEAR else "due30" if days <= SOON else None


@dataclass
class Due:
    """One line of the chase list: what is due when, whose it is, and whom to phone."""
    key: str  # the event: the same thing falling due in the same way is one event, one notice
    kind: str
    bucket: str
    when: dt.date
    organisation: ObjectId
    org_name: str
    org_code: str
    whose: str
    text: str
    contact: str
    phone: str
    pledge: ObjectId = None
    member_scope: bool = True  # a member's own pledge (reviewed in its organisation) or the organisation's

    @property
    def title(self):
        return f"{KINDS[self.kind]} · {BUCKETS[self.bucket]}"

    @property
    def sentence(self):
        """The line as a notice says it: organisation, whose, what, by when."""
        when = f"（期限 {cn_date(self.when)}）" if self.when else ""
        return f"{self.title}：{self.org_name} {self.whose} {self.text}{when}"


def chase(org_id, year, today=None):
    """[Due] of one organisation and every one below it in one year, by organisation, person and date."""
    today = today or dt.date.today()
    year = int(year)
    orgs = {o.pk: o for o in Organisation.objects(org_path=org_id).order_by().no_dereference()
            .only("name", "code", "secretary", "contact", "org_path", "parent")}
    pledges = list(Pledge.objects(org_path=org_id, year=year).order_by().only(
        "scope", "state", "member", "member_name", "organisation", "items", "year").as_pymongo())
    members = {m["_id"]: m for m in Member.objects(org_path=org_id, status="在册").order_by()
               .only("name", "phone", "organisation", "categories").as_pymongo()}
    for missing in {p.get("member") for p in pledges} - set(members) - {None}:  # in-service members from elsewhere
        members[missing] = Member.objects(pk=missing).order_by().only("name", "phone").as_pymongo().first() or {}
    deadlines, windows = settings_by_org(PublicationDeadline, year), settings_by_org(WorkWindow, year)
    rounds = {(r["organisation"], r["quarter"]) for r in SupervisionRound.objects(org_path=org_id, year=year)
              .order_by().only("organisation", "quarter").as_pymongo()}
    evaluated = {r["organisation"] for r in EvaluationRound.objects(org_path=org_id, year=year, period="年度")
                 .order_by().only("organisation").as_pymongo()}
    by_org = defaultdict(list)
    for p in pledges:
        by_org[p["organisation"]].append(p)
    found = []
    for org in orgs.values():
        deadline = nearest(deadlines, org.org_path)
        window = nearest(windows, org.org_path)
        line = _Lines(org, members, today, found)
        line.pledges(by_org[org.pk], deadline.deadline if deadline else None)
        line.items(by_org[org.pk], year)
        line.unpledged(by_org[org.pk], year, window.propose_until if window else deadline.deadline if deadline else None)
        if by_org[org.pk]:
            line.rounds(year, rounds)
        if window and window.evaluate_until and org.pk not in evaluated:
            line.add(f"evaluation:{org.pk}:{year}", "evaluation", window.evaluate_until, org.name,
                     f"{year}年度评诺尚未开展（评诺时间 {cn_date(window.evaluate_from)}至{cn_date(window.evaluate_until)}）")
    return sorted(found, key=lambda d: (d.org_code or "", d.contact, d.when or dt.date.max, d.key))


class _Lines:
    """Builds the Due lines of one organisation into found."""

    def __init__(self, org, members, today, found):
        self.org, self.members, self.today, self.found = org, members, today, found

    def add(self, key, kind, when, whose, text, pledge=None, member=None, member_scope=False):
        which = bucket(when, self.today)
        if which is None:
            return
        person = self.members.get(member) or {} if member else {}
        contact = person.get("name") or self.org.secretary or f"{self.org.name}书记"
        phone = person.get("phone", "") if member else self.org.contact or ""
        self.found.append(Due(f"{key}:{which}", kind, which, when, self.org.pk, self.org.name, self.org.code, whose,
                              text, contact, phone or "", pledge, member_scope))

    def whose(self, pledge):
        if pledge["scope"] == "member":
            return f"{(self.members.get(pledge.get('member')) or {}).get('name') or pledge.get('member_name', '')}的承诺"
        return f"{self.org.name}的党组织承诺"

    def pledges(self, pledges, deadline):
        """Pledges not yet submitted, or not yet published, as the publication deadline nears or passes."""
        if deadline is None:
            return
        for p in pledges:
            kind = "unsubmitted" if p["state"] in NOT_SUBMITTED else "unpublished" if p["state"] in NOT_PUBLISHED else None
            if kind:
                self.add(f"{kind}:{p['_id']}:{deadline}", kind, deadline, self.whose(p),
                         f"目前{STATE_TITLES[State(p['state'])]}，须在公示期限前公示", p["_id"], p.get("member"),
                         p["scope"] == "member")

    def items(self, pledges, year):
        """Items of published pledges not yet done, by their 完成时限."""
        open_pledges = {p["_id"]: p for p in pledges if p["state"] in progress.OPEN_STATES}
        for item in summary.unfinished_items(list(open_pledges.values()), self.org.pk):
            p = open_pledges[item["pledge"]]
            content = p["items"][item["index"]].get("content") or ""
            when = dt.date.fromisoformat(item["deadline"])
            self.add(f"item:{p['_id']}:{item['index']}:{when}", "item", when, self.whose(p),
                     f"第{item['index'] + 1}条“{content}”", p["_id"], p.get("member"), p["scope"] == "member")

    def unpledged(self, pledges, year, when):
        pledged = {p.get("member") for p in pledges if p["scope"] == "member"}
        for pk, m in self.members.items():
            if m.get("organisation") == self.org.pk and pk not in pledged \
                    and not set(m.get("categories") or ()) & summary.OPTIONAL_CATEGORIES:
                self.add(f"unpledged:{pk}:{year}", "unpledged", when, m.get("name", ""), f"{year}年尚未作出承诺",
                         member=pk, member_scope=True)

    def rounds(self, year, held):
        """Quarters of the year up to this one without a 督诺 round, due at the quarter's end."""
        last = 4 if year < self.today.year else (self.today.month - 1) // 3 + 1 if year == self.today.year else 0
        for quarter in range(1, last + 1):
            if (self.org.pk, quarter) not in held:
                end = dt.date(year, quarter * 3 + 1, 1) - dt.timedelta(days=1) if quarter < 4 else dt.date(year, 12, 31)
                self.add(f"round:{self.org.pk}:{year}:{quarter}", "round", end, self.org.name,
                         f"{year}年第{quarter}季度督诺尚未开展")


def groups(dues):
    """[((organisation, contact, phone), [Due])]: the chase list grouped by the person to phone, most urgent first."""
    grouped = defaultdict(list)
    for due in dues:
        grouped[(due.org_name, due.contact, due.phone)].append(due)
    rank = list(BUCKETS)
    return sorted(grouped.items(), key=lambda g: (g[1][0].org_code or "", min(rank.index(d.bucket) for d in g[1]),
                                                  min(d.when or dt.date.max for d in g[1])))


def counts(dues):
    """{bucket: number of lines} for the headline of a chase list."""
    found = dict.fromkeys(BUCKETS, 0)
    for due in dues:
        found[due.bucket] += 1
    return found


# -- the home page's to-do boxes, from the organisation-year summaries ----------------------------------------------

@dataclass
class ToDo:
    """A pledge named on a to-do line: whose, and in which organisation."""
    pk: ObjectId
    label: str
    state: str
    org_name: str = ""

    def __str__(self):
        return f"{self.label}（{self.org_name}）" if self.org_name else self.label

    @property
    def state_title(self):
        return STATE_TITLES[State(self.state)]


class Lines(list):
    """The first SHOWN lines of a to-do box, with the full count that the box's title shows."""

    def __init__(self, lines, total):
        super().__init__(lines)
        self.total = total


def todos(user, summaries, orgs, today=None):
    """What waits for this user on the home page: per role, over what the user may see (orgs: a summary of each)."""
    today = today or dt.date.today()
    this_year = {s.organisation: s for s in summaries if s.year == today.year}
    quarter = str((today.month - 1) // 3 + 1)
    writer = access.can_write(user)
    own = ref_id(user, "organisation")
    window = window_for(own, today.year) if own else None
    return {
        "to_review": _to_review(user, summaries),
        "returned": _in_state(summaries, State.RETURNED.value) if writer else None,
        "opinions": _opinions(user),
        "unpublished": _unpublished(this_year.values(), today, settings_by_org(PublicationDeadline, today.year)),
        "overdue": _overdue(summaries, today),
        "due_soon": {days: sum(s.items_due_before(today + dt.timedelta(days=days + 1)) - s.items_due_before(today)
                               for s in this_year.values()) for days in (NEAR, SOON)},
        "no_round": _no_round(orgs, this_year, quarter),
        "window": window.proposal_text(today) if window else None,
    }


def rolled_todos(user, rolled, today=None):
    """The same as todos(), from the rollups of what the user may see ({year: rollup}, summary.rolled_up): a few reads
    whatever the number of organisations."""
    today = today or dt.date.today()
    this_year, years = rolled[today.year], sorted(rolled, reverse=True)
    submitted, returned = State.SUBMITTED.value, State.RETURNED.value
    own = ref_id(user, "organisation")
    window = window_for(own, today.year) if own else None
    if user.is_admin:
        to_review = _rolled_lines([rolled[y].firsts.get(submitted, []) for y in years], submitted,
                                  sum(rolled[y].count(None, (submitted,)) for y in years))
    elif user.role == "reviewer":
        to_review = _rolled_lines([rolled[y].review["first"] for y in years], submitted,
                                  sum(rolled[y].review["n"] for y in years))
    else:
        to_review = Lines([], 0)
    deadlines = settings_by_org(PublicationDeadline, today.year)
    if any(bucket(d.deadline, today) in ("overdue", "due7", "due30") for d in deadlines.values()):
        unpublished = _unpublished([s for s in summary.visible(user, (today.year,)) if s.year == today.year], today,
                                   deadlines)
    else:  # nothing is near its publication deadline: no summary need be read
        unpublished = Lines([], 0)
    late = sorted((i for y in years for i in rolled[y].earliest_open if i["deadline"] < today.isoformat()),
                  key=lambda i: (i["deadline"], str(i["pledge"]), i["index"]))
    quarter = this_year.no_round[str((today.month - 1) // 3 + 1)]
    return {
        "to_review": to_review,
        "returned": _rolled_lines([rolled[y].firsts.get(returned, []) for y in years], returned,
                                  sum(rolled[y].count(None, (returned,)) for y in years))
        if access.can_write(user) else None,
        "opinions": _opinions(user),
        "unpublished": unpublished,
        "overdue": Lines([dict(i, deadline=dt.date.fromisoformat(i["deadline"]), pledge=ObjectId(str(i["pledge"])))
                          for i in late[:SHOWN]], sum(rolled[y].items_due_before(today) for y in years)),
        "due_soon": {days: this_year.items_due_before(today + dt.timedelta(days=days + 1))
                     - this_year.items_due_before(today) for days in (NEAR, SOON)},
        "no_round": Lines(quarter["first"][:ORGS_SHOWN], quarter["n"]),
        "window": window.proposal_text(today) if window else None,
    }


def _rolled_lines(firsts, state, total):
    """The to-do lines a rollup names ([[{id, label, org_name}]] latest year first), the first SHOWN as ToDo."""
    return Lines([ToDo(f["id"], f["label"], state, f["org_name"]) for year in firsts for f in year][:SHOWN], total)


def _no_round(orgs, this_year, quarter):
    """Organisations without a 督诺 round this quarter: the first ORGS_SHOWN named, all counted (the chase list has them all)."""
    missing = [o for o in orgs if not (this_year.get(o.organisation) and this_year[o.organisation].rounds.get(quarter))]
    return Lines(missing[:ORGS_SHOWN], len(missing))


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
    return Lines(_named(buckets, (submitted,)), sum(s.count(scope, (submitted,)) for s, scope in buckets))


def _in_state(summaries, state):
    """Pledges in one state (e.g. returned to the clerk), named from the summaries, latest year first."""
    ordered = sorted(summaries, key=lambda s: (-s.year, s.code or ""))
    return Lines(_named([(s, None) for s in ordered], (state,)), sum(s.count(None, (state,)) for s in summaries))


def _named(buckets, states):
    """The first SHOWN ToDo lines of pledges in these states over [(summary, scope or None)] in order, reading the
    lines of only the organisation-years that hold them."""
    lines = []
    for s, scope in buckets:
        if len(lines) >= SHOWN:
            break
        if s.count(scope, states):
            firsts = summary.lines(s).firsts
            lines += [ToDo(f["id"], f["label"], state, s.name) for state in states for f in firsts.get(state, [])
                      if scope is None or f["scope"] == scope]
    return lines[:SHOWN]


def _opinions(user):
    """Opinions from the public not yet handled: one path equality and the state."""
    query = access.scope(Opinion.objects, user).filter(state="待处理").order_by()
    shown = sorted(query.only("pledge_label", "organisation_name", "text", "at").limit(200), key=lambda o: o.at)
    return Lines(shown[:SHOWN], query.count())


def _unpublished(summaries, today, deadlines):
    """This year's pledges not yet published whose publication deadline (of settings_by_org) is past or within SOON days."""
    due = []
    for s in summaries:
        setting = nearest(deadlines, s.org_path)
        if setting and bucket(setting.deadline, today) in ("overdue", "due7", "due30"):
            due.append((setting.deadline, s))
    due.sort(key=lambda d: (d[0], d[1].code or ""))
    lines = []
    for deadline, s in due:
        lines += [(todo, deadline, deadline < today) for todo in _named([(s, None)], summary.UNPUBLISHED_STATES)]
        if len(lines) >= SHOWN:
            break
    return Lines(lines[:SHOWN], sum(s.count(None, summary.UNPUBLISHED_STATES) for _d, s in due))


def _overdue(summaries, today):
    """Items past their deadline and not done, soonest first, each naming whose pledge and which organisation.

    Organisation-years are merged by their own soonest item, reading the lines of each only until SHOWN items come
    before the next one's soonest.
    """
    late = sorted((s for s in summaries if s.first_open and s.first_open[:10] < today.isoformat()),
                  key=lambda s: s.first_open)
    items = []
    for s in late:
        if len(items) >= SHOWN and _item_key(items[SHOWN - 1]) < (s.first_open, 0):
            break
        items += [dict(i, deadline=dt.date.fromisoformat(i["deadline"]), pledge=ObjectId(str(i["pledge"])), org_name=s.name)
                  for i in summary.lines(s).earliest_open if i["deadline"] < today.isoformat()]
        items.sort(key=_item_key)
    return Lines(items[:SHOWN], sum(s.items_due_before(today) for s in summaries))


def _item_key(item):
    """An open item's place in deadline order, comparable with a summary's first_open."""
    return f"{item['deadline'].isoformat()} {item['pledge']}", item["index"]
