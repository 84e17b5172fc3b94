"""The audit log for administrators: entries as sentences, filters kept in the URL, the filtered view as .xlsx."""
import datetime as dt
import io
import re

from flask import g, render_template, send_file
from flask_admin import expose
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from adminapp.views.accounts import AdminOnly
from adminapp.views.base import ScopedModelView
from adminapp.views.filters import ListValueFilter, RequestOptionsFilter, with_default
from documents import audit, audit_view
from documents.organisation import Organisation
from documents.user import User
from exporters import spreadsheet

MONTHS_OFFERED = 24
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def rendered(entry):
    """An entry's sentence and changes, rendered once per request with the names looked up once."""
    done = g.setdefault("_audit_rendered", {})
    if entry.pk not in done:
        done[entry.pk] = audit_view.render(entry, g.setdefault("_audit_names", audit_view.Names()))
    return done[entry.pk]


class ActorFilter(RequestOptionsFilter):
    """Entries by one person: equality on the stored name; any account, 系统 or 群众 is offered."""

    def __init__(self):
        super().__init__("actor", _l("操作人"), options=self._options)

    @staticmethod
    def _options():
        names = sorted({str(u) for u in User.objects.only("display_name", "username")})
        return [(n, n) for n in [*names, "系统", "群众"]]

    def validate(self, value):
        return 0 < len(value) <= 60

    def apply(self, query, value):
        return query.filter(actor=value)

    def operation(self):
        return _l("为")


class OrgCodeFilter(RequestOptionsFilter):
    """Entries of one organisation and those below it, chosen by its code (a readable link, no database id)."""

    def __init__(self):
        super().__init__("org_path", _l("组织（含下级）"), options=self._options)

    @staticmethod
    def _options():
        return [(o.code, str(o)) for o in sorted(Organisation.objects.only("name", "code"), key=lambda o: o.code)]

    def validate(self, value):
        return 0 < len(value) <= 20

    def apply(self, query, value):
        found = Organisation.objects(code=value).only("id").first()
        return query.filter(org_path=found.pk) if found else query.none()

    def operation(self):
        return _l("为")


class MonthFilter(BaseMongoEngineFilter):
    """Entries of one month: equality on the month stamped on each entry (FerretDB never pushes a range down)."""

    ALL = "all"

    def __init__(self):
        super().__init__("month", _l("时间"), options=self._options)

    def _options(self):
        today = dt.date.today()
        months = [(today.year * 12 + today.month - 1 - i) for i in range(MONTHS_OFFERED)]
        return [(f"{m // 12}-{m % 12 + 1:02d}", f"{m // 12}年{m % 12 + 1}月") for m in months] + [
            (self.ALL, _l("全部月份"))]

    def validate(self, value):
        return bool(_MONTH.match(value)) or value == self.ALL

    def apply(self, query, value):
        return query if value == self.ALL else query.filter(month=value)

    def operation(self):
        return _l("在")


class AuditView(AdminOnly, ScopedModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    list_template = "admin/audit_list.html"
    column_list = ("at", "actor", "collection", "organisation_name", "summary")
    column_labels = {"organisation_name": _l("组织"), "summary": _l("经过")}
    column_searchable_list = ("actor", "action", "summary")
    column_default_sort = ("at", True)
    column_sortable_list = ("at",)
    column_formatters = {
        "at": lambda v, c, m, n: rendered(m).when,
        "collection": lambda v, c, m, n: rendered(m).record_type,
        "summary": lambda v, c, m, n: Markup(render_template("admin/audit_entry.html", entry=rendered(m))),
    }
    column_filters = (
        ActorFilter(),
        ListValueFilter("collection", _l("记录类型"), values=audit_view.RECORD_TYPES),
        OrgCodeFilter(),
        MonthFilter(),
        ListValueFilter("action", _l("操作"), values=list(audit_view.PHRASES)),
    )

    def is_action_allowed(self, name):
        return False

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """A page of one month read a day at a time (audit.month_page); every month, or an export, as any list."""
        month = next((v for i, _name, v in filters or () if isinstance(self._filters[i], MonthFilter)), None)
        size = self.page_size if page_size is None else page_size
        if not (execute and size and month and _MONTH.match(month)):
            return super().get_list(page, sort_column, sort_desc, search, filters, execute, page_size)
        _count, query = super().get_list(0, None, None, search, filters, execute=False, page_size=0)
        return None, audit.month_page(query, month, (page or 0) * size, size, newest=sort_column is None or sort_desc)

    def _get_list_filter_args(self):
        """This month's entries unless the user chose a month (or every month): the log opens narrow, newest first."""
        return with_default(self, super()._get_list_filter_args() or [], MonthFilter, dt.date.today().strftime("%Y-%m"))

    @expose("/export.xlsx")
    def export_xlsx(self):
        """The entries the list shows with the same filters and search, oldest first, one row each."""
        view_args = self._get_list_extra_args()
        _count, entries = self.get_list(0, None, None, view_args.search, view_args.filters, page_size=0)
        rows = []
        for entry in sorted(entries, key=lambda e: e.at or dt.datetime.min):
            shown = rendered(entry)
            rows.append([shown.at, shown.actor, shown.record_type, shown.organisation, shown.sentence,
                         shown.changes_text()])
        headers = [_("时间"), _("操作人"), _("记录类型"), _("组织"), _("经过"), _("修改内容")]
        data = spreadsheet.workbook_bytes(_("操作日志"), headers, rows)
        return send_file(io.BytesIO(data), as_attachment=True, download_name="操作日志.xlsx",
                         mimetype=spreadsheet.XLSX_MIME)
