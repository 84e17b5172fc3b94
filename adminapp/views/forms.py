"""Form pieces shared by the admin views: Flask-WTF CSRF, typed input made ordinary, organisation-scoped drop-downs."""
from bson import ObjectId
from flask_admin.contrib.mongoengine.form import QuerySetSelectField
from flask_admin.contrib.mongoengine.form import CustomModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.form import converts
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from markupsafe import Markup
from mongoengine.errors import DoesNotExist, ValidationError as MongoValidationError
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from documents import access, normalise
from documents.base import StaleRecord
from documents.member import PICK_LIMIT, Member, matching
from documents.vocabulary import Vocabulary


class FlaskWTFCSRF(CSRF):
    """Use Flask-WTF's token in Flask-Admin forms, so CSRFProtect and the forms agree."""

    def generate_csrf_token(self, csrf_token_field):
        return generate_csrf()

    def validate_csrf_token(self, form, field):
        try:
            validate_csrf(field.data)
        except Exception as exc:  # noqa: BLE001 - Flask-WTF raises its own ValidationError
            raise ValidationError(_("页面已失效，请刷新后重新提交")) from exc


class SecureAdminForm(BaseForm):
    class Meta:
        csrf = True
        csrf_class = FlaskWTFCSRF

        def render_field(self, field, render_kw):
            """A plain hidden input written as WTForms would write it, without its general attribute code: a list page
            writes three per row (each row's delete form), a sixth of the organisation list's time."""
            if type(field.widget) is widgets.HiddenInput and render_kw.keys() <= {"value"} and not field.render_kw \
                    and not field.flags.disabled:
                value = render_kw["value"] if "value" in render_kw else field._value()
                if not isinstance(value, bool):
                    return Markup('<input id="{}" name="{}" type="hidden" value="{}">').format(field.id, field.name,
                                                                                               value)
            return super().render_field(field, render_kw)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """Read the form; every one-line text box loses full-width digits and spaces (１３８…, 　马丽　)."""
        super().process(formdata, obj, data, extra_filters, **kwargs)
        if formdata:
            for field in self:
                if type(field) is StringField and isinstance(field.data, str):
                    field.data = normalise.line(field.data)


class PartialDateField(StringField):
    """A date typed as people write it (2026-03-31, 2026年3月31日, 46112); a year and month alone (2001-07) stays so.

    `data` is a normalise.PartialDate; the record keeps the day and lists the field in `month_only`.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"placeholder": _("如 2001-07-01；只知道年月时写 2001-07")})
        super().__init__(label, validators, **kwargs)

    def process_data(self, value):
        """A stored date; the view marks it month-only from its record (a field does not see the record)."""
        self.data = normalise.PartialDate(value, False) if value else None

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None
            self.data = normalise.read_date(valuelist[0], month_allowed=True)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return str(normalise.iso_date(self.data.day, self.data.month_only)) if self.data else ""

    def populate_obj(self, obj, name):
        obj[name] = self.data.day if self.data else None
        obj.month_only = [f for f in obj.month_only if f != name] + ([name] if self.data and self.data.month_only else [])


class VersionField(HiddenField):
    """The version of the record the editor loaded, sent back with the form for the compare-and-set."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else (text or None)

    def version(self, default):
        """The loaded version, `default` if the form sent none; a value no record can have reads as a stale copy."""
        if self.data is None or self.data == "":
            return default
        if not isinstance(self.data, int):
            raise StaleRecord()
        return self.data


class ScopedReferenceField(QuerySetSelectField):
    """A drop-down of records limited to what the current user may see; bad ids are simply invalid.

    `choices_from` replaces the scoping for a reference that points outside the user's own
    organisations by nature, such as an in-service member's residential community. The list
    shows at most CHOICES_SHOWN records (and the current one), sorted by label; any record in
    scope is still accepted when submitted.
    """

    CHOICES_SHOWN = 300

    def __init__(self, label=None, validators=None, document=None, choices_from=None, **kwargs):
        kwargs.pop("queryset", None)
        queryset = choices_from() if choices_from else access.scope(document.objects, current_user)
        super().__init__(label, validators, queryset=queryset, **kwargs)

    def iter_choices(self):
        """Yield Choice objects (WTForms 4.0 drops raw tuples): at most CHOICES_SHOWN, plus the current one."""
        if self.allow_blank:
            yield Choice("__None", self.blank_text, self.data is None, {})
        shown = {obj.pk: obj for obj in self.queryset.clone().limit(self.CHOICES_SHOWN)}
        if self.data is not None and getattr(self.data, "pk", None) is not None:
            shown.setdefault(self.data.pk, self.data)
        for obj in sorted(shown.values(), key=str):
            yield Choice(obj.pk, str(obj), self._is_selected(obj), {})

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", "__None"):
            self.data = None
            return
        try:
            self.data = self.queryset.get(pk=valuelist[0])
        except (DoesNotExist, MongoValidationError):
            self.data = None
            self._invalid_choice = True

    def pre_validate(self, form):
        if getattr(self, "_invalid_choice", False) or (not self.allow_blank and self.data is None):
            raise ValidationError(_("请从列表中选择"))


class ScopedConverter(CustomModelConverter):
    def _convert_choices(self, choices):
        """SelectChoice options for fields declared with choices: WTForms 3.4 drops tuple choices."""
        for choice in choices:
            yield SelectChoice(*choice) if isinstance(choice, tuple) else SelectChoice(choice)

    @converts("ReferenceField")
    def conv_Reference(self, model, field, kwargs):
        kwargs["allow_blank"] = not field.required
        loader = getattr(self.view, "_form_ajax_refs", {}).get(field.name)
        if loader:
            return ScopedAjaxSelectField(loader, **kwargs)
        kwargs["blank_text"] = "—"
        return ScopedReferenceField(document=field.document_type, **kwargs)


class ScopedAjaxSelectField(AjaxSelectField):
    """A searchable picker whose loader is scoped: an id it cannot find is refused, never saved as blank."""

    def pre_validate(self, form):
        if self.data is None and (self._formdata or not self.allow_blank):
            raise ValidationError(_("请从列表中选择"))


class MemberLoader(AjaxModelLoader):
    """A searchable member picker: the user's members whose name contains, or ID number ends with, what was typed."""

    def __init__(self, name):
        super().__init__(name, {"placeholder": _l("输入姓名（或其中几个字），或身份证号后4位")})

    def format(self, model):
        return (str(model.pk), model.picker_label) if model else None

    def get_one(self, pk):
        if not ObjectId.is_valid(str(pk)):
            return None
        return access.scope(Member.objects, current_user).filter(pk=ObjectId(str(pk))).first()

    def get_list(self, query, offset=0, limit=PICK_LIMIT):
        """A page at most, whatever the widget asks for: one indexed equality under the user's scope."""
        return matching(access.scope(Member.objects, current_user), query or "", min(limit or PICK_LIMIT, PICK_LIMIT))


class VocabularySelectField(SelectField):
    """A single choice from one of the administrator's word lists."""

    def __init__(self, label=None, validators=None, kind=None, **kwargs):
        kwargs.pop("coerce", None)
        super().__init__(label, validators, choices=lambda: Vocabulary.labels(kind), **kwargs)


class CheckboxesField(SelectMultipleField):
    """Several choices from one of the administrator's word lists, as tick boxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, kind=None, **kwargs):
        super().__init__(label, validators, choices=lambda: Vocabulary.labels(kind), **kwargs)
