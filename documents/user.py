"""Accounts: who may log in, with which role, for which organisation."""
import datetime as dt
import enum

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from mongoengine import BooleanField, DateTimeField, IntField, ReferenceField, StringField
from werkzeug.security import check_password_hash, generate_password_hash

from documents.base import VersionedDocument, now
from documents.organisation import OrgOwned


class Role(str, enum.Enum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    CLERK = "clerk"

    @property
    def title(self):
        return ROLE_TITLES[self]


ROLE_TITLES = {Role.ADMIN: _l("系统管理员"), Role.REVIEWER: _l("审核人"), Role.CLERK: _l("录入员")}


class User(UserMixin, OrgOwned, VersionedDocument):
    username = StringField(required=True, max_length=40, verbose_name=_l("用户名"))
    display_name = StringField(max_length=40, verbose_name=_l("姓名"))
    password_hash = StringField(required=True)
    role = StringField(required=True, choices=[(r.value, ROLE_TITLES[r]) for r in Role], verbose_name=_l("角色"))
    organisation = ReferenceField("Organisation", verbose_name=_l("所属组织"))
    active = BooleanField(default=True, verbose_name=_l("启用"))
    failed_logins = IntField(default=0, verbose_name=_l("连续登录失败次数"))
    locked_until = DateTimeField(verbose_name=_l("锁定至"))
    last_login_at = DateTimeField(verbose_name=_l("最近登录"))

    meta = {"collection": "user", "indexes": [{"fields": ["username"], "unique": True}, "org_path"]}

    def __str__(self):
        return self.display_name or self.username

    @property
    def is_active(self):
        return bool(self.active)

    @property
    def is_admin(self):
        return self.role == Role.ADMIN.value

    @property
    def role_title(self):
        return ROLE_TITLES[Role(self.role)]

    def set_password(self, password):
        """Hash with the app's PASSWORD_HASH_METHOD: scrypt in production, a cheap pbkdf2 under TestConfig."""
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def is_locked(self, at=None):
        return self.locked_until is not None and self.locked_until > (at or now())

    def record_failure(self, max_failures, lock_minutes):
        """Count a failed login atomically; lock the account once the limit is reached."""
        updated = User.objects(pk=self.pk).modify(inc__failed_logins=1, new=True)
        if updated and updated.failed_logins >= max_failures:
            until = now() + dt.timedelta(minutes=lock_minutes)
            User.objects(pk=self.pk).update_one(set__locked_until=until, set__failed_logins=0)
            return until
        return None

    def record_success(self):
        User.objects(pk=self.pk).update_one(set__failed_logins=0, unset__locked_until=1, set__last_login_at=now())
