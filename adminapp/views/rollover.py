"""年度结转 (administrators): preview what the next year's working set will be, then create it."""
from flask import flash, redirect, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import LoginRequired, submission, year_arg
from documents import rollover
from documents.store.claims import form_key, new_nonce, once


class RolloverView(AdminOnly, LoginRequired, BaseView):
    @expose("/")
    def index(self):
        year = year_arg()
        return self.render("admin/rollover.html", year=year, plan=rollover.plan(year), nonce=new_nonce())

    @expose("/run/", methods=("POST",))
    def run(self):
        year = year_arg()
        summary_text = once(form_key(current_user.pk, submission(), "rollover", year), lambda: _done(year))
        flash(summary_text, "success")
        return redirect(url_for(".index", year=year))


def _done(year):
    done = rollover.run(current_user, year)
    return _("已结转到%(y)s年：延用模板 %(t)s 个，复制期限和时间 %(s)s 条，未完成事项 %(i)s 条",
             y=year + 1, t=len(done.templates), s=len(done.settings), i=len(done.carried_lines()))
