"""Log in and out, with a lock after repeated failures, and CSRF on every POST."""
from bson import ObjectId
from bson.errors import InvalidId
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from documents.user import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[InputRequired(message=_l("请输入用户名"))])
    password = PasswordField(_l("密码"), validators=[InputRequired(message=_l("请输入密码"))])


@login_manager.user_loader
def load_user(user_id):
    try:
        user = User.objects(pk=ObjectId(user_id)).first()
    except (InvalidId, TypeError):
        return None
    return user if user and user.is_active else None


def _safe_next(target):
    """Follow ?next= only to a path on this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("admin.index")


def authenticate(username, password):
    """Return (user, message): the user on success, else None and why, in Chinese."""
    cfg = current_app.config
    user = User.objects(username=username.strip()).first()
    if user is None or not user.is_active:
        return None, _("用户名或密码错误")
    if user.is_locked():
        return None, _("登录失败次数过多，账户已暂时锁定，请 %(n)s 分钟后再试", n=cfg["LOGIN_LOCK_MINUTES"])
    if not user.check_password(password):
        if user.record_failure(cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"]):
            return None, _("登录失败次数过多，账户已暂时锁定，请 %(n)s 分钟后再试", n=cfg["LOGIN_LOCK_MINUTES"])
        return None, _("用户名或密码错误")
    user.record_success()
    return user, None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user, problem = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(problem, "error")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" or form.errors else 401


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


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
