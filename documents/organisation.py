"""Party organisations, kept as a tree with each node's ancestors stored for subtree queries."""
import re

from flask_babel import lazy_gettext as _l
from mongoengine import ListField, ObjectIdField, ReferenceField, StringField, ValidationError

from documents.base import VersionedDocument
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
    secretary = StringField(max_length=40, verbose_name=_l("书记"))
    contact = StringField(max_length=100, verbose_name=_l("联系方式"))

    meta = {
        "collection": "organisation",
        "indexes": [{"fields": ["code"], "unique": True}, "ancestors", "parent"],
        "ordering": ["code"],
    }

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def clean(self):
        self.code = (self.code or "").strip().upper()
        if not CODE_PATTERN.match(self.code):
            raise ValidationError("组织代码只能包含大写字母、数字、下划线或短横线，长度2–20位", field_name="code")
        if self.org_type not in Vocabulary.labels("org_type", include_inactive=True):
            raise ValidationError(f"未知的组织类型：{self.org_type}", field_name="org_type")
        if self.parent is None:
            self.ancestors = []
            return
        if self.pk is not None and (self.parent.pk == self.pk or self.pk in self.parent.ancestors):
            raise ValidationError("上级组织不能是本组织或其下级组织", field_name="parent")
        self.ancestors = list(self.parent.ancestors) + [self.parent.pk]

    def save(self, *args, **kwargs):
        """Save, then re-root the stored ancestors of every descendant if this node moved."""
        previous = None
        if self.pk is not None:
            stored = Organisation.objects(pk=self.pk).only("ancestors").first()
            previous = list(stored.ancestors) if stored else None
        result = super().save(*args, **kwargs)
        if previous is not None and previous != list(self.ancestors):
            for child in Organisation.objects(ancestors=self.pk):
                tail = child.ancestors[child.ancestors.index(self.pk):]
                Organisation.objects(pk=child.pk).update_one(set__ancestors=list(self.ancestors) + tail)
        return result

    @property
    def subtree_ids(self):
        return subtree_ids([self.pk])


def subtree_ids(root_ids):
    """Ids of the given organisations and every organisation below them."""
    roots = [r for r in root_ids if r is not None]
    if not roots:
        return []
    below = Organisation.objects(ancestors__in=roots).scalar("pk")
    return list(dict.fromkeys(list(roots) + list(below)))


def forest(visible_ids=None):
    """The visible organisations as nested (organisation, children) pairs, roots first, by code."""
    query = Organisation.objects if visible_ids is None else Organisation.objects(pk__in=visible_ids)
    orgs = list(query.no_dereference().order_by("code"))
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
