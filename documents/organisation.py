"""Party organisations, kept as a tree with each node's path stored, and the records they own.

Every organisation-owned record carries `org_path`, the ids of its organisation and of that
organisation's ancestors, so "everything under X" is one equality (`org_path = X`), which
FerretDB pushes down to an index; `$in` over a list of subtree ids never is.
"""
import re

from bson import ObjectId
from flask_babel import lazy_gettext as _l
from mongoengine import ListField, ObjectIdField, ReferenceField, StringField, ValidationError

from documents.base import VersionedDocument
from documents.store import batch
from documents.vocabulary import Vocabulary

LEVELS = ("党委", "党总支", "党支部")
CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{2,20}$")


class Organisation(VersionedDocument):
    name = StringField(required=True, max_length=100, verbose_name=_l("组织名称"))
    code = StringField(required=True, max_length=20, verbose_name=_l("组织代码"),
                       help_text=_l("2–20位大写字母、数字、下划线或短横线，如 SQ01"))
    level = StringField(required=True, choices=LEVELS, verbose_name=_l("组织层级"))
    org_type = StringField(required=True, verbose_name=_l("组织类型"))
    parent = ReferenceField("Organisation", verbose_name=_l("上级组织"))
    ancestors = ListField(ObjectIdField())
    org_path = ListField(ObjectIdField())
    secretary = StringField(max_length=40, verbose_name=_l("书记"))
    contact = StringField(max_length=100, verbose_name=_l("联系方式"))

    meta = {
        "collection": "organisation",
        "indexes": [{"fields": ["code"], "unique": True}, "ancestors", "parent", "org_path"],
    }

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        self.code = (self.code or "").strip().upper()
        if not CODE_PATTERN.match(self.code):
            raise ValidationError("组织代码只能包含大写字母、数字、下划线或短横线，长度2–20位", field_name="code")
        if self.org_type not in Vocabulary.labels("org_type", include_inactive=True):
            raise ValidationError(f"未知的组织类型：{self.org_type}", field_name="org_type")
        if self.parent is not None and self.pk is not None and \
                (self.parent.pk == self.pk or self.pk in self.parent.ancestors):
            raise ValidationError("上级组织不能是本组织或其下级组织", field_name="parent")
        self.ancestors = list(self.parent.ancestors) + [self.parent.pk] if self.parent else []
        self.org_path = self.ancestors + [self.pk]

    def save(self, *args, **kwargs):
        """Save; if this node moved, re-root every path below it; if renamed, refresh the copied names."""
        from documents import copies
        stored, renamed = None, copies.renamed(self, "name")
        if self.pk is None:
            self.pk = ObjectId()  # known before the insert, so the path can end with it
        else:
            stored = Organisation.objects(pk=self.pk).only("ancestors").first()
        result = super().save(*args, **kwargs)
        if stored is not None and list(stored.ancestors) != list(self.ancestors):
            move_paths(self)
        if renamed:
            copies.refresh(self)
        return result

    @property
    def subtree_ids(self):
        return subtree_ids([self.pk])


def subtree_ids(root_ids):
    """Ids of the given organisations and every organisation below them, one path equality per root."""
    found = []
    for root in root_ids:
        if root is not None:
            found += [root, *Organisation.objects(org_path=root).scalar("pk")]
    return list(dict.fromkeys(found))


def forest(root_id=None):
    """The organisations under root_id (all when None) as nested (organisation, children) pairs, by code."""
    query = Organisation.objects if root_id is None else Organisation.objects(org_path=root_id)
    orgs = sorted(query.no_dereference(), key=lambda o: o.code)
    shown = {o.pk for o in orgs}
    by_parent = {}
    for org in orgs:
        parent = ref_id(org, "parent")
        by_parent.setdefault(parent if parent in shown else None, []).append(org)

    def build(key):
        return [(org, build(org.pk)) for org in by_parent.get(key, [])]

    return build(None)


def ref_id(doc, field):
    """The id stored in a reference field, without loading the referenced document."""
    value = doc._data.get(field)
    return getattr(value, "pk", None) or getattr(value, "id", value)


class OrgOwned:
    """Mixin for a record owned by an organisation: keeps its org_path and organisation_name when saved."""

    owner_field = "organisation"
    org_path = ListField(ObjectIdField())
    organisation_name = StringField(verbose_name=_l("党组织"))

    def save(self, *args, **kwargs):
        self.copy_owner()
        return super().save(*args, **kwargs)

    def copy_owner(self):
        """Copy the owner organisation's path and name onto this record."""
        value = self._data.get(self.owner_field)
        org = value if isinstance(value, Organisation) else None
        if org is None and ref_id(self, self.owner_field) is not None:
            org = Organisation.objects(pk=ref_id(self, self.owner_field)).only("ancestors", "name").first()
        self.org_path = list(org.ancestors) + [org.pk] if org else []
        self.organisation_name = org.name if org else None


def move_paths(moved):
    """Re-root the ancestors and org_path of everything below a moved organisation, in every collection."""
    from documents.access import owned_documents
    for org in [moved, *Organisation.objects(org_path=moved.pk, pk__ne=moved.pk).only("ancestors")]:
        ancestors = list(org.ancestors)
        if org.pk != moved.pk:
            ancestors = list(moved.ancestors) + ancestors[ancestors.index(moved.pk):]
        path = ancestors + [org.pk]
        Organisation.objects(pk=org.pk).update_one(set__ancestors=ancestors, set__org_path=path)
        for document, field in owned_documents():
            document._get_collection().update_many({document._fields[field].db_field: org.pk},
                                                   {"$set": {"org_path": path}})


def backfill_paths():
    """Recompute every organisation's path and every owned record's org_path and names (idempotent)."""
    from documents.access import owned_documents
    orgs = {o.pk: o for o in Organisation.objects.no_dereference()}
    for org in orgs.values():
        path = list(org.ancestors) + [org.pk]
        if list(org.org_path) != path:
            Organisation.objects(pk=org.pk).update_one(set__org_path=path)
    wanted = {pk: {"org_path": list(org.ancestors) + [pk], "organisation_name": org.name} for pk, org in orgs.items()}
    fixed = 0
    for document, field in owned_documents():
        collection, db_field = document._get_collection(), document._fields[field].db_field
        fixed += batch.update_each(collection, [
            (row["_id"], changes) for row in batch.rows(document, (db_field, "org_path", "organisation_name"))
            if (changes := wanted.get(row.get(db_field))) and any(row.get(k) != v for k, v in changes.items())])
    return fixed
