"""践诺: dated progress entries per pledge item, with an optional small attachment."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import (BinaryField, DateField, Document, IntField, ObjectIdField, ReferenceField, StringField,
                         ValidationError)

from documents import audit, summary
from documents.calendar import ensure_open
from documents.base import VersionedDocument
from documents.organisation import OrgOwned, ref_id
from documents.pledge import State

STATUSES = ("未开始", "进行中", "已完成")
OPEN_STATES = (State.PUBLISHED.value, State.FULFILLING.value)
ATTACHMENT_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
ATTACHMENT_MAX = 2 * 1024 * 1024
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf"}


class Attachment(OrgOwned, Document):
    """A photo or file kept in its own collection, checked by content, never served unscoped."""
    organisation_id = ObjectIdField(required=True)
    filename = StringField(max_length=120)
    content_type = StringField(choices=list(ATTACHMENT_TYPES))
    size = IntField()
    data = BinaryField(max_bytes=ATTACHMENT_MAX)
    owner_field = "organisation_id"
    meta = {"collection": "attachment", "indexes": ["organisation_id", "org_path"]}


class ProgressEntry(OrgOwned, VersionedDocument):
    pledge = ReferenceField("Pledge", required=True)
    organisation_id = ObjectIdField(required=True)
    item_index = IntField(required=True, min_value=0, verbose_name=_l("承诺事项"))
    on = DateField(required=True, verbose_name=_l("日期"))
    status = StringField(choices=STATUSES, default="进行中", verbose_name=_l("进展"))
    percent = IntField(min_value=0, max_value=100, default=0, verbose_name=_l("完成比例"))
    note = StringField(max_length=1000, verbose_name=_l("情况说明"))
    attachment = ObjectIdField()
    attachment_name = StringField()
    recorded_by = StringField()

    owner_field = "organisation_id"
    meta = {"collection": "progress", "indexes": ["pledge", "organisation_id", "org_path"]}

    def check_writable(self):
        ensure_open(self.organisation_id, self.pledge.year)

    def __str__(self):
        return f"第{self.item_index + 1}条 {self.on:%Y-%m-%d} {self.status} {self.percent}%"


def sniff(data):
    """The content type the bytes really are, or None: the file name and browser are not trusted."""
    return next((kind for sig, kind in _SIGNATURES.items() if data.startswith(sig)), None)


def record(actor, pledge, item_index, on, status, percent, note="", upload=None):
    """Add a progress entry to one item of a published pledge; raise ValidationError with a Chinese reason."""
    if pledge.state not in OPEN_STATES:
        raise ValidationError(f"承诺状态为“{pledge.state_title}”，只有已公示或践诺中的承诺可以登记进度")
    if not 0 <= item_index < len(pledge.items):
        raise ValidationError("没有这一条承诺事项")
    if status not in STATUSES:
        raise ValidationError("请选择进展情况")
    try:
        percent = int(percent)
    except (TypeError, ValueError):
        raise ValidationError("完成比例请填写0到100之间的整数") from None
    if not 0 <= percent <= 100:
        raise ValidationError("完成比例请填写0到100之间的整数")
    org_id = ref_id(pledge, "organisation")
    entry = ProgressEntry(pledge=pledge, organisation_id=org_id, item_index=item_index, on=on or dt.date.today(),
                          status=status, percent=100 if status == "已完成" else percent, note=(note or "").strip(),
                          recorded_by=str(actor))
    if upload is not None:
        filename, data = upload
        if len(data) > ATTACHMENT_MAX:
            raise ValidationError(f"附件不能超过 {ATTACHMENT_MAX // 1024 // 1024} MB")
        kind = sniff(data)
        if kind is None:
            raise ValidationError("附件只能是 JPG、PNG 图片或 PDF 文件")
        attachment = Attachment(organisation_id=org_id, filename=(filename or "附件")[-120:], content_type=kind,
                                size=len(data), data=data).save()
        entry.attachment, entry.attachment_name = attachment.pk, attachment.filename
    entry.save_checked(None)
    audit.record(actor, "登记进度", entry, {}, audit.snapshot(entry), organisation_id=org_id, summary=str(pledge))
    summary.refresh(org_id)
    return entry


def latest_by_item(pledge):
    """{item index: latest entry} for a pledge."""
    latest = {}
    for entry in sorted(ProgressEntry.objects(pledge=pledge.pk), key=lambda e: (e.on, e.created_at)):
        latest[entry.item_index] = entry
    return latest


def latest_in_org(org_id, subtree=False):
    """{(pledge id, item index): latest entry as a dict} of one organisation's progress (with subtree, of it and every
    organisation below it), read by one equality."""
    latest = {}
    entries = ProgressEntry.objects(**{"org_path" if subtree else "organisation_id": org_id}).order_by().only(
        "pledge", "item_index", "on", "status", "percent", "note", "created_at").as_pymongo()
    for entry in sorted(entries, key=lambda e: (e["on"], e.get("created_at"))):
        latest[(entry["pledge"], entry["item_index"])] = entry
    return latest


def overdue_items(pledge, today=None):
    """Indexes of items past their deadline whose latest progress is not 已完成."""
    today = today or dt.date.today()
    latest = latest_by_item(pledge)
    return [i for i, item in enumerate(pledge.items)
            if item.deadline and item.deadline < today and getattr(latest.get(i), "status", None) != "已完成"]

