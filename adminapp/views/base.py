"""The one base view that scopes every path of a Flask-Admin model view to the user's organisations.

Flask-Admin scopes list, export and the built-in actions through get_query(); this class also
covers get_one (direct URLs answer 404), relation drop-downs (ScopedReferenceField), filters'
options, text search (FerretDB-safe regex), the GridFS file API and ajax endpoints (closed),
and re-asserts the owner organisation on create and edit. It also owns the compare-and-set
save and the audit entry of every change made through the admin.

Lists send only what FerretDB pushes down: one `org_path` equality for the scope (or for the
chosen "organisation and below" filter instead of it), no count, no per-row look-ups (rows are
not dereferenced; lists show the names copied onto each record).
"""
import datetime as dt
import hashlib
from collections import OrderedDict

from bson import ObjectId
from bson.errors import InvalidId
from flask import abort, flash, g, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_admin.contrib.mongoengine import ModelView
from flask_admin.actions import action
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine.errors import ValidationError as MongoValidationError
from wtforms import HiddenField

from adminapp.views.dashboard import chart_context, dashboard_context
from adminapp.views.filters import OrgSubtreeFilter
from adminapp.views.forms import ScopedConverter, SecureAdminForm, VersionField
from documents import access, audit, audit_view, search, summary
from documents.base import StaleRecord
from documents.store.claims import form_key, new_nonce, once
from documents.organisation import ref_id

COPIED = ("organisation_name", "member_name", "template_name", "pledge_label", "scheme_name")


def submission():
    """The posted form's nonce joined to a digest of what it says: the same form sent again, not an edited resend."""
    nonce = request.form.get("nonce")
    if not nonce:
        return None
    content = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
    return f"{nonce}-{hashlib.sha256(repr(content).encode()).hexdigest()[:16]}"


def object_id_or_404(value):
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        abort(404)


def year_arg():
    """The ?year= of the request when it is a plausible year, else this year."""
    year = request.args.get("year", type=int)
    return year if year is not None and 2000 <= year <= 2100 else dt.date.today().year


def object_ids(values):
    """The ObjectIds among ids sent by a browser (bulk actions, ?ids=); anything else is dropped."""
    return [ObjectId(v) for v in values if isinstance(v, str) and ObjectId.is_valid(v)]


class ListRow:
    """One record of a list page as stored: its fields read as attributes, its document's properties computed on them.

    Building the page's documents costs more than drawing them; a row is only shown, never saved. A field the record
    does not hold reads as None, as on a document; embedded records (a pledge's items) are rows of their own class.
    """

    __slots__ = ("_document", "_raw")

    def __init__(self, document, raw):
        self._document, self._raw = document, raw

    @property
    def pk(self):
        return self._raw.get("_id")

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        field = self._document._fields.get(name)
        if name in self._raw:
            value = self._raw[name]
            embedded = getattr(getattr(field, "field", None), "document_type", None)
            if embedded is not None and isinstance(value, list):
                return [ListRow(embedded, v) for v in value]
            return value if field is None or isinstance(value, (list, dict)) else field.to_python(value)
        found = getattr(self._document, name, None)
        return found.fget(self) if isinstance(found, property) else None


class LoginRequired:
    """Mixin: anonymous users go to the login page, others without the role get 403."""

    allowed_roles = ("admin", "reviewer", "clerk")

    def is_accessible(self):
        return current_user.is_authenticated and current_user.role in self.allowed_roles

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class ScopedModelView(LoginRequired, ModelView):
    form_base_class = SecureAdminForm
    model_form_converter = ScopedConverter
    form_excluded_columns = ("version", "created_at", "updated_at", "ancestors", "org_path", *COPIED)
    column_exclude_list = ("version", "created_at", "updated_at", "ancestors", "org_path")
    column_details_exclude_list = ("version", "ancestors", "org_path", *COPIED)
    simple_list_pager = True
    sort_unfiltered = False  # small collections (word lists, organisations) may always be sorted
    can_view_details = True
    details_modal = False
    page_size = 50
    column_display_pk = False
    write_roles = ("admin", "clerk")
    details_template = "admin/details_timeline.html"
    list_reads = None  # fields a list row reads besides its columns (a property's sources); None: rows are documents

    def __init__(self, model, *args, **kwargs):
        """Label columns with the documents' Chinese verbose names unless a view says otherwise."""
        labels = {name: field.verbose_name for name, field in model._fields.items()
                  if getattr(field, "verbose_name", None)}
        self.column_labels = {**labels, **(self.column_labels or {})}
        super().__init__(model, *args, **kwargs)

    def search_placeholder(self):
        names = [str(self.column_labels.get(f, f)) for f in self.column_searchable_list or ()]
        return _("搜索：%(fields)s", fields="、".join(names))

    # -- what the user may see --------------------------------------------------------------
    def get_query(self):
        return access.scope(self.model.objects, current_user)

    def get_one(self, id):
        obj = self.get_query().filter(pk=object_id_or_404(id)).first()
        if obj is None:
            abort(404)
        return obj

    def get_writable(self):
        """The record named by ?id= for a change: 404 outside the user's scope, 403 for a role that only reads."""
        obj = self.get_one(request.args.get("id"))
        if not self.can_edit:
            abort(403)
        return obj

    def get_selected(self, ids):
        """The selected rows the user may see, each fetched by its id (FerretDB never pushes down `_id $in`)."""
        found = (self.get_query().filter(pk=pk).first() for pk in dict.fromkeys(object_ids(ids)))
        return [obj for obj in found if obj is not None]

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's list query in shapes FerretDB pushes down; rows are not dereferenced.

        A view with a walk pages through one organisation at a time (adminapp/views/paging.py);
        a search and an export (no page size) still cover the whole scope.
        """
        filters = list(filters or ())
        subtree = [(i, v) for i, _name, v in filters if isinstance(self._filters[i], OrgSubtreeFilter)]
        query = self.get_query()
        root = None if current_user.is_admin else ref_id(current_user, "organisation")
        visible = current_user.is_admin or root is not None
        if subtree:
            # The chosen organisation replaces the user's scope: one path equality, not two.
            root = ObjectId(subtree[-1][1])
            visible = access.can_see_org(current_user, root)
            query = self.model.objects(org_path=root) if visible else query.none()
        page_size = self.page_size if page_size is None else page_size
        walk = g.list_walk = self.walk(root, filters) if page_size and visible and not search else None
        for index, _name, value in filters:
            flt = self._filters[index]
            if not isinstance(flt, OrgSubtreeFilter):
                query = flt.apply(query, flt.clean(value))
        if self._search_supported and search:
            query = self._search(query, search)
        if walk is not None:
            query = walk.narrow(query)
        count = None if self.simple_list_pager else query.count()
        if walk is not None and walk.pages is not None and not sort_column:
            return count, walk.stored_page(query.no_dereference(), page or 0, self.list_rows)
        narrow = walk or subtree or filters or search or not current_user.is_admin or self.sort_unfiltered
        if sort_column:
            query = query.order_by(("-" if sort_desc else "") + sort_column)
        elif self._get_default_order() and narrow:  # FerretDB sorts everything that matched: never a whole collection
            query = query.order_by(*[("-" if desc else "") + column for column, desc in self._get_default_order()])
        if page_size:
            query = query.limit(page_size)
        if page and page_size:
            query = query.skip(page * page_size)
        query = query.no_dereference()
        if not execute:
            return count, query
        return count, (self.list_rows(query) if page_size else query.all())

    def list_rows(self, query):
        """A page's records: ListRows of the listed fields when the view says what else its rows read, else documents."""
        if self.list_reads is None:
            return list(query)
        names = [c for c, _label in self._list_columns if c in self.model._fields] + list(self.list_reads)
        return [ListRow(self.model, raw) for raw in query.only(*names).as_pymongo()]

    def walk(self, root, filters):
        """Where a page of this list lies (an OrgWalk), or None for lists small enough to read whole."""
        return None

    def walk_url(self, key):
        """This list with the same filters and search, at another organisation, from its first page."""
        args = {k: v for k, v in request.args.items() if k != "page"}
        args[g.list_walk.param] = key
        return self.get_url(".index_view", **args)

    def render(self, template, **kwargs):
        kwargs.setdefault("walk", g.get("list_walk"))
        return super().render(template, **kwargs)

    @staticmethod
    def name_of(document, pk):
        """A referenced record's label, loaded once per request by `_id` equality (for small collections)."""
        names = g.setdefault("_names", {})
        if pk is not None and (document, pk) not in names:
            found = document.objects(pk=pk).no_dereference().first()
            names[(document, pk)] = str(found) if found else ""
        return names.get((document, pk), "")

    def _get_list_extra_args(self):
        """Ignore a page number no list can have (negative or beyond what the database can skip)."""
        args = super()._get_list_extra_args()
        if args.page is not None and not 0 <= args.page <= 100000:
            args.page = 0
        return args

    def _search(self, query, search_term):
        names = [f if isinstance(f, str) else f.name for f in self.column_searchable_list]
        return query.filter(search.any_contains(names, search_term))

    def _get_filter_groups(self):
        """Build filter options per request, so drop-downs list only the user's own organisations."""
        if not self._filters:
            return None
        groups = OrderedDict()
        for i, flt in enumerate(self._filters):
            options = flt.get_options(self) or None
            groups.setdefault(str(flt.name), []).append({
                "index": i, "arg": self.get_filter_arg(i, flt), "operation": str(flt.operation()),
                "options": [(k, str(v)) for k, v in options] if options else None, "type": flt.data_type,
            })
        return groups

    @expose("/api/file/")
    def api_file_view(self):
        abort(404)

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        """Only the scoped loaders a view declares (forms.MemberLoader) answer; Flask-Admin's own read every document."""
        if request.args.get("name") not in (self._form_ajax_refs or {}):
            abort(404)
        return super().ajax_lookup()

    @expose("/ajax/update/", methods=("POST",))
    def ajax_update(self):
        abort(404)

    # -- what the user may change -----------------------------------------------------------
    @property
    def can_create(self):
        return current_user.is_authenticated and current_user.role in self.write_roles

    @property
    def can_edit(self):
        return current_user.is_authenticated and current_user.role in self.write_roles

    @property
    def can_delete(self):
        return current_user.is_authenticated and current_user.role in self.write_roles

    def check_owner(self, model):
        """Refuse a record whose owner organisation lies outside the user's organisations."""
        field = access.SCOPE_FIELDS.get(self.model.__name__)
        if field and field != "pk":
            owner = getattr(model, field)
            if owner is None or not access.can_see_org(current_user, owner.pk):
                raise MongoValidationError(_("只能选择您管辖范围内的组织"), field_name=field)

    def on_model_change(self, form, model, is_created):
        self.check_owner(model)

    def scaffold_form(self):
        form_class = super().scaffold_form()
        form_class.expected_version = VersionField()
        form_class.nonce = HiddenField(default=new_nonce)
        return form_class

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if request.method == "GET" and obj is not None:
            form.expected_version.data = obj.version
        return form

    def _save(self, form, model, is_created):
        """Save the form once: a second identical submit (double click) finds the first one's record."""
        try:
            pk = once(form_key(current_user.pk, submission(), self.endpoint),
                      lambda: str(self._store(form, model, is_created).pk))
        except StaleRecord:
            flash(_("保存失败：这条记录在您编辑期间已被他人修改。您填写的内容仍保留在下方，"
                    "请在新窗口打开该记录核对最新内容后再提交。"), "error")
            return False
        except MongoValidationError as exc:
            self._show_errors(form, exc)
            return False
        return model if str(model.pk) == pk else self.get_one(pk)

    def _store(self, form, model, is_created):
        """Populate the record from the form and store it with its audit entry and the view's follow-up."""
        before = {} if is_created else audit.snapshot(model)
        for name, field in form._fields.items():
            if name not in ("expected_version", "nonce"):
                field.populate_obj(model, name)
        self._on_model_change(form, model, is_created)

        def log(doc):
            return audit.entry(current_user, "新建" if is_created else "修改", doc, before, audit.snapshot(doc),
                               organisation_id=self._owner_id(doc))

        model = self.persist(model, None if is_created else form.expected_version.version(model.version or 0), log)
        summary.touched(model, before)
        self.after_model_change(form, model, is_created)
        return model

    def persist(self, model, expected_version, log):
        """Store the populated record with a compare-and-set; views with their own rule override this."""
        model.save_checked(expected_version, log)
        return model

    def create_model(self, form):
        return self._save(form, self.model(), True)

    def update_model(self, form, model):
        return bool(self._save(form, model, False))

    def delete_model(self, model):
        try:
            if hasattr(model, "check_writable"):
                model.check_writable()
            self.on_model_delete(model)
            before = audit.snapshot(model)
            model.delete_checked(lambda doc: audit.entry(current_user, "删除", doc, before, {},
                                                         organisation_id=self._owner_id(doc)))
            summary.touched(model)
        except MongoValidationError as exc:
            flash(_("不能删除 %(name)s：%(why)s", name=str(model), why=exc.message), "error")
            return False
        except StaleRecord:
            flash(_("不能删除 %(name)s：它刚被其他人修改过，请刷新后再试", name=str(model)), "error")
            return False
        return True

    @action("delete", _l("删除"), _l("确定删除所选记录吗？删除后不能恢复。"))
    def action_delete(self, ids):
        """Delete the selected rows that the user may see (MongoEngine's in_bulk ignores filters)."""
        count = sum(bool(self.delete_model(obj)) for obj in self.get_selected(ids))
        flash(_("已删除 %(n)s 条记录", n=count), "success")

    @staticmethod
    def timeline(model):
        """The audit entries of a record as sentences, for its details page."""
        return audit_view.timeline(model)

    def _owner_id(self, model):
        field = access.SCOPE_FIELDS.get(self.model.__name__)
        if field == "pk":
            return model.pk
        return ref_id(model, field) if field else None

    @staticmethod
    def _show_errors(form, exc):
        """Put MongoEngine's validation messages next to their fields, or on top if there is none."""
        items = []
        for key, err in (exc.errors or {}).items():
            items.append((getattr(err, "field_name", None) or key, getattr(err, "message", str(err))))
        if not items:
            items.append((exc.field_name, exc.message))
        for name, message in items:
            field = form._fields.get(name)
            if field is not None:
                field.errors = list(field.errors) + [message]
            else:
                flash(_("保存失败：%(why)s", why=message), "error")


class HomeView(LoginRequired, AdminIndexView):
    @expose("/")
    def index(self):
        return self.render("admin/home.html", **dashboard_context(current_user), **chart_context(current_user, year_arg()))
