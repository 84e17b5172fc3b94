"""提诺 and 评诺 time of a year: when pledges are proposed and when the year is evaluated, per organisation.

Set for an organisation, the dates apply to every organisation below it unless one sets its own.
Outside the proposal dates a new pledge needs an administrator's reason, kept in its audit entry.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import DateField, IntField, ReferenceField, ValidationError

from documents.base import VersionedDocument, cn_date
from documents.calendar import nearest_for
from documents.organisation import OrgOwned


class WorkWindow(OrgOwned, VersionedDocument):
    """提诺时间 (required) and 评诺时间 (optional) of one organisation and year."""
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    propose_from = DateField(required=True, verbose_name=_l("提诺开始日期"))
    propose_until = DateField(required=True, verbose_name=_l("提诺截止日期"))
    evaluate_from = DateField(verbose_name=_l("评诺开始日期"))
    evaluate_until = DateField(verbose_name=_l("评诺截止日期"))
    meta = {"collection": "work_window", "indexes": ["organisation", "org_path"]}

    def __str__(self):
        return f"{self.year}年提诺时间 {cn_date(self.propose_from)}至{cn_date(self.propose_until)}"

    def clean(self):
        if self.propose_from and self.propose_until and self.propose_from > self.propose_until:
            raise ValidationError("提诺开始日期不能晚于截止日期", field_name="propose_until")
        if bool(self.evaluate_from) != bool(self.evaluate_until):
            raise ValidationError("评诺开始和截止日期须同时填写", field_name="evaluate_until")
        if self.evaluate_from and self.evaluate_from > self.evaluate_until:
            raise ValidationError("评诺开始日期不能晚于截止日期", field_name="evaluate_until")

    def proposal(self, today=None):
        """("before" | "open" | "after", days): days until it opens, days left including today, or days since it closed."""
        today = today or dt.date.today()
        if today < self.propose_from:
            return "before", (self.propose_from - today).days
        if today > self.propose_until:
            return "after", (today - self.propose_until).days
        return "open", (self.propose_until - today).days + 1

    def proposal_text(self, today=None):
        """One line for the dashboard: the dates and how many days are left."""
        state, days = self.proposal(today)
        dates = f"{self.year}年提诺时间：{cn_date(self.propose_from)}至{cn_date(self.propose_until)}"
        if state == "before":
            return f"{dates}，{days}天后开始"
        if state == "after":
            return f"{dates}，已结束{days}天"
        return f"{dates}，还剩{days}天"


def window_for(org_id, year):
    return nearest_for(WorkWindow, org_id, int(year))


class OutsideWindow(Exception):
    """A new pledge outside the proposal dates without an administrator's reason, in Chinese."""


def outside(org_id, year, today=None):
    """The organisation's proposal dates of that year when today lies outside them, else None."""
    window = window_for(org_id, year)
    return window if window is not None and window.proposal(today)[0] != "open" else None


def refusal(window):
    return f"现在不在{window}内，不能新建承诺；确需补录的，请系统管理员填写原因后新建"


def admit(actor, org_id, year, reason=None, today=None):
    """Allow a new pledge now; outside the proposal dates return the administrator's reason to record, else refuse."""
    closed = outside(org_id, year, today)
    if closed is None:
        return None
    if not actor.is_admin:
        raise OutsideWindow(refusal(closed))
    reason = (reason or "").strip()
    if not reason:
        raise OutsideWindow(f"现在不在{closed}内，新建承诺须填写原因")
    return reason
