"""党员责任区: zones per section with one head and its tasks, every member's duty, a work log, assessment.

"全员覆盖、不留空白": coverage lists the party members of an organisation who have no duty in
any of its zones. Assessment uses the zone scheme's criteria (seed 004's three) through the
same record_assessment as model posts.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import (DateField, DictField, EmbeddedDocument, EmbeddedDocumentField, ListField, ObjectIdField,
                         ReferenceField, StringField, ValidationError)

from documents import audit
from documents.activity import ActivityScheme, Assessment, record_assessment
from documents.base import VersionedDocument
from documents.calendar import ensure_open
from documents.member import Member
from documents.modelpost import not_party_members
from documents.organisation import OrgOwned, ref_id
from documents.progress import ATTACHMENT_MAX, ATTACHMENT_TYPES, Attachment, sniff
from documents.template import PledgeTemplate

LOG_KINDS = ("工作日志", "书面报告")


class Duty(EmbeddedDocument):
    member = ReferenceField(Member, required=True, verbose_name=_l("党员"))
    duty = StringField(required=True, max_length=200, verbose_name=_l("具体责任"))


class ResponsibilityZone(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    scheme = ReferenceField(ActivityScheme, required=True, verbose_name=_l("方案"))
    name = StringField(required=True, max_length=60, verbose_name=_l("责任区名称"))
    section = StringField(required=True, max_length=40, verbose_name=_l("股、所、队、室"))
    head = ReferenceField(Member, required=True, verbose_name=_l("责任区负责人"))
    tasks = StringField(required=True, max_length=1000, verbose_name=_l("主要工作任务"))
    duties = ListField(EmbeddedDocumentField(Duty), verbose_name=_l("党员责任"))
    template = ReferenceField(PledgeTemplate)
    values = DictField()
    head_name = StringField(verbose_name=_l("责任区负责人"))

    meta = {"collection": "responsibility_zone", "indexes": ["organisation", "org_path"]}

    def __str__(self):
        return f"{self.section}·{self.name}"

    def clean(self):
        if self.scheme and self.scheme.kind != "zone":
            raise ValidationError("请选择党员责任区的方案", field_name="scheme")
        own = ref_id(self, "organisation")
        people = [self.head, *(d.member for d in self.duties)] if self.head else [d.member for d in self.duties]
        outside = sorted({m.name for m in people if m is not None and own not in m.org_path})
        if outside:
            raise ValidationError(f"{'、'.join(outside)}不是本组织的党员", field_name="duties")
        others = not_party_members([d.member for d in self.duties])
        if others:
            raise ValidationError(f"{'、'.join(m.name for m in others)}不是在册党员", field_name="duties")
        seen = [ref_id(d, "member") for d in self.duties]
        if len(seen) != len(set(seen)):
            raise ValidationError("同一名党员在本责任区只能有一条责任", field_name="duties")
        self.head_name = self.head.name if self.head else None

    def duty_rows(self):
        """(member name, duty) for the board, in the order entered."""
        return [(d.member.name, d.duty) for d in self.duties]


class ZoneLog(OrgOwned, VersionedDocument):
    """A dated entry of a zone's 工作日志, or a written report upward, with an optional attachment."""
    zone = ReferenceField(ResponsibilityZone, required=True)
    organisation_id = ObjectIdField(required=True)
    on = DateField(required=True, verbose_name=_l("日期"))
    kind = StringField(choices=LOG_KINDS, default="工作日志", verbose_name=_l("类别"))
    text = StringField(required=True, max_length=2000, verbose_name=_l("内容"))
    author = StringField(max_length=40, verbose_name=_l("记录人"))
    attachment = ObjectIdField()
    attachment_name = StringField()

    owner_field = "organisation_id"
    meta = {"collection": "zone_log", "indexes": ["zone", "organisation_id", "org_path"]}

    def __str__(self):
        return f"{self.on:%Y-%m-%d} {self.kind}：{self.text[:20]}"

    def check_writable(self):
        ensure_open(self.organisation_id, self.on.year if self.on else None)


def write_log(actor, zone, on, text, kind="工作日志", author="", upload=None):
    """Add a dated entry to a zone's work log (or a written report upward), with an optional small file."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写日志内容")
    if kind not in LOG_KINDS:
        raise ValidationError("请选择类别")
    org_id = ref_id(zone, "organisation")
    entry = ZoneLog(zone=zone, organisation_id=org_id, on=on or dt.date.today(), kind=kind, text=text,
                    author=(author or "").strip() or str(actor))
    if upload is not None and upload[1]:
        filename, data = upload
        content_type = sniff(data)
        if len(data) > ATTACHMENT_MAX or content_type not in ATTACHMENT_TYPES:
            raise ValidationError("附件只能是不超过 2 MB 的 JPG、PNG 图片或 PDF 文件")
        attachment = Attachment(organisation_id=org_id, filename=(filename or "附件")[-120:],
                                content_type=content_type, size=len(data), data=data).save()
        entry.attachment, entry.attachment_name = attachment.pk, attachment.filename
    entry.save_checked(None, lambda doc: audit.entry(actor, f"记{kind}", doc, {}, audit.snapshot(doc),
                                                     organisation_id=org_id, summary=f"{zone}：{doc}"))
    return entry


def logs_of(zone):
    return sorted(ZoneLog.objects(zone=zone.pk), key=lambda e: (e.on, e.created_at), reverse=True)


def assessments_of(zone):
    return sorted(Assessment.objects(zone=zone.pk), key=lambda a: (a.year, a.number))


def assess(actor, zone, year, number, assessed_on, raw_scores, problems="", rectify_by=None):
    """Assess a zone against its scheme's criteria; problems go to the 整改台账."""
    return record_assessment(actor, zone.scheme, zone, "zone", f"党员责任区“{zone}”", year, number, assessed_on,
                             raw_scores, problems, rectify_by)


def counts(user, year):
    """How many zones and how many of the year's cards the user's organisations hold (for the home page)."""
    from documents import access
    from documents.card import MemberCard
    return {"zones": access.scope(ResponsibilityZone.objects, user).count(),
            "cards": access.scope(MemberCard.objects, user).filter(year=year).count()}


def coverage(organisation):
    """(zones of the organisation, party members on its roll with no duty in any of them), by name."""
    zones = sorted(ResponsibilityZone.objects(organisation=organisation.pk), key=lambda z: (z.section, z.name))
    covered = {ref_id(d, "member") for z in zones for d in z.duties}
    members = [m for m in Member.objects(organisation=organisation.pk, status="在册")
               if not not_party_members([m]) and m.pk not in covered]
    return zones, sorted(members, key=lambda m: m.name)
