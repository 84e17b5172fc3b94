"""The year's figures of what a user may see, added up from the organisation-year summaries: the dashboard and 统计页 show them."""
import datetime as dt
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from documents import summary
from documents.organisation import Organisation, ref_id
from documents.pledge import STATE_TITLES, State

SOON_DAYS = 30
BRANCHES_SHOWN = summary.ORGS_KEPT  # the coverage chart shows the organisations furthest behind; the coverage page lists all


@dataclass
class Figures:
    """One year's figures over a user's organisations."""
    year: int
    today: dt.date
    scope_name: str
    years: list  # years with any summary, newest first, for the year selector
    org_total: int = 0  # organisations counted
    members_expected: int = 0
    members_pledged: int = 0
    orgs_pledged: int = 0  # organisations with a pledge of their own
    behind: list = field(default_factory=list)  # [summary.CoverageRow] of the lowest member coverage, BRANCHES_SHOWN
    funnel: list = field(default_factory=list)  # [(state value, title, pledges)] in the order of the cycle
    items_overdue: int = 0
    items_soon: int = 0
    rounds: dict = field(default_factory=dict)  # {1..4: rounds held}
    rectifications: dict = field(default_factory=dict)  # {"open" | "closed": lines}
    grades: list = field(default_factory=list)  # [(label, members)] best first

    @property
    def pledges(self):
        return sum(n for _state, _title, n in self.funnel)


def rate(part, whole):
    """A share as a whole percent, 0 when there is nothing to share."""
    return round(100 * part / whole) if whole else 0


def figures(user, year, today=None):
    """Figures of one year over the organisations a user may see: of the current year from the rollups of the user's
    top organisations, of another (or before the rollups are made) from the summaries."""
    today = today or dt.date.today()
    year = int(year)
    rolled = summary.rolled_up(user) if year == today.year else None
    if rolled and year in rolled:
        r = rolled[year]
        return _figures(user, year, today, [r], set(rolled), org_total=r.orgs, members_expected=r.members_expected,
                        members_pledged=r.members_pledged, orgs_pledged=r.orgs_pledged,
                        behind=[summary.CoverageRow(b["organisation"], b["code"], b["name"], b["expected"], b["pledged"],
                                                    False) for b in r.behind])
    summaries = summary.visible(user, (today.year, year))
    rows = summary.coverage_rows(summaries, year)
    return _figures(user, year, today, [s for s in summaries if s.year == year], {s.year for s in summaries},
                    org_total=len(rows), members_expected=sum(r.expected for r in rows),
                    members_pledged=sum(r.pledged for r in rows), orgs_pledged=sum(r.org_pledged for r in rows),
                    behind=sorted((r for r in rows if r.expected), key=lambda r: (r.pledged / r.expected, r.code or ""))
                    [:BRANCHES_SHOWN])


def _figures(user, year, today, this_year, years, **coverage):
    """Figures from the summaries (or the one rollup) of the year, with the coverage figures as given."""
    own = ref_id(user, "organisation")
    scope_name = "全部党组织" if user.is_admin or own is None else Organisation.objects(pk=own).order_by().only("name").first().name
    soon = (today + dt.timedelta(days=SOON_DAYS)).isoformat()
    return Figures(
        year=year, today=today, scope_name=scope_name, years=sorted(years | {today.year, year}, reverse=True),
        **coverage,
        funnel=[(state.value, str(STATE_TITLES[state]), sum(s.count(None, (state.value,)) for s in this_year))
                for state in State],
        items_overdue=sum(s.items_due_before(today) for s in this_year),
        items_soon=sum(n for s in this_year for on, n in (s.open_items or {}).items() if today.isoformat() <= on <= soon),
        rounds={q: sum((s.rounds or {}).get(str(q), 0) for s in this_year) for q in (1, 2, 3, 4)},
        rectifications={k: sum((s.rectifications or {}).get(k, 0) for s in this_year) for k in ("open", "closed")},
        grades=_grades(this_year),
    )


@dataclass
class Series:
    """One chart: bars (label, value, key), the key naming what a bar counts (an organisation, a state, a quarter...)."""
    id: str
    title: str
    kind: str  # "bar", "hbar" (horizontal) or "pie"
    bars: list
    unit: str = ""

    @property
    def top(self):
        return max([value for _label, value, _key in self.bars] + [100 if self.unit == "%" else 1])


def series(f):
    """The charts of a year's figures, the same on the dashboard and on the printed 统计页."""
    return [
        Series("coverage", _l("党员承诺率最低的组织（%）"), "hbar",
               [(r.name, rate(r.pledged, r.expected), r.organisation) for r in f.behind], "%"),
        Series("funnel", _l("承诺办理进度（按状态）"), "hbar", [(title, n, state) for state, title, n in f.funnel]),
        Series("items", _l("承诺事项完成时限"), "bar",
               [(_l("已逾期未完成"), f.items_overdue, "overdue"), (_l("%(n)s天内到期", n=SOON_DAYS), f.items_soon, "soon")]),
        Series("rounds", _l("各季度督诺次数"), "bar", [(_l("第%(q)s季度", q=q), n, q) for q, n in f.rounds.items()]),
        Series("rectifications", _l("整改事项"), "pie",
               [(_l("整改中"), f.rectifications["open"], "open"), (_l("已销号"), f.rectifications["closed"], "closed")]),
        Series("grades", _l("年度评诺等次分布（人）"), "bar", [(label, n, label) for label, n in f.grades]),
    ]


def _grades(summaries):
    """[(label, members)] of the year's evaluations added up, best grade first and 未评 last."""
    return [(label, n) for label, (_low, n) in sorted(summary.merged_grades(summaries).items(), key=lambda kv: -kv[1][0])]


def items(user, year, kind, today=None):
    """The open items behind a figure ("overdue" or "soon"), of every organisation the user may see that has some."""
    today = today or dt.date.today()
    soon = (today + dt.timedelta(days=SOON_DAYS)).isoformat()
    wanted = (lambda on: on < today.isoformat()) if kind == "overdue" else (lambda on: today.isoformat() <= on <= soon)
    found = []
    for s in sorted((s for s in summary.visible(user) if s.year == int(year)), key=lambda s: s.code or ""):
        if any(wanted(on) for on in (s.open_items or {})):
            found += [dict(i, org_name=s.name, deadline=dt.date.fromisoformat(i["deadline"]))
                      for i in summary.open_items(s.organisation, year) if wanted(i["deadline"])]
    return sorted(found, key=lambda i: (i["deadline"], i["org_name"]))
