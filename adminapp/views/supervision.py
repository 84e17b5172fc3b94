"""督诺 in the admin: quarterly rounds, the rectification ledger and the leadership comment ledger."""
import datetime as dt

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from mongoengine.errors import ValidationError

from adminapp.views.base import ScopedModelView, object_ids
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.forms import MemberLoader
from adminapp.views.pledge import YearFilter
from documents import access
from documents.pledge import Pledge
from documents.supervision import (METHODS, SupervisionNote, SupervisionRound, close_rectification, round_pledges,
                                   sync_rectifications)


def _note_pledges():
    """The pledges a round's notes may name: the round's year and organisation (the year being entered on a new round)."""
    round_, pledges = _round_of_request(), access.scope(Pledge.objects, current_user)
    if round_ is not None:
        return pledges.filter(org_path=round_.organisation.pk, year=round_.year)
    return pledges.filter(year=request.form.get("year", type=int) or dt.date.today().year)


def _round_of_request():
    """The round whose edit page this request is, within the user's scope."""
    ids = object_ids([request.args.get("id")]) if request.endpoint == "supervision.edit_view" else []
    return access.scope(SupervisionRound.objects, current_user).filter(pk=ids[0]).first() if ids else None


class SupervisionRoundView(ScopedModelView):
    column_list = ("organisation_name", "year", "quarter", "held_on", "summary")
    column_filters = (OrgSubtreeFilter("organisation"), YearFilter("year", _l("年度")),
                      ListValueFilter("quarter", _l("季度"), values=[1, 2, 3, 4]))
    form_columns = ("organisation", "year", "quarter", "held_on", "summary", "notes")
    form_subdocuments = {"notes": {"form_subdocuments": {None: {"form_args": {"pledge": {"choices_from": _note_pledges}}}}}}
    column_searchable_list = ("summary",)

    def edit_form(self, obj=None):
        """Offer a comment line for every published pledge of the round not yet commented on."""
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            noted = {n.pledge.pk for n in obj.notes if n.pledge}
            for pledge in round_pledges(obj.organisation.pk, obj.year, access.scope(Pledge.objects, current_user)):
                if pledge.pk not in noted:
                    form.notes.append_entry(SupervisionNote(pledge=pledge))
        return form

    def on_model_change(self, form, model, is_created):
        """Keep only the lines a clerk wrote something in: the offered blank ones are not comments."""
        super().on_model_change(form, model, is_created)
        model.notes = [n for n in model.notes if n.criticised or n.rectify_by or
                       any((text or "").strip() for text in (n.comment, n.highlight, n.problem))]

    def get_save_return_url(self, model, is_created=False):
        """After creating a round, go on to its page to comment on each person."""
        if is_created and "_add_another" not in request.form:
            flash(_("督诺已创建。下面已列出本组织本年度已公示的承诺，请逐人点评。"), "info")
            return url_for(".edit_view", id=model.pk, url=url_for(".index_view"))
        return super().get_save_return_url(model, is_created)

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
    details_template = "admin/rectification_details.html"

    @expose("/close/", methods=("POST",))
    def close_view(self):
        """挂牌销号 from the line's own page, with the result the clerk wrote."""
        line = self.get_writable()
        try:
            close_rectification(current_user, line, request.form.get("result") or line.result or _("已按期整改"))
        except ValidationError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("已销号：%(p)s", p=line.problem), "success")
        return redirect(url_for(".details_view", id=line.pk))

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
    form_ajax_refs = {"member": MemberLoader("member")}
    column_list = ("on", "commenter", "method", "organisation_name", "member_name", "content")
    column_filters = (OrgSubtreeFilter("organisation"), ListValueFilter("method", _l("点评方式"), values=METHODS))
    column_searchable_list = ("commenter", "content")
    form_columns = ("organisation", "member", "commenter", "on", "method", "content")
