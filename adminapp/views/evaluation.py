"""评诺 in the admin: rounds, score entry from paper, ballot slips with QR codes, results."""
import io

import qrcode
import qrcode.image.svg
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from mongoengine.errors import ValidationError

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView, submission
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.pledge import YearFilter
from adminapp.views.settings import base_url, loopback_warning
from documents import audit
from documents.base import StaleRecord
from documents.store.claims import new_nonce
from documents.evaluation import PERIODS, RATER_TYPES, issue_ballots, members_of, record_scores, results


def qr_svg(url):
    """An inline SVG QR code for a URL the app itself built."""
    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    return Markup(out.getvalue().decode("utf-8").split("?>", 1)[-1])


class EvaluationSchemeView(AdminOnly, ScopedModelView):
    column_list = ("name", "weight_self", "weight_peer", "weight_org", "weight_public", "top_cap")
    form_columns = ("name", "bands", "weight_self", "weight_peer", "weight_org", "weight_public", "top_cap")
    can_delete = False


class EvaluationRoundView(ScopedModelView):
    column_list = ("organisation_name", "year", "period", "scheme_name", "published")
    column_filters = (OrgSubtreeFilter("organisation"), YearFilter("year", _l("年度")),
                      ListValueFilter("period", _l("类型"), values=PERIODS))
    form_columns = ("organisation", "year", "period", "scheme")
    details_template = "admin/evaluation_details.html"

    @expose("/details/")
    def details_view(self):
        round_ = self.get_one(request.args.get("id"))
        return self.render(self.details_template, round=round_, results=results(round_), rater_types=RATER_TYPES,
                           members=members_of(round_), nonce=new_nonce())

    @expose("/scores/", methods=("POST",))
    def scores_view(self):
        round_ = self.get_writable()
        scores = {k[6:]: v for k, v in request.form.items() if k.startswith("score_")}
        try:
            n = record_scores(current_user, round_, request.form.get("rater_type"), request.form.get("rater"), scores,
                              nonce=submission())
        except ValidationError as exc:
            flash(_("评分未保存：%(why)s", why=exc.message), "error")
        else:
            flash(_("已录入 %(n)s 个分数", n=n), "success")
        return redirect(url_for(".details_view", id=round_.pk))

    @expose("/ballots/", methods=("POST",))
    def ballots_view(self):
        round_ = self.get_writable()
        try:
            tokens = issue_ballots(current_user, round_, request.form.get("count", type=int, default=0),
                                   request.form.get("days", type=int, default=7), nonce=submission())
        except ValidationError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for(".details_view", id=round_.pk))
        slips = [(t, f"{base_url()}{url_for('public.ballot', token=t.token)}") for t in tokens]
        return self.render("admin/ballot_slips.html", round=round_, slips=[(t, u, qr_svg(u)) for t, u in slips],
                           warning=loopback_warning())

    @expose("/publish/", methods=("POST",))
    def publish_view(self):
        round_ = self.get_writable()
        if not round_.published:
            before = audit.snapshot(round_)
            round_.published = True
            try:
                round_.save_checked(round_.version, lambda doc: audit.entry(current_user, "公布评诺结果", doc, before,
                                                                            audit.snapshot(doc)))
            except StaleRecord:
                flash(_("评诺结果未能公布：这次评诺刚被其他人修改过，请刷新后再试"), "error")
                return redirect(url_for(".details_view", id=round_.pk))
        flash(_("评诺结果已在组织内公布"), "success")
        return redirect(url_for(".details_view", id=round_.pk))
