"""岗位先进性创建卡: a member's three cards of a year (定标公示卡, 对标记录卡, 达标评议卡), kept in their file.

The standard is set in three steps (党员提标准、群众议标准、组织定标准) and only then posted;
each step needs the one before it, so a card never shows a posted standard nobody fixed.
"""
from flask_babel import lazy_gettext as _l
from mongoengine import (DateField, DictField, EmbeddedDocument, EmbeddedDocumentField, IntField, ListField,
                         ReferenceField, StringField, ValidationError)

from documents.activity import ActivityScheme
from documents.base import VersionedDocument
from documents.calendar import ensure_open
from documents.member import Member
from documents.organisation import OrgOwned, ref_id
from documents.template import PledgeTemplate

GRADES = ("优秀", "合格", "基本合格", "不合格")


class CardRecord(EmbeddedDocument):
    on = DateField(required=True, verbose_name=_l("日期"))
    text = StringField(required=True, max_length=500, verbose_name=_l("对标情况"))


class MemberCard(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    member = ReferenceField(Member, required=True, verbose_name=_l("党员"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    scheme = ReferenceField(ActivityScheme, required=True, verbose_name=_l("方案"))
    proposed = StringField(max_length=1000, verbose_name=_l("党员提标准"))
    proposed_on = DateField(verbose_name=_l("提出日期"))
    public_views = StringField(max_length=1000, verbose_name=_l("群众议标准（意见）"))
    fixed = StringField(max_length=1000, verbose_name=_l("组织定标准"))
    fixed_on = DateField(verbose_name=_l("审定日期"))
    posted_on = DateField(verbose_name=_l("上墙公示日期"))
    records = ListField(EmbeddedDocumentField(CardRecord), verbose_name=_l("对标记录"))
    self_view = StringField(max_length=500, verbose_name=_l("个人自评"))
    public_view = StringField(max_length=500, verbose_name=_l("群众评议"))
    org_view = StringField(max_length=500, verbose_name=_l("组织评议"))
    grade = StringField(choices=GRADES, verbose_name=_l("评议等次"))
    evaluated_on = DateField(verbose_name=_l("评议日期"))
    template = ReferenceField(PledgeTemplate)
    values = DictField()
    member_name = StringField(verbose_name=_l("党员"))

    meta = {"collection": "member_card", "indexes": ["organisation", "member", "org_path",
                                                     {"fields": ["member", "year"], "unique": True}]}

    def __str__(self):
        return f"{self.member_name or self.member.name} {self.year}年岗位先进性创建卡"

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)

    def clean(self):
        if self.scheme and self.scheme.kind != "card":
            raise ValidationError("请选择岗位先进性创建卡的方案", field_name="scheme")
        if self.member and ref_id(self, "organisation") not in self.member.org_path:
            raise ValidationError(f"{self.member.name}不是本组织的党员", field_name="member")
        steps = [("public_views", "proposed", "群众议标准须在党员提出标准之后"),
                 ("fixed", "proposed", "组织定标准须在党员提出标准之后"),
                 ("posted_on", "fixed", "标准须经组织审定后才能上墙公示"),
                 ("grade", "fixed", "达标评议须对照组织审定的标准")]
        for later, earlier, message in steps:
            if getattr(self, later) and not getattr(self, earlier):
                raise ValidationError(message, field_name=later)
        self.member_name = self.member.name if self.member else None
