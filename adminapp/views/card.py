"""岗位先进性创建卡 in the admin: one member's three cards of a year, and printing them."""
import io

from flask import request, send_file
from flask_admin import expose

from adminapp.views.activity import TemplateFieldsMixin, scheme_args
from adminapp.views.base import ScopedModelView
from adminapp.views.filters import OrgSubtreeFilter
from exporters.plaques import cards_pdf


class MemberCardView(TemplateFieldsMixin, ScopedModelView):
    column_list = ("organisation_name", "member_name", "year", "posted_on", "grade")
    column_filters = (OrgSubtreeFilter("organisation"),)
    column_searchable_list = ("member_name", "fixed")
    form_columns = ("organisation", "member", "year", "scheme", "proposed", "proposed_on", "public_views", "fixed",
                    "fixed_on", "posted_on", "records", "self_view", "public_view", "org_view", "grade", "evaluated_on")
    column_details_list = ("organisation_name", "member_name", "year", "proposed", "proposed_on", "public_views",
                           "fixed", "fixed_on", "posted_on", "records", "self_view", "public_view", "org_view", "grade",
                           "evaluated_on")
    details_template = "admin/card_details.html"
    scheme_kinds = ("card",)
    form_args = scheme_args(scheme_kinds)
    can_delete = False

    @expose("/print/")
    def print_view(self):
        card = self.get_one(request.args.get("id"))
        return send_file(io.BytesIO(cards_pdf(card)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{card.organisation.code}_{card.member.name}_{card.year}_创建卡.pdf")
