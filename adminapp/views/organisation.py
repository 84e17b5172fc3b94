"""Organisations: the list, the form and the navigable tree."""
from flask import abort
from flask_admin import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError

from adminapp.views.base import LoginRequired, ScopedModelView
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from adminapp.views.forms import VocabularySelectField
from documents import access
from documents.member import Member
from documents.organisation import LEVELS, forest
from documents.user import User


class OrganisationView(ScopedModelView):
    column_list = ("name", "code", "level", "org_type", "parent", "secretary", "contact")
    column_searchable_list = ("name", "code", "secretary")
    column_default_sort = "code"
    form_columns = ("name", "code", "level", "org_type", "parent", "secretary", "contact")
    form_overrides = {"org_type": VocabularySelectField}
    form_args = {"org_type": {"kind": "org_type"}}
    column_filters = (
        OrgSubtreeFilter("pk", _l("组织（含下级）")),
        ListValueFilter("level", _l("组织层级"), values=LEVELS),
        ListValueFilter("org_type", _l("组织类型"), kind="org_type"),
    )

    def edit_form(self, obj=None):
        if obj is not None and not access.can_edit_org(current_user, obj):
            abort(403)
        return super().edit_form(obj)

    def on_model_change(self, form, model, is_created):
        if current_user.is_admin:
            return
        if model.parent is None:
            raise ValidationError(_("请选择上级组织"), field_name="parent")
        if not access.can_see_org(current_user, model.parent.pk) or \
                (not is_created and not access.can_edit_org(current_user, model)):
            raise ValidationError(_("只能选择您管辖范围内的组织"), field_name="parent")

    def on_model_delete(self, model):
        if not access.can_edit_org(current_user, model):
            raise ValidationError(_("您不能删除本组织"))
        reasons = []
        if type(model).objects(parent=model).first():
            reasons.append(_("还有下级组织"))
        if Member.objects(organisation=model).first():
            reasons.append(_("还有党员"))
        if User.objects(organisation=model).first():
            reasons.append(_("还有账号"))
        if reasons:
            raise ValidationError("、".join(reasons))


class OrgTreeView(LoginRequired, BaseView):
    """组织架构: the tree of the user's organisations with member counts and links."""

    @expose("/")
    def index(self):
        visible = access.visible_org_ids(current_user)
        counts = {row["_id"]: row["n"] for row in Member.objects.aggregate(
            {"$match": {"status": "在册"}}, {"$group": {"_id": "$organisation", "n": {"$sum": 1}}})}
        return self.render("admin/org_tree.html", tree=forest(visible), counts=counts)
