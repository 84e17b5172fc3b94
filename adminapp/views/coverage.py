"""承诺覆盖情况: who has not pledged yet, counted from the summaries and named for one organisation at a time."""
from flask import abort, request
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404, year_arg
from documents import access, summary


class CoverageView(LoginRequired, BaseView):
    @expose("/")
    def index(self):
        orgs = access.org_queryset(current_user).order_by("code")
        org_id = request.args.get("organisation")
        organisation = (orgs.filter(pk=object_id_or_404(org_id)).first() or abort(404)) if org_id else orgs.first()
        year = year_arg()
        rows = summary.coverage(organisation.pk, year) if organisation else []
        members = summary.unpledged_members(organisation.pk, year) if organisation else []
        return self.render("admin/pledge_coverage.html", orgs=orgs, organisation=organisation, year=year, rows=rows,
                           members=members, missing_orgs=[r for r in rows if not r.org_pledged])
