"""The member roster: list, form, import with preview, and export to .xlsx."""
import io

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from adminapp.views.base import ScopedModelView, object_id_or_404
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.forms import CheckboxesField, PartialDateField, VocabularySelectField
from adminapp.views.paging import OrgWalk
from documents import access, idcard, jobs, normalise, roster, summary
from documents.importbatch import ImportBatch
from documents.member import GENDERS, search_filter
from documents.organisation import Organisation
from documents.pledge import Pledge
from documents.supervision import LeaderComment
from exporters import spreadsheet


def _masked(view, context, model, name):
    return idcard.mask(model.id_number)


def _categories(view, context, model, name):
    return "、".join(model.categories)


def _date(view, context, model, name):
    return model.show_date(name)


class MemberView(ScopedModelView):
    column_list = ("name", "gender", "id_number", "organisation_name", "post", "categories", "status")
    column_labels = {"organisation_name": _l("所属组织")}
    column_searchable_list = ("name", "id_number")
    column_formatters = {"id_number": _masked, "categories": _categories}
    column_details_exclude_list = (*ScopedModelView.column_details_exclude_list, "month_only", "search_keys")
    column_formatters_detail = {"categories": _categories, "birth_date": _date, "joined_on": _date}
    column_default_sort = "name"
    list_reads = ()
    form_columns = ("name", "gender", "id_number", "phone", "birth_date", "joined_on", "organisation",
                    "post", "duty", "categories", "residential_org", "status")
    form_overrides = {"categories": CheckboxesField, "status": VocabularySelectField, "gender": SelectField,
                      "birth_date": PartialDateField, "joined_on": PartialDateField}
    form_args = {"categories": {"kind": "member_category"}, "status": {"kind": "member_status"},
                 "residential_org": {"choices_from": lambda: Organisation.objects(org_type="社区")},
                 "gender": {"choices": [SelectChoice("", _l("按身份证号自动填写")),
                                        *[SelectChoice(g) for g in GENDERS]]}}
    column_filters = (
        OrgSubtreeFilter("organisation"),
        ListValueFilter("categories", _l("党员类别"), kind="member_category"),
        ListValueFilter("status", _l("党籍状态"), kind="member_status"),
        ListValueFilter("gender", _l("性别"), values=GENDERS),
    )
    list_template = "admin/member_list.html"

    def search_placeholder(self):
        return _("搜索：姓名、身份证号或手机号后4位")

    def _search(self, query, search_term):
        """By the members' search keys (one indexed equality), not a regex over the whole scope."""
        return query.filter(search_filter(search_term))

    def walk(self, root, filters):
        """One organisation at a time, with each one's roster size from the read models."""
        counted = all(isinstance(self._filters[i], OrgSubtreeFilter) for i, _name, _v in filters)
        return OrgWalk(root, summary.org_counts(root, what="members_total"), counted)

    def edit_form(self, obj=None):
        """Open the form with each date as it was given: 2001-07 stays a month."""
        form = super().edit_form(obj)
        if obj is not None:
            for name in ("birth_date", "joined_on"):
                if form[name].data and not form[name].raw_data:
                    form[name].data = normalise.PartialDate(form[name].data.day, name in obj.month_only)
        return form

    def on_model_delete(self, model):
        """A member with pledges or comments stays: their records would point at nobody."""
        if Pledge.objects(member=model.pk).first() or LeaderComment.objects(member=model.pk).first():
            raise ValidationError(_("该党员已有承诺或点评记录，不能删除；如已转出或去世，请修改党籍状态"))

    # -- export ---------------------------------------------------------------------------
    @expose("/export.xlsx")
    def export_xlsx(self):
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        sort_column = sort[0] if sort is not None else None
        _count, members = self.get_list(0, sort_column, view_args.sort_desc, view_args.search,
                                        view_args.filters, page_size=0, execute=True)
        headers = [h for h, _k in roster.COLUMNS]
        codes = {o.pk: o.code for o in Organisation.objects.only("code")}
        rows = (roster.row_of(m, codes) for m in members)
        data = spreadsheet.workbook_bytes(_("党员花名册"), headers, rows, text_columns=roster.TEXT_COLUMNS)
        return send_file(io.BytesIO(data), as_attachment=True, download_name="党员花名册.xlsx",
                         mimetype=spreadsheet.XLSX_MIME)

    # -- import ---------------------------------------------------------------------------
    @expose("/import/", methods=("GET", "POST"))
    def import_upload(self):
        if not self.can_create:
            abort(403)
        limits = roster.Limits(current_app.config["ROSTER_MAX_BYTES"], current_app.config["ROSTER_MAX_UNZIPPED"],
                               current_app.config["ROSTER_MAX_ROWS"])
        error = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                error = _("请选择要导入的花名册文件")
            else:
                try:
                    batch = roster.receive(current_user, upload.filename, upload.read(), limits)
                except roster.RosterFileError as exc:
                    error = str(exc)
                else:
                    return redirect(url_for(".import_preview", batch_id=batch.pk))
        return self.render("admin/member_import.html", error=error, max_mb=limits.max_bytes // 1024 // 1024,
                           max_rows=limits.max_rows)

    @expose("/import/template.<ext>")
    def import_template(self, ext):
        headers, example = roster.template_rows()
        if ext == "xlsx":
            data = spreadsheet.workbook_bytes(_("花名册"), headers, [example], text_columns=roster.TEXT_COLUMNS)
            return send_file(io.BytesIO(data), as_attachment=True, download_name="花名册导入模板.xlsx",
                             mimetype=spreadsheet.XLSX_MIME)
        if ext == "csv":
            data = spreadsheet.csv_bytes(headers, [example])
            return send_file(io.BytesIO(data), as_attachment=True, download_name="花名册导入模板.csv",
                             mimetype="text/csv")
        abort(404)

    def _visible_batch(self, batch_id):
        """A batch its creator, or anyone who sees the creator's organisation, may open; else 404."""
        batch = ImportBatch.objects(pk=object_id_or_404(batch_id)).first()
        if batch is None or (batch.created_by != current_user.pk and
                             not access.can_see_org(current_user, batch.organisation)):
            abort(404)
        return batch

    @expose("/import/<batch_id>/", methods=("GET", "POST"))
    def import_preview(self, batch_id):
        batch = self._visible_batch(batch_id)
        if not batch.checked:  # its rows are being checked: the check job's page shows how far it got
            return redirect(url_for("job.details", job_id=roster.check_id(batch)))
        job = jobs.load(roster.job_id(batch))
        if request.method == "POST":
            if not self.can_create:
                abort(403)
            try:
                if request.form.get("choice") == "cancel":
                    roster.discard(batch, current_user)
                    flash(_("已取消导入，没有写入任何数据"), "info")
                    return redirect(url_for(".index_view"))
                if request.form.get("choice") == "commit":
                    job = roster.confirm(batch, current_user)
                    return redirect(url_for("job.details", job_id=job.id))
            except ValueError as exc:
                flash(str(exc), "error")
        return self.render("admin/member_import_preview.html", batch=batch, job=job, state=roster.status(job), shown=200)
