"""Pledge forms built at run time from a template version (WTForms).

The form only collects text; reading and checking it is the template's job
(TemplateField.parse), so the same rules apply to every way a pledge is entered.
"""
import functools

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, widgets)
from wtforms.fields.choices import SelectChoice

from adminapp.views.forms import VersionField
from documents.normalise import line
from documents.store.claims import new_nonce
from documents.template import ITEM_COLUMNS


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _options(pairs, blank=True):
    """SelectChoice options from (value, label) pairs: WTForms 3.4 drops tuple choices."""
    options = [SelectChoice(value, label) for value, label in pairs]
    return [SelectChoice("", "—"), *options] if blank else options


def _field_for(spec, member_choices, org_choices):
    """One WTForms field for one template field; choices are checked by the template, not here.

    member_choices and org_choices are functions returning (value, label) pairs, called only for such a field.
    """
    kw = {"label": spec.label, "description": spec.help_text or "", "default": spec.default or None}
    kind = spec.type
    if kind == "textarea":
        return TextAreaField(render_kw={"rows": 3}, **kw)
    if kind == "number":
        return StringField(render_kw={"inputmode": "decimal"}, filters=[line], **kw)
    if kind == "date":
        return StringField(render_kw={"type": "date"}, filters=[line], **kw)
    if kind == "bool":
        return BooleanField(**kw)
    if kind == "choice":
        return SelectField(choices=_options((o, o) for o in spec.options), validate_choice=False, **kw)
    if kind == "multi":
        return _Checkboxes(choices=_options(((o, o) for o in spec.options), blank=False), validate_choice=False, **kw)
    if kind == "member":
        return SelectField(choices=_options(member_choices()), validate_choice=False, **kw)
    if kind == "org":
        return SelectField(choices=_options(org_choices()), validate_choice=False, **kw)
    return StringField(render_kw={"maxlength": spec.max_length} if spec.max_length else {}, filters=[line], **kw)


def build_form_class(template, member_choices=tuple, org_choices=tuple):
    """A form class for this template version: v_<key> per live field and a list of items.

    The choices are read once, and only when the template has a member or organisation field (few have; the members
    of a big branch took most of an edit page's 170 ms at street scale).
    """
    member_choices, org_choices = functools.cache(member_choices), functools.cache(org_choices)
    item_attrs = {
        "content": TextAreaField(ITEM_COLUMNS[0][1], render_kw={"rows": 2}),
        "owner": StringField(ITEM_COLUMNS[1][1], filters=[line]),
        "deadline": StringField(ITEM_COLUMNS[2][1], render_kw={"type": "date"}, filters=[line]),
        "expected": StringField(ITEM_COLUMNS[3][1], filters=[line]),
    }
    for spec in template.item_fields:
        if not spec.retired:
            item_attrs[spec.key] = _field_for(spec, member_choices, org_choices)
    item_form = type("PledgeItemForm", (Form,), item_attrs)
    attrs = {f"v_{spec.key}": _field_for(spec, member_choices, org_choices)
             for spec in template.live_fields()}
    attrs["items"] = FieldList(FormField(item_form), min_entries=1)
    attrs["oral"] = BooleanField(_l("口头承诺（本人口述，由录入员代为记录）"))
    attrs["expected_version"] = VersionField()
    attrs["nonce"] = HiddenField(default=new_nonce)
    return type("PledgeForm", (FlaskForm,), attrs)


def raw_values(form, template):
    return {spec.key: form[f"v_{spec.key}"].data for spec in template.live_fields()}


def shown_keys(form, template, categories):
    """Keys of the fields the form shows now: those whose conditions hold for the member and what is filled in."""
    values, _errors = template.parse_values(raw_values(form, template), categories)
    return {spec.key for spec in template.shown_fields(values, categories)}


def raw_items(form):
    return [entry.form.data for entry in form.items.entries]


def form_data_of(pledge):
    """The stored pledge as form data, so an edit form opens filled in."""
    values, items = pledge.content_snapshot()
    data = {f"v_{k}": v for k, v in values.items()}
    data["items"] = items
    data["oral"] = pledge.oral
    data["expected_version"] = pledge.version
    return data


def show_errors(form, errors):
    """Put each problem next to its field; return the ones that belong to no field."""
    loose = []
    for key, message in errors.items():
        if isinstance(key, tuple):
            index, name = key
            if index < len(form.items.entries) and name in form.items.entries[index].form:
                form.items.entries[index].form[name].errors = [message]
                continue
        elif key and f"v_{key}" in form:
            form[f"v_{key}"].errors = [message]
            continue
        elif key == "oral":
            form.oral.errors = [message]
            continue
        loose.append(message)
    return loose
