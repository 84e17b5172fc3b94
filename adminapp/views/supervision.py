"""督诺 in the admin: quarterly rounds, the rectification ledger and the leadership comment ledger."""
from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from mongoengine.errors import ValidationError

from adminapp.views.base import ScopedModelView
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.pledge import YearFilter
from documents.supervision import METHODS, close_rectification, sync_rectifications


class SupervisionRoundView(ScopedModelView):
    column_list = ("organisation_name", "year", "quarter", "held_on", "summary")
    column_filters = (OrgSubtreeFilter("organisation"), YearFilter("year", _l("年度")),
                      ListValueFilter("quarter", _l("季度"), values=[1, 2, 3, 4]))
    form_columns = ("organisation", "year", "quarter", "held_on", "summary", "notes")
    column_searchable_list = ("summary",)

    def after_model_change(self, form, model, is_created):
        opened = sync_rectifications(current_user, model)
        if opened:
            flash(_("已列入整改台账 %(n)s 项", n=opened), "info")


def _closed(view, context, model, name):
    if model.closed_on:
        return f"{model.closed_on:%Y-%m-%d}"
    return Markup('<span class="pd-overdue">{}</span>').format(_("已逾期")) if model.overdue else _("整改中")


class ClosedFilter(BaseMongoEngineFilter):
    """整改中 (not yet closed) or 已销号, as the dashboard counts them."""

    def __init__(self):
        super().__init__("closed_on", _l("整改状态"), options=[("open", _l("整改中")), ("closed", _l("已销号"))])

    def apply(self, query, value):
        return query.filter(closed_on=None) if value == "open" else query.filter(closed_on__ne=None)

    def operation(self):
        return _l("为")


class RectificationView(ScopedModelView):
    column_list = ("organisation_name", "pledge_label", "problem", "deadline", "closed_on", "closed_by", "result")
    column_formatters = {"closed_on": _closed}
    column_filters = (OrgSubtreeFilter("organisation"), YearFilter("year", _l("年度")), ClosedFilter())
    column_searchable_list = ("problem", "result")
    form_columns = ("organisation", "pledge", "problem", "deadline", "result")

    @action("close", _l("挂牌销号"), _l("确定将所选整改事项销号吗？销号日期记为今天，销号人记为您。"))
    def action_close(self, ids):
        done = 0
        for line in self.get_selected(ids):
            try:
                close_rectification(current_user, line, line.result or _("已按期整改"))
                done += 1
            except ValidationError as exc:
                flash(str(exc.message), "error")
        flash(_("已销号 %(n)s 项", n=done), "success")


class LeaderCommentView(ScopedModelView):
    column_list = ("on", "commenter", "method", "organisation_name", "member_name", "content")
    column_filters = (OrgSubtreeFilter("organisation"), ListValueFilter("method", _l("点评方式"), values=METHODS))
    column_searchable_list = ("commenter", "content")
    form_columns = ("organisation", "member", "commenter", "on", "method", "content")
