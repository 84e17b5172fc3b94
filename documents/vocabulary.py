"""Word lists the administrator maintains in the admin instead of in code."""
from flask_babel import lazy_gettext as _l
from mongoengine import BooleanField, IntField, StringField

from documents.base import VersionedDocument

KINDS = {
    "org_type": _l("组织类型"),
    "member_category": _l("党员类别"),
    "member_status": _l("党籍状态"),
    "review_criterion": _l("审诺要点"),
}

DEFAULTS = {
    "org_type": ["社区", "企业", "事业单位", "机关", "两新组织", "学校", "农村"],
    "member_category": [
        "党员领导干部", "在职党员", "无职党员", "流动党员", "离退休",
        "年老体弱", "预备党员", "入党积极分子", "非党骨干",
    ],
    "member_status": ["在册", "转出", "停止党籍", "死亡", "出党"],
    "review_criterion": ["体现先进性要求", "以正在干的事情为中心", "体现岗位职责特点", "符合群众意愿", "切实可行"],
}


class Vocabulary(VersionedDocument):
    kind = StringField(required=True, choices=list(KINDS.items()), verbose_name=_l("类别"))
    label = StringField(required=True, max_length=40, verbose_name=_l("名称"))
    order = IntField(default=0, verbose_name=_l("排序"))
    active = BooleanField(default=True, verbose_name=_l("启用"))

    meta = {
        "collection": "vocabulary",
        "indexes": [{"fields": ["kind", "label"], "unique": True}, "kind"],
    }

    def __str__(self):
        return f"{KINDS.get(self.kind, self.kind)}：{self.label}"

    @classmethod
    def labels(cls, kind, include_inactive=False):
        """Labels of one list in display order, falling back to the shipped defaults."""
        query = cls.objects(kind=kind) if include_inactive else cls.objects(kind=kind, active=True)
        found = [v.label for v in sorted(query, key=lambda v: v.order)]
        return found or list(DEFAULTS.get(kind, []))

    @classmethod
    def ensure_defaults(cls):
        """Create the shipped lists where missing; an administrator's edits are left alone."""
        created = 0
        for kind, labels in DEFAULTS.items():
            existing = {v.label for v in cls.objects(kind=kind)}
            for order, label in enumerate(labels):
                if label not in existing:
                    cls(kind=kind, label=label, order=order).save()
                    created += 1
        return created
