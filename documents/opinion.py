"""群众意见: opinions the public leaves on a published pledge, seen only by its clerk and reviewer."""
import datetime as dt
import hashlib

from flask_babel import lazy_gettext as _l
from mongoengine import DateTimeField, ObjectIdField, ReferenceField, StringField

from documents import audit
from documents.base import VersionedDocument, now
from documents.organisation import OrgOwned, ref_id
from documents.pledge import State

STATES = ("待处理", "已处理")
LIMIT, WINDOW = 3, dt.timedelta(minutes=10)


class Opinion(OrgOwned, VersionedDocument):
    pledge = ReferenceField("Pledge", verbose_name=_l("承诺"))
    post = ReferenceField("ModelPost", verbose_name=_l("示范岗"))
    organisation_id = ObjectIdField(required=True)
    text = StringField(required=True, max_length=500, verbose_name=_l("意见"))
    contact = StringField(max_length=50, verbose_name=_l("联系方式"))
    sender = StringField()  # a hash of the address, for the rate limit only
    at = DateTimeField(default=now, verbose_name=_l("时间"))
    state = StringField(choices=STATES, default="待处理", verbose_name=_l("处理情况"))
    reply = StringField(max_length=500, verbose_name=_l("处理结果"))
    pledge_label = StringField(verbose_name=_l("承诺"))
    owner_field = "organisation_id"
    meta = {"collection": "opinion", "indexes": ["organisation_id", "pledge", "post", "sender", "org_path"]}

    def clean(self):
        """Name what the opinion is about: a pledge or, on the star-post board, a post."""
        self.pledge_label = self.pledge.label if self.pledge else (f"示范岗：{self.post}" if self.post else None)

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.text[:20]}"


class OpinionRefused(Exception):
    """Why an opinion was not accepted, in Chinese."""


def in_window(pledge, today=None):
    """True while the pledge is on the board for its publication period."""
    today = today or dt.date.today()
    if pledge.state != State.PUBLISHED.value or not pledge.published_on:
        return False
    return pledge.published_on <= today <= pledge.published_on + dt.timedelta(days=pledge.publish_days or 7)


def leave(pledge, text, contact, address, secret):
    """Accept one opinion on a pledge in its publication period; it goes on the pledge's timeline."""
    if not in_window(pledge):
        raise OpinionRefused("这份承诺不在公示期内，暂不接收意见")
    return accept(pledge, "pledge", text, contact, address, secret)


def accept(target, field, text, contact, address, secret):
    """Accept one opinion on a record (a pledge or a post), at most LIMIT per address per WINDOW; audit it there."""
    text = (text or "").strip()
    if not text:
        raise OpinionRefused("请填写意见内容")
    if len(text) > 500:
        raise OpinionRefused("意见不能超过500字")
    sender = hashlib.sha256(f"{secret}:{address}".encode()).hexdigest()[:32]
    if Opinion.objects(sender=sender, at__gte=now() - WINDOW).count() >= LIMIT:
        raise OpinionRefused("提交太频繁，请稍后再试")
    opinion = Opinion(organisation_id=ref_id(target, "organisation"), text=text, contact=(contact or "").strip()[:50],
                      sender=sender, **{field: target})
    opinion.save_checked(None)
    audit.record("群众", "收到群众意见", target, {}, {"意见": text}, organisation_id=opinion.organisation_id,
                 summary=f"{target}：群众意见")
    from documents import notices  # notices reads opinions for the to-dos: imported here, not at the top
    notices.after_opinion(opinion)
    return opinion
