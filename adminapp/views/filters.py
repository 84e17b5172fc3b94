"""List filters whose options follow the current user's organisations and word lists."""
from bson import ObjectId
from flask import g, has_request_context
from flask_admin.contrib.mongoengine.filters import BaseMongoEngineFilter
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from documents.organisation import Organisation, ref_id
from documents.vocabulary import Vocabulary


def orgs_under(root):
    """[(id, "name（code）")] of an organisation and those below it (all when root is None), by code; read once a request."""
    cache = g.setdefault("_orgs_under", {})
    if root not in cache:
        query = Organisation.objects.order_by() if root is None else Organisation.objects(org_path=root).order_by()
        orgs = sorted(query.only("code", "name").as_pymongo(), key=lambda o: o.get("code") or "")
        cache[root] = [(o["_id"], f"{o.get('name')}（{o.get('code')}）") for o in orgs]
    return cache[root]


class RequestOptionsFilter(BaseMongoEngineFilter):
    """A filter whose drop-down is listed per request (ScopedModelView._get_filter_groups), never at start-up,
    when the database may not answer yet and there is no user whose organisations to offer."""

    def get_options(self, view):
        return super().get_options(view) if has_request_context() else []


def _user_orgs():
    if not current_user.is_authenticated:
        return []
    own = ref_id(current_user, "organisation")
    if not current_user.is_admin and own is None:
        return []
    return [(str(pk), label) for pk, label in orgs_under(None if current_user.is_admin else own)]


class OrgSubtreeFilter(RequestOptionsFilter):
    """Records of one organisation and every organisation below it: one equality on org_path.

    ScopedModelView.get_list uses the chosen organisation instead of the user's own scope
    (after checking it is visible), so the list query holds a single org_path equality.
    """

    def __init__(self, column, name=_l("所属组织（含下级）")):
        super().__init__(column, name, options=_user_orgs)

    def validate(self, value):
        return ObjectId.is_valid(value)

    def apply(self, query, value):
        return query.filter(org_path=ObjectId(value))

    def operation(self):
        return _l("为")


class ListValueFilter(RequestOptionsFilter):
    """Equality on a field (or membership in a list field) against a word list or fixed values ({value: label})."""

    def __init__(self, column, name, kind=None, values=None):
        self.kind, self.values = kind, values
        super().__init__(column, name, options=self._options)

    def _options(self):
        values = self.values if self.values is not None else Vocabulary.labels(self.kind)
        return list(values.items()) if isinstance(values, dict) else [(v, v) for v in values]

    def validate(self, value):
        """Only a value offered in the drop-down filters anything; others are ignored, never a 500."""
        return value in {str(v) for v, _label in self._options()}

    def apply(self, query, value):
        return query.filter(**{self.column: value})

    def operation(self):
        return _l("为")


def with_default(view, filters, kind, value):
    """The filters plus the view's filter of this kind at value unless the user chose one: wide lists open narrow."""
    index = next(i for i, f in enumerate(view._filters) if isinstance(f, kind))
    if not any(i == index for i, _name, _value in filters):
        filters.append((index, str(view._filters[index].name), value))
    return filters
