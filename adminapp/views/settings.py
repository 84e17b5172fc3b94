"""系统设置: the public address that QR codes, ballot slips and 承诺卡 open, set by an administrator."""
from flask import current_app, flash, has_request_context, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from mongoengine.errors import ValidationError

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import LoginRequired
from documents import audit_view, settings
from documents.base import StaleRecord


def base_url():
    """Where printed QR codes point: the administrator's setting, else PUBLIC_BASE_URL, else this request's address."""
    default = current_app.config.get("PUBLIC_BASE_URL") or (
        request.host_url if has_request_context() else "http://127.0.0.1:5000")
    return settings.public_base_url(default)


def loopback_warning():
    """The warning shown where codes are printed while they point at this machine only, else None."""
    url = base_url()
    if not settings.is_loopback(url):
        return None
    return _("二维码指向 %(url)s，这是服务器本机的地址，群众的手机扫码打不开。请管理员在“系统管理 → 系统设置”中填写"
             "群众能访问的网址后再打印。", url=url)


class SettingsView(AdminOnly, LoginRequired, BaseView):
    """One page, one form: the public address, with the history of its changes."""

    @expose("/", methods=("GET", "POST"))
    def index(self):
        record = settings.current()
        if request.method == "POST":
            value = request.form.get("public_base_url", "")
            try:
                settings.set_public_base_url(current_user, value, request.form.get("version"))
            except ValidationError as exc:
                flash(_("未保存：%(why)s", why=exc.message), "error")
                return self.render("admin/settings.html", record=record, value=value, warning=None,
                                   history=audit_view.timeline(record) if record.pk else [])
            except StaleRecord:
                flash(_("未保存：系统设置刚被其他人修改过，请查看后再改"), "error")
            else:
                flash(_("已保存系统设置"), "success")
            return redirect(url_for(".index"))
        return self.render("admin/settings.html", record=record, value=record.public_base_url or "",
                           warning=loopback_warning(), history=audit_view.timeline(record) if record.pk else [])
