"""党员示范岗 and 星级党员示范岗 in the admin: posts, confirmation or approval, assessment, veto, plaque, rewards.

Each page loads the post through the scoped query (other organisations' posts answer 404) and
calls one operation of documents/modelpost.py; the post's own form adds the typed fields of
its scheme's template (the pledge-template engine) to the generated form.
"""
import datetime as dt
import io

from flask import abort, g, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectMultipleField, widgets
from wtforms.validators import StopValidation
from wtforms.fields.choices import Choice, SelectChoice

from adminapp.views.activity import TemplateFieldsMixin, act, chosen_org, raw_scores, scheme_args
from adminapp.views.base import ScopedModelView, object_ids, year_arg
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter
from documents import access
from documents.activity import KINDS, ON_FAIL, RATERS, ActivityScheme
from documents.member import Member
from documents.organisation import ref_id
from documents.modelpost import (CONFIRM_METHODS, STATES, approve, assess, assessments_of, awards_of, can_approve,
                                 confirm, is_above, reward_list, set_photo, star_state, veto, year_end)
from documents.progress import ATTACHMENT_MAX
from documents.store.claims import new_nonce
from documents.template import parse_date
from exporters.plaques import award_list_pdf, plaque_pdf


class ScopedMembersField(SelectMultipleField):
    """Several members the current user may see, as tick boxes; ids outside the scope are refused."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()
    CHOICES_SHOWN = 300

    def __init__(self, label=None, validators=None, **kwargs):
        for unused in ("document_type", "queryset", "allow_blank", "blank_text"):
            kwargs.pop(unused, None)
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)

    def _queryset(self):
        return access.scope(Member.objects, current_user).filter(status="在册")

    def iter_choices(self):
        chosen = {m.pk for m in self.data or ()}
        shown = {m.pk: m for m in self._queryset().only("name", "organisation_name").limit(self.CHOICES_SHOWN)}
        for member in self.data or ():
            shown.setdefault(member.pk, member)
        for member in sorted(shown.values(), key=lambda m: (m.organisation_name or "", m.name)):
            yield Choice(str(member.pk), f"{member.name}（{member.organisation_name}）", member.pk in chosen, {})

    def process_data(self, value):
        self.data = list(value or [])

    def process_formdata(self, valuelist):
        ids = object_ids(valuelist)
        found = [self._queryset().filter(pk=pk).first() for pk in dict.fromkeys(ids)]
        self._invalid = len(ids) != len(valuelist) or any(m is None for m in found)
        self.data = [m for m in found if m is not None]

    def pre_validate(self, form):
        if getattr(self, "_invalid", False):
            raise StopValidation(_("请从列表中选择"))


class StandardsField(SelectMultipleField):
    """The standards of the post's scheme as tick boxes (set by ModelPostView.fit_form); the post checks them."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs):
        for unused in ("field_class", "min_entries"):
            kwargs.pop(unused, None)
        super().__init__(label, validators, choices=[], validate_choice=False, **kwargs)


def _stars(view, context, model, name):
    """A list row's stars; rows are not dereferenced, so the scheme is loaded once per request."""
    if model.kind != "starpost" or model.state != "confirmed":
        return ""
    schemes = g.setdefault("_activity_schemes", {})
    key = ref_id(model, "scheme")
    if key not in schemes:
        schemes[key] = ActivityScheme.objects(pk=key).first()
    stars, down = star_state(model, scheme=schemes[key])
    return _("已摘牌") if down else "★" * stars + "☆" * (schemes[key].max_stars - stars)


class ModelPostView(TemplateFieldsMixin, ScopedModelView):
    column_list = ("kind", "title", "member_names", "organisation_name", "state", "confirmed_on", "stars")
    column_labels = {"stars": _l("星级")}
    column_formatters = {"kind": lambda v, c, m, n: KINDS[m.kind], "state": lambda v, c, m, n: m.state_title,
                         "member_names": lambda v, c, m, n: "、".join(m.member_names), "stars": _stars}
    column_filters = (OrgSubtreeFilter("organisation"),
                      ListValueFilter("state", _l("状态"), values=list(STATES)),
                      ListValueFilter("kind", _l("类别"), values=list(KINDS)))
    column_searchable_list = ("title", "motto")
    form_columns = ("organisation", "scheme", "title", "collective", "members", "motto", "standards_met")
    form_overrides = {"members": ScopedMembersField, "standards_met": StandardsField}
    column_details_list = ("scheme",)
    details_template = "admin/modelpost_details.html"
    scheme_kinds = ("modelpost", "starpost")
    form_args = scheme_args(scheme_kinds)
    can_delete = False

    def fit_form(self, form, scheme):
        """Offer the standards of the post's own scheme only."""
        form.standards_met.choices = [SelectChoice(s, s) for s in scheme.standards] if scheme else []

    # -- one post and its life cycle -------------------------------------------------------------
    @expose("/details/")
    def details_view(self):
        post = self.get_one(request.args.get("id"))
        stars, down = star_state(post) if post.kind == "starpost" else (None, False)
        return self.render(self.details_template, model=post, post=post, assessments=assessments_of(post),
                           stars=stars, taken_down=down, raters=RATERS, methods=CONFIRM_METHODS, nonce=new_nonce(),
                           today=dt.date.today(), form_template=post.template, on_fail=ON_FAIL,
                           may_approve=can_approve(current_user, post), details_columns=self._details_columns,
                           get_value=self.get_detail_value, return_url=url_for(".index_view"))

    def _act(self, post, label, run):
        return act(post, label, run, url_for(".details_view", id=post.pk))

    @expose("/confirm/", methods=("POST",))
    def confirm_view(self):
        post = self.get_writable()
        form = request.form
        return self._act(post, _("确认授牌"), lambda: confirm(
            current_user, post, parse_date(form.get("on", "")), votes_for=form.get("votes_for"),
            votes_cast=form.get("votes_cast"), minute=form.get("minute", "")))

    @expose("/approve/", methods=("POST",))
    def approve_view(self):
        post = self.get_one(request.args.get("id"))
        if current_user.role not in ("admin", "clerk", "reviewer"):
            abort(403)
        return self._act(post, _("批复"), lambda: approve(current_user, post, parse_date(request.form.get("on", "")),
                                                         request.form.get("note", "")))

    @expose("/assess/", methods=("POST",))
    def assess_view(self):
        post = self.get_writable()
        form = request.form
        raw = raw_scores(form, post.scheme)
        day = parse_date(form.get("assessed_on", "")) or dt.date.today()
        return self._act(post, _("考评"), lambda: assess(
            current_user, post, form.get("year", type=int) or day.year, form.get("number", type=int) or
            post.scheme.period_of(day), day, raw, form.get("problems", ""),
            parse_date(form.get("rectify_by", ""))))

    @expose("/veto/", methods=("POST",))
    def veto_view(self):
        post = self.get_writable()
        form = request.form
        return self._act(post, _("一票否决"), lambda: veto(current_user, post, form.get("ground"),
                                                       parse_date(form.get("on", "")), form.get("decided_by", "")))

    @expose("/photo/", methods=("POST",))
    def photo_view(self):
        post = self.get_writable()
        upload = request.files.get("photo")
        data = upload.read(ATTACHMENT_MAX + 1) if upload else b""
        return self._act(post, _("上传照片"), lambda: set_photo(current_user, post, upload and upload.filename, data))

    @expose("/plaque/")
    def plaque_view(self):
        post = self.get_one(request.args.get("id"))
        return send_file(io.BytesIO(plaque_pdf(post)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{post.organisation.code}_{post.title}_标牌.pdf")

    @expose("/rewards/")
    def rewards_view(self):
        """The reward list of a year: posts with the scheme's number of consecutive passed periods."""
        year = year_arg()
        posts = self.get_query().filter(kind="modelpost", state="confirmed")
        return self.render("admin/modelpost_rewards.html", year=year, rows=reward_list(posts, year))

    @expose("/awards/")
    def awards_view(self):
        """年终授牌命名 of star posts for one organisation and year: who was named, who is re-assessed at year end."""
        year = year_arg()
        orgs, organisation = chosen_org()
        awarded, reassess = awards_of(organisation, year) if organisation else ([], [])
        today = dt.date.today()
        return self.render("admin/star_awards.html", year=year, orgs=orgs, organisation=organisation, awarded=awarded,
                           reassess=reassess, nonce=new_nonce(), may_award=organisation and is_above(current_user,
                                                                                                  organisation.pk),
                           default_on=today if today.year == year else dt.date(year, 12, 31))

    @expose("/awards/", methods=("POST",))
    def award_view(self):
        year = year_arg()
        organisation = chosen_org()[1] or abort(404)
        back = url_for(".awards_view", org=organisation.pk, year=year)
        return act(organisation, _("年终授牌命名"), lambda: year_end(
            current_user, organisation, year, parse_date(request.form.get("on", ""))), back)

    @expose("/awards/pdf/")
    def awards_pdf_view(self):
        year = year_arg()
        organisation = chosen_org()[1] or abort(404)
        return send_file(io.BytesIO(award_list_pdf(organisation, year)), mimetype="application/pdf",
                         as_attachment=True, download_name=f"{organisation.code}_{year}年星级党员示范岗授牌名单.pdf")
