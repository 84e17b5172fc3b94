"""Administrator-only views: accounts and word lists."""
import datetime as dt

from flask import current_app, flash, g
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError
from wtforms import PasswordField
from wtforms.validators import Length, Optional

from adminapp.views.base import ScopedModelView
from adminapp.views.filters import ListValueFilter
from documents import audit
from documents.user import Role, locked_out_usernames, unlock
from documents.vocabulary import KINDS


class AdminOnly:
    allowed_roles = ("admin",)
    write_roles = ("admin",)


def _locked(user):
    """Whether an account is locked out; a page reads the attempts once for all the accounts it lists."""
    if "locked_out" not in g:
        cfg = current_app.config
        g.locked_out = locked_out_usernames(cfg["LOGIN_MAX_FAILURES"], dt.timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]))
    return user.username in g.locked_out


class UserView(AdminOnly, ScopedModelView):
    column_list = ("username", "display_name", "role", "organisation_name", "active", "login_lock", "last_login_at")
    column_labels = {"organisation_name": _l("所属组织"), "login_lock": _l("登录锁定")}
    column_searchable_list = ("username", "display_name")
    column_formatters = {"role": lambda v, c, m, n: m.role_title,
                         "login_lock": lambda v, c, m, n: _("已锁定") if _locked(m) else ""}
    column_details_exclude_list = ("password_hash", "version", "session_generation")
    form_columns = ("username", "display_name", "role", "organisation", "active", "new_password")
    form_extra_fields = {
        "new_password": PasswordField(_l("新密码"), validators=[Optional(), Length(min=8, message=_l("密码至少8位"))],
                                      description=_l("新建账号时必填；修改时留空表示不改密码")),
    }
    column_filters = (ListValueFilter("role", _l("角色"), values=[r.value for r in Role]),)

    def on_model_change(self, form, model, is_created):
        password = form.new_password.data
        if password:
            model.set_password(password)
        elif is_created:
            raise ValidationError(_("新建账号须设置密码"), field_name="new_password")
        if model.role != Role.ADMIN.value and model.organisation is None:
            raise ValidationError(_("审核人和录入员必须指定所属组织"), field_name="organisation")
        if not model.active:
            model.end_sessions()

    def on_model_delete(self, model):
        if model.pk == current_user.pk:
            raise ValidationError(_("不能删除自己的账号"))

    @action("unlock", _l("解除锁定"), _l("确定解除所选账号的登录锁定吗？"))
    def action_unlock(self, ids):
        count = 0
        for user in self.get_selected(ids):
            unlock(user.username)
            audit.record(current_user, "解除锁定", user, {}, {}, summary=_("解除 %(u)s 的登录锁定", u=user.username))
            count += 1
        flash(_("已解除 %(n)s 个账号的锁定", n=count), "success")


class VocabularyView(AdminOnly, ScopedModelView):
    column_list = ("kind", "label", "order", "active")
    column_formatters = {"kind": lambda v, c, m, n: KINDS.get(m.kind, m.kind)}
    column_filters = (ListValueFilter("kind", _l("类别"), values=list(KINDS)),)
    column_default_sort = [("kind", False), ("order", False)]
    sort_unfiltered = True
    form_columns = ("kind", "label", "order", "active")
    can_delete = False
    column_description = {"active": _l("停用后新录入时不再出现，已有记录保持不变")}
