"""What the activity views share: the schemes' admin page, the template fields of a record's form, operations."""
from flask import abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from mongoengine.errors import ValidationError

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView, object_id_or_404, submission
from adminapp.views.pledge_form import _field_for
from documents import access
from documents.activity import KINDS, PERIODS, ActivityScheme
from documents.organisation import ref_id
from documents.base import StaleRecord
from documents.store.claims import form_key, once
from documents.template import categories_of


class ActivitySchemeView(AdminOnly, ScopedModelView):
    column_list = ("name", "kind", "period", "pass_score", "reward_after", "reward", "active")
    column_formatters = {"kind": lambda v, c, m, n: KINDS[m.kind], "period": lambda v, c, m, n: PERIODS[m.period]}
    form_columns = ("name", "kind", "standards", "criteria", "raters", "period", "pass_score", "reward_after", "reward",
                    "max_stars", "on_fail", "publication_days", "veto_grounds", "plaque_title", "plaque_text",
                    "form_template", "active")
    can_delete = False


def schemes_of(kinds):
    """The active schemes of these kinds, by name."""
    return sorted((s for s in ActivityScheme.objects(active=True) if s.kind in kinds), key=lambda s: s.name)


def scheme_args(kinds):
    """form_args that offer only the schemes of these kinds in a record's scheme drop-down."""
    return {"scheme": {"choices_from": lambda: ActivityScheme.objects(kind__in=list(kinds))}}


def raw_scores(form, scheme):
    """{(rater, criterion label): text} from an assessment form's score_<rater>_<criterion index> inputs."""
    return {(r.rater, c.label): form.get(f"score_{r.rater}_{i}") for r in scheme.raters
            for i, c in enumerate(scheme.criteria)}


def chosen_org():
    """(organisations the user sees by code, the one named by ?org= or else the user's own); 404 for any other."""
    orgs = sorted(access.org_queryset(current_user).only("name", "code"), key=lambda o: o.code)
    chosen = request.args.get("org")
    if chosen:
        pk = object_id_or_404(chosen)
        return orgs, next((o for o in orgs if o.pk == pk), None) or abort(404)
    own = ref_id(current_user, "organisation")
    return orgs, next((o for o in orgs if o.pk == own), orgs[0] if orgs else None)


def act(record, label, run, back):
    """Run one operation once per submitted form, report its outcome in Chinese and go back to the record."""
    try:
        once(form_key(current_user.pk, submission(), label, record.pk), lambda: run() and None)
    except ValidationError as exc:
        flash(_("%(what)s未完成：%(why)s", what=label, why=exc.message), "error")
    except StaleRecord:
        flash(_("%(what)s未完成：这条记录刚被其他人修改过，请刷新后再试", what=label), "error")
    else:
        flash(_("%(what)s已完成", what=label), "success")
    return redirect(back)


class TemplateFieldsMixin:
    """A record's form with the typed fields (v_<key>) of its scheme's template, read by the template engine."""

    scheme_kinds = ()
    create_template = "admin/activity_create.html"

    def create_form(self, obj=None):
        return self._with_template(super().create_form(obj), obj)

    def edit_form(self, obj=None):
        return self._with_template(super().edit_form(obj), obj)

    def _with_template(self, form, obj):
        """Add the fields of the record's template, or of its scheme's (for a new record the chosen, else first)."""
        scheme = obj.scheme if obj is not None else self._chosen_scheme()
        if obj is None and scheme is not None and request.method == "GET":
            form.scheme.data = scheme
        self.fit_form(form, scheme)
        template = obj.template if obj is not None and obj.template else scheme.template() if scheme else None
        for spec in template.live_fields() if template is not None else ():
            field = _field_for(spec, (), ()).bind(form, f"v_{spec.key}")
            field.process(request.form if request.method == "POST" else None,
                          (obj.values.get(spec.key) if obj is not None else None) or spec.default)
            form._fields[f"v_{spec.key}"] = field
        return form

    def _chosen_scheme(self):
        """The scheme a new record's form is for: the posted one, or ?scheme= (the form reloads on a change)."""
        schemes = schemes_of(self.scheme_kinds)
        chosen = request.form.get("scheme") if request.method == "POST" else request.args.get("scheme")
        return next((s for s in schemes if str(s.pk) == chosen), schemes[0] if schemes else None)

    def fit_form(self, form, scheme):
        """Adapt the generated form to the scheme in use; views whose fields depend on it override this."""

    def on_model_change(self, form, model, is_created):
        """Check the template fields with the template's own rules and keep their values on the record."""
        super().on_model_change(form, model, is_created)
        template = model.template or (model.scheme.template() if model.scheme else None)
        if template is None:
            return
        raw = {key[2:]: field.data for key, field in form._fields.items() if key.startswith("v_")}
        values, errors = template.parse_values(raw, categories_of(model))
        if errors:
            raise ValidationError(_("请更正标出的字段"), errors={f"v_{k}": ValidationError(m, field_name=f"v_{k}")
                                                             for k, m in errors.items()})
        model.template, model.values = template, template.merged_values(model.values, values)
