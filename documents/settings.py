"""System settings an administrator edits in 系统管理 instead of in the server's environment."""
import ipaddress
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from mongoengine import StringField
from mongoengine.errors import ValidationError

from documents import audit
from documents.base import VersionedDocument

KEY = "site"


class SiteSettings(VersionedDocument):
    """The one record of system-wide settings, found by its fixed key."""

    key = StringField(required=True, unique=True, default=KEY)
    public_base_url = StringField(max_length=200, verbose_name=_l("公开访问地址"))

    meta = {"collection": "site_settings", "indexes": ["key"]}

    def __str__(self):
        return "系统设置"

    def clean(self):
        """Keep an address a phone can open: http(s), a host, no path, query or trailing slash."""
        value = (self.public_base_url or "").strip().rstrip("/")
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment \
                    or parts.path or parts.username:
                message = "请填写以 http:// 或 https:// 开头的网站地址，如 https://dangjian.example.cn"
                raise ValidationError(message, errors={"public_base_url": ValidationError(message)})
        self.public_base_url = value or None


def current():
    """The settings record, or an unsaved one with nothing set."""
    return SiteSettings.objects(key=KEY).order_by().first() or SiteSettings()


def set_public_base_url(actor, value, expected_version):
    """Store the address QR codes open, with its audit entry; raises ValidationError or StaleRecord."""
    settings = current()
    before = audit.snapshot(settings) if settings.pk else {}
    settings.public_base_url = value
    return settings.save_checked(expected_version or 0, lambda doc: audit.entry(
        actor, "修改系统设置", doc, before, audit.snapshot(doc), summary=f"公开访问地址：{doc.public_base_url or '（未设置）'}"))


def public_base_url(default):
    """The address QR codes and ballot slips open: the administrator's setting, else `default`."""
    return (current().public_base_url or default).rstrip("/")


def is_loopback(url):
    """True when `url` names this machine only (127.0.0.1, localhost, ::1): a phone scanning the code cannot reach it."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
