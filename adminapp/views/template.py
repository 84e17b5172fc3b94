"""Pledge templates in the admin: the administrator shapes pledges without code."""
import re

from flask import flash, jsonify, request
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from mongoengine.base.document import NON_FIELD_ERRORS
from mongoengine.errors import ValidationError
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView, object_ids
from adminapp.views.filters import ListValueFilter
from adminapp.views.forms import CheckboxesField
from documents.template import CONTROL_TYPES, DEFAULT_SECTIONS, SCOPES, PledgeTemplate, field_key
from documents.template_versions import is_used, save_edit


def _edited():
    """The stored template the editor is open on, or None for a new one."""
    ids = object_ids([request.args.get("id")])
    return PledgeTemplate.objects(pk=ids[0]).first() if ids else None


def _sections():
    """The sections of the template being edited (the default ones for a new template), as a field's choices."""
    template = _edited()
    return [SelectChoice("", "—"), *[SelectChoice(s) for s in (template.sections if template else DEFAULT_SECTIONS)]]


def _controls():
    """The fields a condition may depend on: the template's choice and yes/no fields, by name."""
    template = _edited()
    fields = [f for f in template.ordered_fields() if f.type in CONTROL_TYPES] if template else []
    return [SelectChoice("", _("—（总是显示）")), *[SelectChoice(f.key, f"{f.label}（{f.key}）") for f in fields]]


class SectionField(SelectField):
    """A template field's section, chosen from those the template has (the template's check names an unknown one)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=_sections, validate_choice=False, **kwargs)


class ControlField(SelectField):
    """The other field a template field's display depends on (the template's check refuses a wrong one)."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, choices=_controls, validate_choice=False, **kwargs)


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
            "label", "key", "type", "section", "order", "required", "options_text", "help_text", "max_length",
            "min_value", "max_value", "min_date", "max_date", "default", "retired",
            "show_categories", "show_field", "show_values"),
            "form_overrides": {"section": SectionField, "show_categories": CheckboxesField,
                               "show_field": ControlField},
            "form_args": {"show_categories": {"kind": "member_category"}}}}},
        "item_fields": {"form_subdocuments": {None: {"form_columns": (
            "label", "key", "type", "order", "required", "options_text", "help_text", "max_length",
            "min_value", "max_value", "min_date", "max_date", "default", "retired")}}},
    }
    create_template = "admin/template_create.html"
    edit_template = "admin/template_edit.html"
    can_delete = False

    @expose("/key.json")
    def key_json(self):
        """The field code the editor suggests for a label, in pinyin, unique among the codes already on the page."""
        return jsonify({"key": field_key(request.args.get("label", ""), set(request.args.getlist("taken")))})

    @staticmethod
    def _show_errors(form, exc):
        """Put a field's condition problem beside it in the field list; the field list's own problems above the form."""
        entries = [e for e in form.fields.entries if not form.fields.should_delete(e)]
        errors, rest, placed = dict(exc.errors or {}), {}, False
        whole = errors.pop(NON_FIELD_ERRORS, None)  # what PledgeTemplate.clean found
        if whole is not None:
            errors.update(whole.errors or {"fields": whole})
        for key, err in errors.items():
            place = re.fullmatch(r"fields-(\d+)-(\w+)", key)
            if place and int(place[1]) < len(entries) and place[2] in entries[int(place[1])].form:
                field = entries[int(place[1])].form[place[2]]
                field.errors, placed = [*field.errors, err.message], True
            elif key == "fields":  # a list's own errors have no visible place in Flask-Admin's inline list
                flash(_("保存失败：%(why)s", why=err.message), "error")
            else:
                rest[key] = err
        if placed:
            flash(_("未能保存，请按标红的提示修改后再提交。"), "error")
        if rest or not exc.errors:
            ScopedModelView._show_errors(form, ValidationError(exc.message, errors=rest, field_name=exc.field_name))

    def persist(self, model, expected_version, log):
        used = is_used(model)
        saved = save_edit(model, expected_version, log)
        if used:
            flash(_("该模板已有承诺在使用，已另存为第 %(n)s 版；已有承诺仍按原版本显示和修改。", n=saved.number), "info")
        return saved
