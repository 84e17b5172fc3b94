"""年度结转 (administrators): work out a preview of the next year's working set, then create it, each in a job."""
from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import LoginRequired, submission, year_arg
from documents import jobs, rollover
from documents.store.claims import form_key, new_nonce, once


class RolloverView(AdminOnly, LoginRequired, BaseView):
    @expose("/")
    def index(self):
        """The year to roll over; a running rollover; or a finished preview (?preview=its job) with the confirm form."""
        year = year_arg()
        latest, _number = rollover.latest_job(year)
        running = latest if latest is not None and not latest.finished else None
        preview = None
        if request.args.get("preview") and not running:
            preview = jobs.load(request.args["preview"])
            if preview is None or preview.kind != "rollover_preview" or preview.params["year"] != year:
                abort(404)
        return self.render("admin/rollover.html", year=year, running=running, nonce=new_nonce(),
                           preview=preview.result if preview is not None and preview.state == jobs.DONE else None)

    @expose("/preview/", methods=("POST",))
    def preview(self):
        """Start the preview's job (a second click of the same form finds it) and show its progress."""
        year = request.form.get("year", type=int)
        year = year if year is not None and 2000 <= year <= 2100 else year_arg()
        job_id = once(form_key(current_user.pk, submission(), "rollover-preview", year),
                      lambda: rollover.start_preview(current_user, year, new_nonce()).id)
        return redirect(url_for("job.details", job_id=job_id))

    @expose("/run/", methods=("POST",))
    def run(self):
        """Start the job, or find the one this form or another administrator already started; show its progress."""
        year = year_arg()
        job_id = once(form_key(current_user.pk, submission(), "rollover", year),
                      lambda: rollover.start_job(current_user, year).id)
        return redirect(url_for("job.details", job_id=job_id))
