"""Pledge templates in the admin: the administrator shapes pledges without code."""
from flask import flash
from flask_babel import gettext as _, lazy_gettext as _l

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView
from adminapp.views.filters import ListValueFilter
from adminapp.views.forms import CheckboxesField
from documents.template import SCOPES
from documents.template_versions import is_used, save_edit


class TemplateView(AdminOnly, ScopedModelView):
    column_list = ("name", "scope", "org_types", "member_categories", "years", "number", "current", "active")
    column_formatters = {
        "scope": lambda v, c, m, n: SCOPES[m.scope],
        "org_types": lambda v, c, m, n: "、".join(m.org_types),
        "member_categories": lambda v, c, m, n: "、".join(m.member_categories) or _("全部"),
        "years": lambda v, c, m, n: "、".join(map(str, m.years)) or _("每年"),
    }
    column_searchable_list = ("name",)
    column_filters = (ListValueFilter("current", _l("当前版本"), values=[True, False]),
                      ListValueFilter("org_types", _l("适用组织类型"), kind="org_type"))
    form_columns = ("name", "scope", "org_types", "member_categories", "years", "sections", "fields",
                    "item_fields", "item_rules", "oral_categories", "active")
    form_overrides = {"org_types": CheckboxesField, "member_categories": CheckboxesField,
                      "oral_categories": CheckboxesField}
    form_args = {"org_types": {"kind": "org_type"}, "member_categories": {"kind": "member_category"},
                 "oral_categories": {"kind": "member_category"}}
    form_subdocuments = {
        "fields": {"form_subdocuments": {None: {"form_columns": (
            "key", "label", "type", "section", "order", "required", "options_text", "help_text", "max_length",
            "min_value", "max_value", "min_date", "max_date", "default", "retired")}}},
    }
    can_delete = False

    def persist(self, model, expected_version, log):
        used = is_used(model)
        saved = save_edit(model, expected_version, log)
        if used:
            flash(_("该模板已有承诺在使用，已另存为第 %(n)s 版；已有承诺仍按原版本显示和修改。", n=saved.number), "info")
        return saved
