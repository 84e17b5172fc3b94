"""Log in and out, with limits on failed attempts, sessions that end, and CSRF on every POST."""
import datetime as dt

from bson import ObjectId
from bson.errors import InvalidId
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from mongoengine.errors import ValidationError
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from documents import user as accounts
from documents.base import StaleRecord
from documents.user import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[InputRequired(message=_l("请输入用户名"))])
    password = PasswordField(_l("密码"), validators=[InputRequired(message=_l("请输入密码"))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[InputRequired(message=_l("请输入当前密码"))])
    new = PasswordField(_l("新密码"), validators=[InputRequired(message=_l("请输入新密码")),
                                                 Length(min=8, max=128, message=_l("密码至少8位"))])
    confirm = PasswordField(_l("再次输入新密码"), validators=[EqualTo("new", message=_l("两次输入的新密码不一致"))])


@login_manager.user_loader
def load_user(session_id):
    """Load the account of a session whose generation is still the account's current one."""
    pk, _sep, generation = str(session_id).partition(":")
    try:
        user = User.objects(pk=ObjectId(pk)).first()
    except (InvalidId, TypeError):
        return None
    if user is None or not user.is_active or generation != str(user.session_generation or 0):
        return None
    return user


def _safe_next(target):
    """Follow ?next= only to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def authenticate(username, password, address):
    """Return (user, message): the user on success, else None and why, in Chinese.

    Unknown, inactive and real accounts get the same message after the same work (a hash check),
    and attempts are limited per account and address and per address (see begin_attempt).
    """
    cfg = current_app.config
    username = username.strip()
    attempt, over = accounts.begin_attempt(username, address or "-", cfg["LOGIN_MAX_FAILURES"],
                                           cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                                           dt.timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]))
    if over:
        return None, _("登录失败次数过多，已暂时锁定，请 %(n)s 分钟后再试", n=cfg["LOGIN_LOCK_MINUTES"])
    user = User.objects(username=username).first()
    if not accounts.check_password_of(user, password):
        return None, _("用户名或密码错误")
    accounts.attempt_succeeded(attempt)
    user.logged_in()
    return user, None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user, problem = authenticate(form.username.data, form.password.data, request.remote_addr)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(problem, "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" or form.errors else 401


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        current_user.logged_out()
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session of the account ends, this one goes on."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.new.data)
        except ValidationError as exc:
            form.current.errors = [exc.message]
        except StaleRecord:
            flash(_("账号刚被其他人修改，请重新提交"), "error")
        else:
            login_user(User.objects(pk=current_user.pk).first())
            flash(_("密码已修改，其他设备上的登录已退出"), "success")
            return redirect(url_for("admin.index"))
    return render_template("auth/password.html", form=form)


def init_auth(app):
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("请先登录")
    login_manager.login_message_category = "info"
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_template("errors/message.html", title=_("页面已失效"),
                               message=_("表单的安全校验未通过（页面可能已过期）。请返回上一页，刷新后再提交。")), 400
