"""Background jobs: the progress page, its JSON poll, an archive's download, and starting a year's archive."""
import datetime as dt
import uuid
from pathlib import Path

from flask import abort, current_app, jsonify, redirect, request, send_file, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404
from adminapp.views.dashboard import list_url
from adminapp.views.settings import base_url
from documents import access, jobs
from documents.organisation import Organisation
from exporters import archive


def visible_job_or_404(job_id):
    """The job, resumed if its process died, when the user started it, it belongs to their organisations or the user
    is an administrator (another's rollover belongs to no organisation); else 404."""
    job = jobs.load(job_id)
    if job is None or not (job.owner == current_user.pk or current_user.is_admin
                           or access.can_see_org(current_user, job.organisation)):
        abort(404)
    return jobs.resume_if_stalled(job)


class JobView(LoginRequired, BaseView):
    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        """The user's own recent jobs, newest first."""
        mine = sorted(jobs.Job.objects(owner=current_user.pk), key=lambda j: j.created_at, reverse=True)[:20]
        return self.render("admin/job_list.html", jobs=mine)

    @expose("/<job_id>/")
    def details(self, job_id):
        job = visible_job_or_404(job_id)
        return self.render("admin/job.html", job=job, back=_back_link(job))

    @expose("/<job_id>/status.json")
    def status(self, job_id):
        return jsonify(visible_job_or_404(job_id).as_json())

    @expose("/<job_id>/download")
    def download(self, job_id):
        job = visible_job_or_404(job_id)
        path = Path(job.result.get("path", ""))
        if job.state != jobs.DONE or not path.is_file():
            abort(404)
        return send_file(path, mimetype=job.result.get("mimetype", "application/zip"), as_attachment=True,
                         download_name=job.result["filename"])

    @expose("/archive/", methods=("POST",))
    def start_archive(self):
        """Start a year's archive of a visible organisation; the form's key makes a second click find the same job."""
        organisation = Organisation.objects(pk=object_id_or_404(request.form.get("id"))).order_by().first()
        if organisation is None or not access.can_see_org(current_user, organisation.pk):
            abort(404)
        year = request.form.get("year", type=int) or dt.date.today().year
        key = request.form.get("key") or uuid.uuid4().hex
        job = archive.start_archive_job(organisation, year, base_url(), current_user, key[:40],
                                        current_app.config["JOB_DIR"])
        return redirect(url_for(".details", job_id=job.id))


def _back_link(job):
    if job.kind == "check":
        return url_for("member.import_preview", batch_id=job.params["batch"])
    if job.kind == "import":
        return url_for("member.index_view")
    if job.kind == "files" and job.params["tasks"][0]["task"][0] == "letter":
        return url_for("pledge.index_view")
    if job.kind == "rollover_preview":
        return url_for("rollover.index", year=job.params["year"], preview=job.id)
    if job.kind == "rollover":
        return list_url("pledge", year=str(job.params["year"] + 1), state="draft")
    return url_for("organisation.details_view", id=job.organisation)
