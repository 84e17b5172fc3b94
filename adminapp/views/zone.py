"""党员责任区 in the admin: zones with their duties, coverage (who has no duty), work log, assessment, the board."""
import datetime as dt
import io

from flask import request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.activity import TemplateFieldsMixin, act, chosen_org, raw_scores, scheme_args
from adminapp.views.base import LoginRequired, ScopedModelView
from adminapp.views.filters import OrgSubtreeFilter
from documents.activity import RATERS
from documents.store.claims import new_nonce
from documents.template import parse_date
from documents.zone import LOG_KINDS, assess, assessments_of, coverage, logs_of, write_log
from exporters.plaques import zone_board_pdf


class ZoneView(TemplateFieldsMixin, ScopedModelView):
    column_list = ("organisation_name", "section", "name", "head_name")
    column_filters = (OrgSubtreeFilter("organisation"),)
    column_searchable_list = ("name", "section", "tasks")
    form_columns = ("organisation", "scheme", "section", "name", "head", "tasks", "duties")
    column_details_list = ("scheme",)
    details_template = "admin/zone_details.html"
    scheme_kinds = ("zone",)
    form_args = scheme_args(scheme_kinds)
    can_delete = False

    @expose("/details/")
    def details_view(self):
        zone = self.get_one(request.args.get("id"))
        return self.render(self.details_template, model=zone, zone=zone, logs=logs_of(zone),
                           assessments=assessments_of(zone), raters=RATERS, kinds=LOG_KINDS, nonce=new_nonce(),
                           today=dt.date.today(), details_columns=self._details_columns,
                           get_value=self.get_detail_value, return_url=url_for(".index_view"))

    @expose("/log/", methods=("POST",))
    def log_view(self):
        zone = self.get_writable()
        form, upload = request.form, request.files.get("attachment")
        file = (upload.filename, upload.read(2 * 1024 * 1024 + 1)) if upload and upload.filename else None
        return act(zone, "记日志", lambda: write_log(current_user, zone, parse_date(form.get("on", "")),
                                                    form.get("text"), form.get("kind", "工作日志"),
                                                    form.get("author", ""), file),
                   url_for(".details_view", id=zone.pk))

    @expose("/assess/", methods=("POST",))
    def assess_view(self):
        zone = self.get_writable()
        form = request.form
        day = parse_date(form.get("assessed_on", "")) or dt.date.today()
        return act(zone, "考评", lambda: assess(
            current_user, zone, form.get("year", type=int) or day.year, form.get("number", type=int) or
            zone.scheme.period_of(day), day, raw_scores(form, zone.scheme), form.get("problems", ""),
            parse_date(form.get("rectify_by", ""))), url_for(".details_view", id=zone.pk))

    @expose("/board/")
    def board_view(self):
        zone = self.get_one(request.args.get("id"))
        return send_file(io.BytesIO(zone_board_pdf(zone)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{zone.organisation.code}_{zone.name}_责任标牌.pdf")


class ZoneCoverageView(LoginRequired, BaseView):
    """全员覆盖、不留空白: the members of one organisation with no duty in any of its zones."""

    @expose("/")
    def index(self):
        orgs, organisation = chosen_org()
        zones, uncovered = coverage(organisation) if organisation else ([], [])
        return self.render("admin/zone_coverage.html", orgs=orgs, organisation=organisation, zones=zones,
                           uncovered=uncovered)
