"""承诺覆盖情况: who has not pledged yet, counted from the summaries and named for one organisation at a time."""
from flask import abort, request
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import ListRow, LoginRequired, object_id_or_404, year_arg
from adminapp.views.filters import orgs_under
from documents import access, summary
from documents.member import Member
from documents.organisation import Organisation, ref_id


class CoverageView(LoginRequired, BaseView):
    @expose("/")
    def index(self):
        root = None if current_user.is_admin else ref_id(current_user, "organisation")
        # The drop-down lists names and codes only (a county holds hundreds of organisations); the chosen one is read by _id.
        orgs = orgs_under(root) if current_user.is_admin or root is not None else []
        org_id = object_id_or_404(request.args["organisation"]) if request.args.get("organisation") else \
            (orgs[0][0] if orgs else None)
        organisation = None
        if org_id is not None:
            if not access.can_see_org(current_user, org_id):
                abort(404)
            organisation = Organisation.objects(pk=org_id).order_by().no_dereference().first() or abort(404)
        year = year_arg()
        rows = summary.coverage(organisation.pk, year) if organisation else []
        members = [ListRow(Member, m) for m in summary.unpledged_members(organisation.pk, year)] if organisation else []
        return self.render("admin/pledge_coverage.html", orgs=orgs, organisation=organisation, year=year, rows=rows,
                           members=members, missing_orgs=[r for r in rows if not r.org_pledged])
