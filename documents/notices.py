"""In-app notices to the clerks and reviewers concerned, sent once per event, with read receipts.

A notice's id is "<recipient>:<event>", so sending the same event again is an insert the database
refuses (atomically, on FerretDB as on MongoDB): a job run twice, or a transition retried, notifies
nobody twice. Notices are sent by the chase job (CLI `chase`) and by transitions, never by a page view.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import DateTimeField, Document, ObjectIdField, StringField
from mongoengine.errors import NotUniqueError

from documents import audit, chasing
from documents.base import cn_minute, now
from documents.organisation import Organisation, OrgOwned, ref_id
from documents.user import User


class Notice(OrgOwned, Document):
    id = StringField(primary_key=True)  # "<user id>:<event key>"
    user = ObjectIdField(required=True)
    user_name = StringField(verbose_name=_l("接收人"))
    organisation_id = ObjectIdField()
    event = StringField(required=True)
    text = StringField(required=True, verbose_name=_l("提醒内容"))
    pledge = ObjectIdField()
    at = DateTimeField(default=now, verbose_name=_l("发送时间"))
    read_at = DateTimeField(verbose_name=_l("阅读时间"))
    owner_field = "organisation_id"
    meta = {"collection": "notice", "indexes": ["user", "organisation_id", "org_path"]}

    def __str__(self):
        return self.text

    @property
    def receipt(self):
        """已读 2026年5月20日 09:31, or 未读."""
        return f"已读 {cn_minute(self.read_at)}" if self.read_at else "未读"


def recipients(org_id, reviewers_of=None, clerks=True):
    """Active clerks of the organisation and, if asked, active reviewers of reviewers_of (one path equality)."""
    found = []
    for user in User.objects(org_path=org_id, active=True).order_by().no_dereference():
        own = ref_id(user, "organisation")
        if (clerks and user.role == "clerk" and own == org_id) or (user.role == "reviewer" and own == reviewers_of):
            found.append(user)
    if reviewers_of is not None and reviewers_of != org_id:
        found += [u for u in User.objects(org_path=reviewers_of, role="reviewer", active=True).order_by().no_dereference()
                  if ref_id(u, "organisation") == reviewers_of]
    return list({u.pk: u for u in found}.values())


def send(users, event, text, organisation_id, pledge=None):
    """Notify each user of one event once; return how many notices are new."""
    sent = 0
    for user in users:
        try:
            Notice(id=f"{user.pk}:{event}", user=user.pk, user_name=user.display_name or user.username,
                   organisation_id=organisation_id, event=event, text=text, pledge=pledge).save(force_insert=True)
            sent += 1
        except NotUniqueError:
            continue
    return sent


def reviewer_org(org_id, member_scope):
    """Whose reviewers look at it: the organisation's own for members' pledges, its parent's for its own pledge."""
    if member_scope:
        return org_id
    org = Organisation.objects(pk=org_id).order_by().only("parent").no_dereference().first()
    return ref_id(org, "parent") if org else None


def send_due(dues):
    """Notify the clerks of each line's organisation, and its reviewers once the line is overdue."""
    sent = 0
    for due in dues:
        if due.kind == "unpledged":
            continue
        reviewers = reviewer_org(due.organisation, due.member_scope) if due.bucket == "overdue" else None
        sent += send(recipients(due.organisation, reviewers), f"chase:{due.key}", due.sentence, due.organisation,
                     due.pledge)
    unpledged = {}
    for due in dues:
        if due.kind == "unpledged":
            unpledged.setdefault((due.organisation, due.org_name, due.bucket, due.when), []).append(due.whose)
    for (org_id, org_name, which, when), names in unpledged.items():
        shown = "、".join(names[:10]) + (f"等{len(names)}人" if len(names) > 10 else "")
        sent += send(recipients(org_id), f"chase:unpledged:{org_id}:{when}:{which}",
                     f"{chasing.KINDS['unpledged']} · {chasing.BUCKETS[which]}：{org_name} {shown}", org_id)
    return sent


def run_chase(today=None):
    """The chase job: notify every organisation's clerks and reviewers of what is due; return notices sent."""
    today = today or dt.date.today()
    sent = 0
    for root in Organisation.objects(parent=None).order_by().scalar("pk"):
        sent += send_due(chasing.chase(root, today.year, today))
    if sent:
        audit.record("系统", "发送催办提醒", Organisation.objects(parent=None).order_by().first(), {},
                     {"日期": today.isoformat(), "提醒条数": sent}, summary=f"催办：发送提醒 {sent} 条")
    return sent


def after_transition(pledge, step_name):
    """Tell whoever acts next: reviewers when a pledge is submitted, clerks when it is returned."""
    org_id = ref_id(pledge, "organisation")
    event = f"{step_name}:{pledge.pk}:{pledge.version}"
    if step_name == "submit":
        users = recipients(org_id, reviewer_org(org_id, pledge.scope == "member"), clerks=False)
        return send(users, event, f"待审核：{pledge}（{pledge.organisation_name}）已提交，等待您审核", org_id, pledge.pk)
    if step_name in ("return", "reopen"):
        guidance = pledge.reviews[-1].guidance if pledge.reviews else ""
        return send(recipients(org_id), event, f"已退回：{pledge}（{pledge.organisation_name}）需修改：{guidance}",
                    org_id, pledge.pk)
    return 0


def after_opinion(opinion):
    """Tell the organisation's clerks and reviewers that the public left an opinion on one of its pledges."""
    org_id = opinion.organisation_id
    return send(recipients(org_id, org_id), f"opinion:{opinion.pk}",
                f"群众意见：{opinion.pledge_label}（{opinion.organisation_name}）收到意见：{opinion.text[:50]}", org_id,
                ref_id(opinion, "pledge"))


def mine(user):
    """The user's notices, unread first, newest first within each: one equality on the recipient."""
    found = list(Notice.objects(user=user.pk).order_by())
    return sorted(found, key=lambda n: (n.read_at is not None, -n.at.timestamp()))


def unread(user):
    """The user's unread notices, newest first."""
    return sorted(Notice.objects(user=user.pk, read_at=None).order_by(), key=lambda n: n.at, reverse=True)


def mark_read(user, notice_id):
    """Record when the recipient read a notice (the first time only); return it, or None if it is not theirs."""
    notice = Notice.objects(pk=str(notice_id), user=user.pk).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = now()
        Notice.objects(pk=notice.pk, read_at=None).update_one(set__read_at=notice.read_at)
    return notice


def of_organisation(org_id):
    """Every notice about one organisation with its receipt, for the chase page: one equality."""
    return sorted(Notice.objects(organisation_id=org_id).order_by(), key=lambda n: n.at, reverse=True)
