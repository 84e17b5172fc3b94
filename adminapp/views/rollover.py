"""年度结转 (administrators): preview what the next year's working set will be, then create it in a background job."""
from flask import redirect, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import LoginRequired, submission, year_arg
from documents import rollover
from documents.store.claims import form_key, new_nonce, once

PREVIEW_LINES = 100  # carried items listed one by one; a street's thousands are summed up by organisation above them


class RolloverView(AdminOnly, LoginRequired, BaseView):
    @expose("/")
    def index(self):
        year = year_arg()
        latest, _number = rollover.latest_job(year)
        if latest is not None and not latest.finished:
            return self.render("admin/rollover.html", year=year, running=latest, plan=None)
        return self.render("admin/rollover.html", year=year, running=None, plan=rollover.plan(year), nonce=new_nonce(),
                           shown=PREVIEW_LINES)

    @expose("/run/", methods=("POST",))
    def run(self):
        """Start the job, or find the one this form or another administrator already started; show its progress."""
        year = year_arg()
        job_id = once(form_key(current_user.pk, submission(), "rollover", year),
                      lambda: rollover.start_job(current_user, year).id)
        return redirect(url_for("job.details", job_id=job_id))
