"""Organisations: the list, the form and the navigable tree."""
import datetime as dt
import io
import uuid

from flask import abort, current_app, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError

from adminapp.views.base import LoginRequired, ScopedModelView, year_arg
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.forms import VocabularySelectField
from adminapp.views.settings import base_url
from documents import access, summary
from documents.member import Member
from documents.organisation import LEVELS, Organisation, forest, ref_id
from documents.user import User
from exporters import archive, spreadsheet
from exporters.ledgers import LEDGERS


class OrganisationView(ScopedModelView):
    column_list = ("name", "code", "level", "org_type", "parent", "secretary", "contact")
    column_formatters = {"parent": lambda v, c, m, n: v.name_of(Organisation, ref_id(m, "parent"))}
    column_searchable_list = ("name", "code", "secretary")
    column_default_sort = "code"
    sort_unfiltered = True
    form_columns = ("name", "code", "level", "org_type", "parent", "secretary", "contact")
    form_overrides = {"org_type": VocabularySelectField}
    form_args = {"org_type": {"kind": "org_type"}}
    column_filters = (
        OrgSubtreeFilter("pk", _l("组织（含下级）")),
        ListValueFilter("level", _l("组织层级"), values=LEVELS),
        ListValueFilter("org_type", _l("组织类型"), kind="org_type"),
    )

    def edit_form(self, obj=None):
        if obj is not None and not access.can_edit_org(current_user, obj):
            abort(403)
        return super().edit_form(obj)

    def on_model_change(self, form, model, is_created):
        if current_user.is_admin:
            return
        if model.parent is None:
            raise ValidationError(_("请选择上级组织"), field_name="parent")
        if not access.can_see_org(current_user, model.parent.pk) or \
                (not is_created and not access.can_edit_org(current_user, model)):
            raise ValidationError(_("只能选择您管辖范围内的组织"), field_name="parent")

    def on_model_delete(self, model):
        if not access.can_edit_org(current_user, model):
            raise ValidationError(_("您不能删除本组织"))
        reasons = []
        if type(model).objects(parent=model.pk).first():
            reasons.append(_("还有下级组织"))
        if Member.objects(organisation=model.pk).first():
            reasons.append(_("还有党员"))
        if User.objects(organisation=model.pk).first():
            reasons.append(_("还有账号"))
        if reasons:
            raise ValidationError("、".join(reasons))


    details_template = "admin/organisation_details.html"

    def render(self, template, **kwargs):
        kwargs.setdefault("current_year", dt.date.today().year)
        kwargs.setdefault("archive_key", uuid.uuid4().hex)
        return super().render(template, **kwargs)

    @expose("/export/")
    def export_view(self):
        """The board sheet and the ledgers of a visible organisation, as PDF or .xlsx."""
        organisation = self.get_one(request.args.get("id"))
        year = year_arg()
        kind, fmt = request.args.get("kind"), request.args.get("fmt", "pdf")
        if fmt == "pdf" and (kind == "board" or kind in LEDGERS) and \
                len(archive.pledge_ids(organisation, year)) > archive.FILES_IN_REQUEST:
            return self._export_job(organisation, year, kind)
        if kind == "board":
            title, data, mime = "公示表", archive.board_pdf(organisation, year, base_url()), "application/pdf"
        elif kind in LEDGERS and fmt in ("pdf", "xlsx"):
            ledger = LEDGERS[kind](organisation, year)  # read once: its title names the file
            title, mime = ledger[0], "application/pdf" if fmt == "pdf" else spreadsheet.XLSX_MIME
            write = archive.ledger_pdf if fmt == "pdf" else archive.ledger_xlsx
            data = write(kind, organisation, year, ledger)
        else:
            abort(404)
        return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                         download_name=f"{organisation.code}_{year}_{title}.{'pdf' if kind == 'board' else fmt}")


    def _export_job(self, organisation, year, kind):
        """A street's board sheet or ledger is rendered by a job; its page shows the progress and then the download."""
        if kind == "board":
            base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
            task, title = ("board", organisation.pk, year, base), _("公示表")
        else:
            task, title = ("ledger", organisation.pk, year, kind, "pdf"), _("台账")
        job = archive.start_files_job([task], title, current_user, organisation.pk, current_app.config["JOB_DIR"])
        return redirect(url_for("job.details", job_id=job.id))


class OrgTreeView(LoginRequired, BaseView):
    """组织架构: the tree of the user's organisations with their rosters' sizes (from the read models) and links."""

    @expose("/")
    def index(self):
        root = None if current_user.is_admin else ref_id(current_user, "organisation")
        if root is None and not current_user.is_admin:
            return self.render("admin/org_tree.html", tree=[], counts={})
        return self.render("admin/org_tree.html", tree=forest(root), counts=summary.org_counts(root, what="members_active"))
