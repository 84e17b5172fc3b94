"""统计页: the lists behind the dashboard's item figures, and the year's figures as a one-page PDF."""
import io

from flask import request, send_file
from flask_admin import BaseView, expose
from flask_login import current_user

from adminapp.views.base import LoginRequired, year_arg
from documents import statistics
from exporters.statistics import statistics_pdf


class StatisticsView(LoginRequired, BaseView):
    """The lists behind the dashboard's item figures, and the figures as a one-page PDF (统计页)."""

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        """The open items overdue (?kind=overdue) or due in the next 30 days (?kind=soon) of a year."""
        kind = "soon" if request.args.get("kind") == "soon" else "overdue"
        year = year_arg()
        return self.render("admin/dashboard_items.html", kind=kind, year=year,
                           items=statistics.items(current_user, year, kind))

    @expose("/pdf/")
    def pdf(self):
        year = year_arg()
        data = statistics_pdf(statistics.figures(current_user, year))
        return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{year}年承诺践诺统计.pdf")
