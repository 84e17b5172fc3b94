"""Administrator settings by year: publication deadlines and the closing of a year."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView
from documents import audit
from documents.base import now


class DeadlineView(ScopedModelView):
    """Deadlines are set by administrators and the clerks of the organisation that sets them."""
    column_list = ("organisation_name", "year", "deadline")
    form_columns = ("organisation", "year", "deadline")


class WorkWindowView(ScopedModelView):
    """提诺 and 评诺 time, set like deadlines: it applies to the organisation and every one below it."""
    column_list = ("organisation_name", "year", "propose_from", "propose_until", "evaluate_from", "evaluate_until")
    form_columns = ("organisation", "year", "propose_from", "propose_until", "evaluate_from", "evaluate_until")


class YearClosingView(AdminOnly, ScopedModelView):
    column_list = ("organisation_name", "year", "active", "closed_by", "created_at", "reopened_by", "reopen_reason")
    form_columns = ("organisation", "year", "note")
    can_edit = False
    can_delete = False
    details_template = "admin/closing_details.html"

    def on_model_change(self, form, model, is_created):
        model.closed_by = str(current_user)

    @expose("/reopen/", methods=("POST",))
    def reopen_view(self):
        """撤销归档: only an administrator, only with a reason, and audited."""
        closing = self.get_one(request.args.get("id"))
        reason = (request.form.get("reason") or "").strip()
        if not closing.active:
            abort(404)
        if not reason:
            flash(_("撤销归档必须填写原因"), "error")
            return redirect(url_for(".details_view", id=closing.pk))
        before = audit.snapshot(closing)
        closing.active, closing.reopened_at, closing.reopened_by = False, now(), str(current_user)
        closing.reopen_reason = reason
        closing.save_checked(closing.version)
        audit.record(current_user, "撤销年度归档", closing, before, audit.snapshot(closing))
        flash(_("已撤销 %(c)s", c=str(closing)), "success")
        return redirect(url_for(".index_view"))
