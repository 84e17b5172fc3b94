"""催办清单 and 我的提醒: the chase list of one organisation (page, PDF, .xlsx) and the user's notices."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404, year_arg
from documents import access, chasing, notices
from documents.organisation import ref_id
from exporters import spreadsheet
from exporters.chase import chase_pdf, chase_xlsx


class ChaseView(LoginRequired, BaseView):
    """What to chase in one organisation and those below it, grouped by the person to phone."""

    def _organisation(self):
        orgs = access.org_queryset(current_user).order_by("code")
        org_id = request.args.get("organisation")
        if org_id:
            return orgs, orgs.filter(pk=object_id_or_404(org_id)).first() or abort(404)
        own = ref_id(current_user, "organisation")
        return orgs, (orgs.filter(pk=own).first() if own else None) or orgs.first()

    @expose("/")
    def index(self):
        orgs, organisation = self._organisation()
        year = year_arg()
        dues = chasing.chase(organisation.pk, year) if organisation else []
        return self.render("admin/chase.html", orgs=orgs, organisation=organisation, year=year,
                           groups=chasing.groups(dues), counts=chasing.counts(dues), buckets=chasing.BUCKETS,
                           kinds=chasing.KINDS,
                           sent=notices.of_organisation(organisation.pk) if organisation else [])

    @expose("/export/<ext>")
    def export(self, ext):
        _orgs, organisation = self._organisation()
        if organisation is None or ext not in ("pdf", "xlsx"):
            abort(404)
        year = year_arg()
        dues = chasing.chase(organisation.pk, year)
        if ext == "pdf":
            data, mime = chase_pdf(organisation, year, dues), "application/pdf"
        else:
            data, mime = chase_xlsx(dues), spreadsheet.XLSX_MIME
        return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                         download_name=f"{organisation.code}_{year}_催办清单.{ext}")


class NoticeView(LoginRequired, BaseView):
    """我的提醒: the notices sent to this user; opening one records when it was read."""

    @expose("/")
    def index(self):
        return self.render("admin/notices.html", notices=notices.mine(current_user))

    @expose("/read/<notice_id>", methods=("POST",))
    def read(self, notice_id):
        notice = notices.mark_read(current_user, notice_id) or abort(404)
        if notice.pledge and request.form.get("open"):
            return redirect(url_for("pledge.details_view", id=notice.pledge))
        flash(_("已标为已读"), "success")
        return redirect(url_for(".index"))
