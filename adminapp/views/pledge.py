"""Pledges in the admin: the list, forms built from the template version, details and actions."""
import datetime as dt
import io

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError

from adminapp.views.base import ScopedModelView, object_id_or_404, submission, year_arg
from adminapp.views.filters import ListValueFilter, OrgSubtreeFilter, with_default
from adminapp.views.paging import OrgWalk
from adminapp.views.pledge_form import build_form_class, form_data_of, raw_items, raw_values, show_errors, shown_keys
from documents import access, audit_view, progress, review_hints, rollover, suggestion, summary, window
from documents.base import StaleRecord
from documents.cycle import TRANSITIONS, TransitionRefused, allowed, check, transition_many
from documents.member import PICK_LIMIT, Member, matching
from documents.organisation import Organisation, ref_id
from documents.opinion import Opinion
from documents.pledge import PAGE_ROWS, SEARCHED, State, search_page
from documents.pledging import EDITABLE_STATES, PledgeErrors, save_pledge, template_for
from documents.progress import Attachment, ProgressEntry
from documents.supervision import Rectification, SupervisionRound
from documents.store.claims import form_key, new_nonce, once
from documents.template import ITEM_COLUMNS, parse_date
from documents.vocabulary import Vocabulary
from exporters import archive


class YearFilter(BaseMongoEngineFilter):
    """One year (this year unless the user picks another), or every year when asked for "全部年度"."""

    ALL = "all"

    def __init__(self, column, name):
        this_year = dt.date.today().year
        super().__init__(column, name, options=[(str(y), str(y)) for y in range(this_year + 1, this_year - 5, -1)]
                         + [(self.ALL, _l("全部年度"))])

    def validate(self, value):
        return (value.isascii() and value.isdigit() and len(value) == 4) or value == self.ALL

    def apply(self, query, value):
        return query if value == self.ALL else query.filter(**{self.column: int(value)})

    def operation(self):
        return _l("为")


class OralFilter(BaseMongoEngineFilter):
    def __init__(self):
        super().__init__("oral", _l("承诺方式"), options=[("1", _l("口头承诺")), ("0", _l("书面承诺"))])

    def apply(self, query, value):
        return query.filter(oral=value == "1")

    def operation(self):
        return _l("为")


def pledge_members(user, term, organisation=None):
    """Members a user may record pledges for whose name contains, or ID number ends with, the term; a page at most.

    Those on the rosters of the user's organisations (or of the chosen one) and those reporting to
    its communities. Each query is equalities FerretDB pushes down (a path or a community, and the
    member's search key), never `$in`; rows are not dereferenced (`org_id`, `home_id` are set on each).
    """
    own = Member.objects(org_path=organisation) if organisation else access.scope(Member.objects, user)
    homes = [organisation] if organisation else access.visible_org_ids(user) or ()
    found = matching(own, term)
    for org_id in homes:
        found += matching(Member.objects(residential_org=org_id), term)
    for member in found:
        member.org_id, member.home_id = ref_id(member, "organisation"), ref_id(member, "residential_org")
    return sorted({m.pk: m for m in found}.values(), key=lambda m: m.name)[:PICK_LIMIT]


def pledge_member(user, member_id):
    """One member the user may record a pledge for, or None."""
    member = Member.objects(pk=member_id, status="在册").first()
    if member is None:
        return None
    mine = access.can_see_org(user, ref_id(member, "organisation"))
    return member if mine or access.can_see_org(user, ref_id(member, "residential_org")) else None


def pledge_choices(user, term, organisation=None):
    """(value, label) pairs offered on 创建承诺: a matching member with each organisation whose pledge the user can open."""
    choices = []
    for member in pledge_members(user, term, organisation):
        for org_id in dict.fromkeys(o for o in (member.org_id, member.home_id) if o is not None):
            if access.can_see_org(user, org_id):
                choices.append((f"{member.pk}:{org_id}", _pick_label(member, org_id)))
    return choices


def _member_choices(organisation):
    """The names a template's member field offers: the organisation's own members and those reporting to it."""
    members = [*Member.objects(organisation=organisation).only("name"),
               *Member.objects(residential_org=organisation).only("name")]
    return [(name, name) for name in sorted({m.name for m in members})]


def _pick_label(member, org_id):
    """How a clerk tells two 王芳 apart; a community sees its reporting member without the work unit it cannot open."""
    if org_id != member.org_id:
        return f"{member.name}（{member.masked_id}）" + _(" · 到%(org)s报到的承诺",
                                                          org=ScopedModelView.name_of(Organisation, org_id))
    return member.picker_label + (f"（{'、'.join(member.categories)}）" if member.categories else "")


class PledgeView(ScopedModelView):
    page_size = PAGE_ROWS
    column_list = ("organisation_name", "member_name", "year", "scope", "template_name", "state", "first_item")
    column_labels = {"first_item": _l("第一条承诺事项"), "search_text": _l("承诺内容")}
    column_searchable_list = SEARCHED
    column_formatters = {
        "scope": lambda v, c, m, n: _("党员") if m.scope == "member" else _("党组织"),
        "state": lambda v, c, m, n: m.state_title,
        "first_item": lambda v, c, m, n: (m.first_item[:30] + "…") if len(m.first_item) > 30 else m.first_item,
    }
    column_sortable_list = ("year", "state")
    list_reads = ("items", "slot")  # first_item; the order of a stored page
    column_filters = (
        OrgSubtreeFilter("organisation"),
        YearFilter("year", _l("年度")),
        ListValueFilter("org_type", _l("组织类型"), kind="org_type"),
        ListValueFilter("member_categories", _l("党员类别"), kind="member_category"),
        OralFilter(),
        ListValueFilter("state", _l("状态"), values={s.value: s.title for s in State}),
    )
    details_template = "admin/pledge_details.html"
    list_template = "admin/pledge_list.html"

    def _get_list_filter_args(self):
        """This year's pledges unless the user chose a year (or every year): a clerk's list stays narrow."""
        return with_default(self, super()._get_list_filter_args() or [], YearFilter, str(dt.date.today().year))

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """A search finds candidates in the small search entries (one indexed key), then reads the page's pledges."""
        if not search:
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        _count, query = super().get_list(None, None, False, None, filters, execute=False, page_size=0)
        size = self.page_size if page_size is None else page_size
        return None, search_page(query.order_by(), search, (page or 0) * size, size, self.list_rows)

    def walk(self, root, filters):
        """One organisation at a time, with each one's pledges of the chosen year counted from the read models.

        Within one organisation-year, unfiltered, a page is read by its stored number (documents/pledge.py PAGE_ROWS).
        """
        index = next(i for i, f in enumerate(self._filters) if isinstance(f, YearFilter))
        year = next((v for i, _name, v in filters if i == index), YearFilter.ALL)
        year = None if year == YearFilter.ALL else int(year)
        counted = all(isinstance(self._filters[i], (YearFilter, OrgSubtreeFilter)) for i, _name, _v in filters)
        walk = OrgWalk(root, summary.org_counts(root, year), counted)
        if counted and year is not None and walk.current:
            walk.pages = summary.list_pages(walk.current, year)
        return walk

    def on_model_delete(self, model):
        if model.state not in (State.DRAFT.value, State.RETURNED.value):
            raise ValidationError(_("只有草稿或已退回的承诺可以删除"))

    # -- create: choose whose pledge, then fill in the template's form ----------------------
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        org_id, member_id = request.args.get("organisation"), request.args.get("member")
        if request.args.get("pick") and "find" not in request.args:
            member_id, _sep, org_id = request.args["pick"].partition(":")
        year = year_arg()
        if not org_id:
            orgs = sorted(access.org_queryset(current_user), key=lambda o: o.code)
            term, within = request.args.get("q", ""), self._picked_org()
            return self.render("admin/pledge_choose.html", orgs=orgs, year=year, term=term, within=within,
                               choices=pledge_choices(current_user, term, within) if term.strip() else None,
                               limit=PICK_LIMIT)
        organisation = self._visible_org(org_id)
        member = None
        if member_id:
            member = pledge_member(current_user, object_id_or_404(member_id)) or abort(404)
        template = template_for(organisation, member, year)
        if template is None:
            flash(_("没有适用于“%(t)s”的承诺模板，请联系系统管理员添加。", t=organisation.org_type), "error")
            return redirect(url_for(".create_view"))
        outside = window.outside(organisation.pk, year)
        if outside and not current_user.is_admin:
            flash(window.refusal(outside), "error")
            return redirect(url_for(".index_view"))
        return self._form_page(template, organisation, member, year, None, outside)

    @expose("/members.json")
    def members_json(self):
        """The member picker's matches for what the clerk has typed so far: at most a page, only whom they may pledge for."""
        if not self.can_create:
            abort(403)
        term = request.args.get("q", "")
        choices = pledge_choices(current_user, term, self._picked_org()) if term.strip() else []
        return jsonify({"results": [{"value": v, "label": label} for v, label in choices], "limit": PICK_LIMIT})

    def _picked_org(self):
        """The organisation the picker is narrowed to (?in=), when the user may see it."""
        org_id = request.args.get("in")
        return self._visible_org(org_id).pk if org_id else None

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        pledge = self.get_writable()
        if pledge.state not in EDITABLE_STATES:
            flash(_("该承诺当前状态为“%(s)s”，已锁定，不能修改。", s=pledge.state_title), "error")
            return redirect(url_for(".details_view", id=pledge.pk))
        return self._form_page(pledge.template, pledge.organisation, pledge.member, pledge.year, pledge)

    def _visible_org(self, org_id):
        org = access.org_queryset(current_user).filter(pk=object_id_or_404(org_id)).first()
        return org or abort(404)

    def _form_page(self, template, organisation, member, year, pledge, outside=None):
        form_class = build_form_class(template, lambda: _member_choices(organisation), lambda: [
            (o.name, o.name) for o in access.org_queryset(current_user).only("name")])
        if request.method == "POST":
            form = form_class()
        else:
            form = form_class(data=form_data_of(pledge)) if pledge else form_class()
        categories = member.categories if member else ()
        low, high = template.item_limits(categories)
        if request.method == "POST" and "add_item" in request.form:
            form.items.append_entry()
        elif request.method == "POST" and form.validate():
            try:
                saved_id = once(form_key(current_user.pk, submission(), "pledge"), lambda: str(save_pledge(
                    current_user, organisation=organisation, member=member, year=year,
                    raw_values=raw_values(form, template), raw_items=raw_items(form), oral=form.oral.data,
                    pledge=pledge, outside_reason=request.form.get("outside_reason"),
                    expected_version=form.expected_version.version(pledge.version if pledge else None)).pk))
            except PledgeErrors as exc:
                for message in show_errors(form, exc.errors):
                    flash(message, "error")
                flash(_("未能保存，请按标红的提示修改后再提交。"), "error")
            except StaleRecord:
                flash(_("保存失败：这份承诺在您编辑期间已被他人修改。您填写的内容仍保留在下方，"
                        "请在新窗口打开该承诺核对最新内容后再提交。"), "error")
            else:
                flash(_("已保存：%(p)s", p=str(self.get_one(saved_id))), "success")
                return redirect(url_for(".details_view", id=saved_id))
        while len(form.items.entries) < max(low, 1):
            form.items.append_entry()
        return self.render("admin/pledge_form.html", form=form, tpl=template, organisation=organisation,
                           member=member, year=year, pledge=pledge, low=low, high=high,
                           oral_allowed=bool(member) and template.allows_oral(categories),
                           categories=list(categories), shown=shown_keys(form, template, categories),
                           item_columns=ITEM_COLUMNS, outside=outside)

    # -- details -------------------------------------------------------------------------------
    @expose("/details/")
    def details_view(self):
        return self._details_page(self.get_one(request.args.get("id")))

    def _details_page(self, pledge, typed=None):
        """The pledge's page; `typed` is a refused progress form, shown again as the clerk filled it in."""
        notes = [(r, n) for r in SupervisionRound.objects(notes__pledge=pledge.pk)
                 for n in r.notes if n.pledge and n.pledge.pk == pledge.pk]
        under_review = pledge.state in (State.SUBMITTED.value, State.RETURNED.value)
        return self.render(self.details_template, pledge=pledge, timeline=audit_view.pledge_story(pledge, notes),
                           item_columns=ITEM_COLUMNS, editable=self.can_edit and pledge.state in EDITABLE_STATES,
                           actions=allowed(current_user, pledge),
                           changes=pledge.changes_since_return() if under_review else [],
                           entries=sorted(ProgressEntry.objects(pledge=pledge.pk), key=lambda e: (e.item_index, e.on)),
                           overdue=[i + 1 for i in progress.overdue_items(pledge)],
                           progress_open=self.can_edit and pledge.state in progress.OPEN_STATES,
                           statuses=progress.STATUSES, today=dt.date.today(), notes=notes,
                           rectifications=Rectification.objects(pledge=pledge.pk),
                           opinions=Opinion.objects(pledge=pledge.pk), carried_to=rollover.carried_to(pledge),
                           carried_from=rollover.carried_from(pledge),
                           suggestions=suggestion.open_for(pledge) if pledge.state in EDITABLE_STATES else [],
                           taken=suggestion.taken_into(pledge), typed=typed or {})

    @expose("/progress/", methods=("POST",))
    def progress_view(self):
        """践诺: record one dated progress entry on one item of a published pledge."""
        pledge = self.get_writable()
        upload = request.files.get("attachment")
        try:
            progress.record(current_user, pledge, request.form.get("item", type=int, default=-1),
                            parse_date(request.form.get("on")), request.form.get("status"), request.form.get("percent"),
                            request.form.get("note"),
                            (upload.filename, upload.read()) if upload and upload.filename else None)
        except ValidationError as exc:
            flash(_("进度未登记：%(why)s", why=exc.message), "error")
            return self._details_page(pledge, typed={**request.form.to_dict(), "had_file": bool(upload and upload.filename)})
        else:
            flash(_("已登记进度"), "success")
        return redirect(url_for(".details_view", id=pledge.pk))

    @expose("/pdf/")
    def pdf_view(self):
        pledge = self.get_one(request.args.get("id"))
        return send_file(io.BytesIO(archive.pledge_pdf(pledge)), mimetype="application/pdf",
                         as_attachment=True, download_name=archive.filename(pledge))

    @action("pdf", _l("导出PDF"))
    def action_pdf(self, ids):
        """One letter as PDF; several as a zip of letters, made by a job whose page shows its progress."""
        pledges = self.get_selected(ids)
        if not pledges:
            flash(_("所选的承诺不存在或不在您的管辖范围内，没有可导出的承诺书。"), "error")
            return redirect(url_for(".index_view"))
        if len(pledges) == 1:
            return redirect(url_for(".pdf_view", id=pledges[0].pk))
        job = archive.start_files_job([("letter", p.pk) for p in pledges], _("公开承诺书"), current_user,
                                      ref_id(pledges[0], "organisation"), current_app.config["JOB_DIR"])
        return redirect(url_for("job.details", job_id=job.id))

    @expose("/attachment/<attachment_id>")
    def attachment_view(self, attachment_id):
        found = access.scope(Attachment.objects, current_user).filter(pk=object_id_or_404(attachment_id)).first()
        if found is None:
            abort(404)
        return send_file(io.BytesIO(found.data), mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename)

    @expose("/act/<step_name>/", methods=("GET", "POST"))
    def act_view(self, step_name):
        step = TRANSITIONS.get(step_name) or abort(404)
        pledges = self.get_selected(request.values.getlist("ids"))
        if not pledges:
            abort(404)
        if request.method == "POST":
            form = request.form
            done, refused = transition_many(
                current_user, [p.pk for p in pledges], step_name, nonce=submission(),
                checklist={c: form.get(f"check_{i}") for i, c in enumerate(criteria())},
                guidance=form.get("guidance"), reason=form.get("reason"), note=form.get("note"),
                signed_on=parse_date(form.get("signed_on")), published_on=parse_date(form.get("published_on")),
                publish_days=form.get("publish_days") or 7)
            if done:
                flash(_("%(action)s：成功 %(n)s 份", action=step.title, n=done), "success")
            for label, why in refused:
                flash(_("%(label)s 未能%(action)s：%(why)s", label=label, action=step.title, why=why), "error")
            if refused and len(pledges) == 1:
                return self.render("admin/pledge_act.html", step=step, pledges=pledges, criteria=criteria(),
                                   form=form, checks=_checks(pledges, step), today=dt.date.today(),
                                   nonce=form.get("nonce") or new_nonce(), hints=_hints(pledges, step))
            if len(pledges) == 1:
                return redirect(url_for(".details_view", id=pledges[0].pk))
            return redirect(url_for(".index_view"))
        return self.render("admin/pledge_act.html", step=step, pledges=pledges, criteria=criteria(), form={},
                           checks=_checks(pledges, step), today=dt.date.today(), nonce=new_nonce(),
                           hints=_hints(pledges, step))


def criteria():
    return Vocabulary.labels("review_criterion")


def _hints(pledges, step):
    """The reviewer's hints when one pledge is reviewed: {item index or None: [Hint]}, never a refusal."""
    if len(pledges) != 1 or "checklist" not in step.needs:
        return {}
    found = {}
    for hint in review_hints.hints(pledges[0]):
        found.setdefault(hint.item, []).append(hint)
    return found


def _checks(pledges, step):
    """For the confirmation page: which selected pledges can take the action, and why not."""
    result = []
    for pledge in pledges:
        try:
            check(current_user, pledge, step)
            result.append((pledge, None))
        except TransitionRefused as exc:
            result.append((pledge, str(exc)))
    return result


def _bulk_action(name):
    def handler(self, ids):
        return redirect(url_for(".act_view", step_name=name, ids=list(ids)))
    return action(name, TRANSITIONS[name].title)(handler)


# Every transition is also a bulk action on selected rows, leading to the same confirmation page.
for _name in TRANSITIONS:
    setattr(PledgeView, f"action_{_name}", _bulk_action(_name))
