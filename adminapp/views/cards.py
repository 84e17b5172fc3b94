"""承诺卡: print one member's card from the pledge, or the cards of a whole branch, badge or A6."""
import io

from flask import abort, request, send_file
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404, year_arg
from adminapp.views.settings import base_url
from documents import access
from documents.board import PUBLIC_STATES, members_published
from documents.member import Member
from documents.organisation import Organisation, ref_id
from documents.pledge import Pledge
from exporters import cards


def _size():
    size = request.args.get("size", "badge")
    if size not in cards.SIZES:
        abort(404)
    return size


def _pdf(data, name):
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name)


class CardView(LoginRequired, BaseView):
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
        size = _size()
        data = cards.cards_pdf([(pledge, member)], pledge.organisation, base_url(), size)
        return _pdf(data, f"{pledge.organisation.code}_{member.name}_{pledge.year}_承诺卡.pdf")

    @expose("/organisation/")
    def organisation(self):
        """The cards of every member of a visible organisation whose pledge of the year is published."""
        organisation = Organisation.objects(pk=object_id_or_404(request.args.get("id"))).order_by().first()
        if organisation is None or not access.can_see_org(current_user, organisation.pk):
            abort(404)
        size, year = _size(), year_arg()
        data = cards.cards_pdf(members_published(organisation, year), organisation, base_url(), size)
        return _pdf(data, f"{organisation.code}_{year}_承诺卡_{cards.SIZES[size]['title']}.pdf")
