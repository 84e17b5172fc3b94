"""承诺卡: one member's card from the pledge, or the cards of a whole branch as a job, badge or A6."""
import datetime as dt
import io
import uuid

from flask import abort, current_app, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404
from adminapp.views.settings import base_url
from documents import access
from documents.board import PUBLIC_STATES
from documents.member import Member
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge
from exporters import pledge_cards


class PledgeCardView(LoginRequired, BaseView):
    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        """The card of one published member pledge the user may see."""
        pledge = access.scope(Pledge.objects, current_user).filter(
            pk=object_id_or_404(request.args.get("id"))).order_by().first()
        if pledge is None or pledge.scope != "member" or pledge.state not in PUBLIC_STATES:
            abort(404)
        member = Member.objects(pk=ref_id(pledge, "member")).order_by().first()
        size = request.args.get("size", "badge")
        if size not in pledge_cards.SIZES:
            abort(404)
        data = pledge_cards.cards_pdf([(pledge, member)], pledge.organisation, base_url(), size)
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{pledge.organisation.code}_{member.name}_{pledge.year}_承诺卡.pdf")

    @expose("/organisation/", methods=("POST",))
    def organisation(self):
        """Start printing the cards of every member of a visible organisation whose pledge of the year is published."""
        organisation = Organisation.objects(pk=object_id_or_404(request.form.get("id"))).order_by().first()
        if organisation is None or not access.can_see_org(current_user, organisation.pk):
            abort(404)
        size = request.form.get("size", "badge")
        if size not in pledge_cards.SIZES:
            abort(404)
        year = request.form.get("year", type=int) or dt.date.today().year
        job = pledge_cards.start_cards_job(organisation, year, size, base_url(), current_user,
                                    request.form.get("key") or uuid.uuid4().hex, current_app.config["JOB_DIR"])
        return redirect(url_for("job.details", job_id=job.id))
