"""Accounts: who may log in, with which role, for which organisation; login attempts kept as inserts."""
import collections
import enum
import functools

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from mongoengine import BooleanField, DateTimeField, Document, IntField, ReferenceField, StringField, ValidationError
from werkzeug.security import check_password_hash, generate_password_hash

from documents import audit
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
    # Part of every session's id: raising it ends every session of the account.
    session_generation = IntField(default=0)
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

    def get_id(self):
        """The session's user id carries the generation, so a raised generation ends old sessions."""
        return f"{self.pk}:{self.session_generation or 0}"

    def end_sessions(self):
        """Make every existing session of this account invalid when this record is saved."""
        self.session_generation = (self.session_generation or 0) + 1

    def set_password(self, password):
        """Hash with the app's PASSWORD_HASH_METHOD: scrypt in production, a cheap pbkdf2 under TestConfig."""
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.end_sessions()

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def logged_in(self):
        User.objects(pk=self.pk).update_one(set__last_login_at=now())

    def logged_out(self):
        """End every session of the account: a copied cookie stops working too."""
        User.objects(pk=self.pk).update_one(inc__session_generation=1)


@functools.lru_cache(maxsize=2)
def _dummy_hash(method):
    return generate_password_hash("not-a-password-of-anyone", method=method)


def check_password_of(user, password):
    """Check a password; with no usable account hash a dummy, so unknown names take as long as real ones."""
    if user is None or not user.is_active:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password or "")
        return False
    return user.check_password(password or "")


class LoginAttempt(Document):
    """One login attempt, inserted before the password is checked and deleted when it succeeds.

    A counter made of inserts: FerretDB loses concurrent $inc updates, inserts are never lost,
    and an attempt counted before its check bounds parallel guessing to the limit.
    """
    username = StringField(required=True)
    address = StringField(required=True)
    at = DateTimeField(default=now)
    meta = {"collection": "login_attempt", "indexes": ["username", "address"]}


def _recent(attempts, since):
    """The attempts within the window; older ones are deleted on the way (by _id, which is cheap)."""
    kept = []
    for attempt in attempts:
        if attempt.at >= since:
            kept.append(attempt)
        else:
            attempt.delete()
    return kept


def begin_attempt(username, address, per_account, per_address, window):
    """Insert an attempt; return (attempt, None), or (None, "account"/"address") when over a limit.

    Counts use only equality filters (pushed down on FerretDB) and the window is applied here:
    per account *and address*, so a lockout from one address leaves the owner free elsewhere, and
    per address across accounts, so one address cannot spray passwords over many names. Refused
    attempts stay counted: hammering keeps the lock on.
    """
    attempt = LoginAttempt(username=username, address=address).save()
    since = attempt.at - window
    if len(_recent(LoginAttempt.objects(username=username, address=address).only("at"), since)) > per_account:
        return None, "account"
    if len(_recent(LoginAttempt.objects(address=address).only("at"), since)) > per_address:
        return None, "address"
    return attempt, None


def attempt_succeeded(attempt):
    """A right password clears that address's failures on that account."""
    for old in LoginAttempt.objects(username=attempt.username, address=attempt.address).only("id"):
        old.delete()


def _locked_out(attempts, per_account, window):
    """The user names among these attempts on which some address has used up its attempts within the window."""
    counts = collections.Counter((a.username, a.address) for a in _recent(attempts, now() - window))
    return {username for (username, _address), n in counts.items() if n >= per_account}


def is_locked_out(username, per_account, window):
    """True if some address has used up its attempts on this account within the window."""
    attempts = LoginAttempt.objects(username=username).only("username", "at", "address")
    return username in _locked_out(attempts, per_account, window)


def locked_out_usernames(per_account, window):
    """Every locked-out account from one read of the recent attempts (the account list asked once per row)."""
    return _locked_out(LoginAttempt.objects.only("username", "at", "address"), per_account, window)


def unlock(username):
    """Forget every failed attempt on an account (the administrator's 解除锁定)."""
    for old in LoginAttempt.objects(username=username).only("id"):
        old.delete()


def change_password(user, current, new):
    """Change one's own password after checking the current one; this ends the account's other sessions."""
    if not user.check_password(current or ""):
        raise ValidationError("当前密码不正确", field_name="current")
    before = audit.snapshot(user)
    user.set_password(new)
    user.save_checked(user.version)
    audit.record(user, "修改密码", user, before, audit.snapshot(user))
