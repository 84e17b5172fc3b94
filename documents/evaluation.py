"""评诺: evaluation rounds, scores kept per rater type, combined by weights and graded by settings."""
import datetime as dt
import hashlib
import math
import secrets

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateTimeField, Document, EmbeddedDocument, EmbeddedDocumentField, FloatField, IntField,
                         ListField, ObjectIdField, ReferenceField, StringField, ValidationError)

from documents import audit, summary
from documents.calendar import ensure_open
from documents.base import StaleRecord, VersionedDocument, now
from documents.store import claims
from documents.member import Member
from documents.organisation import OrgOwned, ref_id

RATER_TYPES = {"self": _l("个人自评"), "peer": _l("党员互评"), "org": _l("党组织考评"), "public": _l("群众参评")}
PERIODS = ("年度", "半年")
PUBLIC_CHOICES = [("满意", 100), ("基本满意", 75), ("不满意", 40)]


class GradeBand(EmbeddedDocument):
    label = StringField(required=True, max_length=10, verbose_name=_l("等次"))
    min_score = FloatField(required=True, min_value=0, max_value=100, verbose_name=_l("最低分"))


class EvaluationScheme(VersionedDocument):
    """Grade set, weights and the cap on the top grade: settings, not code."""
    name = StringField(required=True, max_length=40, verbose_name=_l("方案名称"))
    bands = ListField(EmbeddedDocumentField(GradeBand), verbose_name=_l("等次及分数线"))
    weight_self = FloatField(default=0.2, min_value=0, verbose_name=_l("个人自评权重"))
    weight_peer = FloatField(default=0.3, min_value=0, verbose_name=_l("党员互评权重"))
    weight_org = FloatField(default=0.3, min_value=0, verbose_name=_l("党组织考评权重"))
    weight_public = FloatField(default=0.2, min_value=0, verbose_name=_l("群众参评权重"))
    top_cap = FloatField(default=1 / 3, min_value=0, max_value=1, verbose_name=_l("最高等次比例上限"),
                         help_text=_l("如 0.3333 表示优秀不超过参评人数的三分之一；填 1 表示不限"))
    meta = {"collection": "evaluation_scheme"}

    def __str__(self):
        return self.name

    def clean(self):
        if not self.bands:
            raise ValidationError("请至少设置一个等次", field_name="bands")
        if self.weight_self + self.weight_peer + self.weight_org + self.weight_public <= 0:
            raise ValidationError("权重之和必须大于0", field_name="weight_self")
        if len({b.label for b in self.bands}) != len(self.bands):
            raise ValidationError("等次名称有重复", field_name="bands")

    def weights(self):
        return {"self": self.weight_self, "peer": self.weight_peer, "org": self.weight_org, "public": self.weight_public}

    def ordered_bands(self):
        return sorted(self.bands, key=lambda b: -b.min_score)


class EvaluationRound(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    period = StringField(choices=PERIODS, default="年度", verbose_name=_l("类型"))
    scheme = ReferenceField(EvaluationScheme, required=True, verbose_name=_l("评分方案"))
    published = BooleanField(default=False, verbose_name=_l("已在组织内公布"))
    scheme_name = StringField(verbose_name=_l("评分方案"))
    meta = {"collection": "evaluation_round", "indexes": ["organisation", "scheme", "org_path"]}

    def clean(self):
        self.scheme_name = self.scheme.name if self.scheme else None

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)

    def __str__(self):
        return f"{self.year}年{self.period}评诺（{self.organisation_name or self.organisation.name}）"


class Score(Document):
    """One rater's score of one member: rater types are never mixed until results are combined."""
    round = ReferenceField(EvaluationRound, required=True)
    member = ReferenceField(Member, required=True)
    rater_type = StringField(required=True, choices=list(RATER_TYPES))
    rater = StringField(max_length=40)
    score = FloatField(required=True, min_value=0, max_value=100)
    at = DateTimeField(default=now)
    ballot = ObjectIdField()  # the public ballot this score came from, so a cast cut short is redone, not doubled
    meta = {"collection": "evaluation_score", "indexes": ["round"]}


class BallotToken(Document):
    """A single-use slip for 群众参评 online."""
    token = StringField(required=True, unique=True)
    round = ReferenceField(EvaluationRound, required=True)
    expires_at = DateTimeField(required=True)
    used_at = DateTimeField()
    cast = StringField()  # a digest of the choices, so the same ballot sent twice is recognised
    meta = {"collection": "ballot_token", "indexes": ["round"]}


def members_of(round_):
    return list(Member.objects(organisation=ref_id(round_, "organisation"), status="在册",
                               categories__nin=["入党积极分子", "非党骨干"]).order_by("name"))


def record_scores(actor, round_, rater_type, rater, scores, nonce=None):
    """Enter one rater's scores ({member id: text}); refuse the lot if any is not a number from 0 to 100.

    The same form (nonce) submitted twice enters the scores once and reports the first count.
    """
    return claims.once(claims.form_key(actor.pk, nonce, "scores", round_.pk),
                       lambda: _record_scores(actor, round_, rater_type, rater, scores))


def _record_scores(actor, round_, rater_type, rater, scores):
    round_.check_writable()
    if rater_type not in RATER_TYPES:
        raise ValidationError("请选择评价类型")
    members = {str(m.pk): m for m in members_of(round_)}
    rows, problems = [], []
    for member_id, text in scores.items():
        if str(text).strip() == "":
            continue
        member = members.get(str(member_id))
        if member is None:
            problems.append("评分对象不在本次评诺名单中")
            continue
        try:
            value = float(text)
        except ValueError:
            problems.append(f"{member.name}的分数“{text}”不是数字")
            continue
        if not 0 <= value <= 100 or math.isnan(value):
            problems.append(f"{member.name}的分数应在0到100之间")
            continue
        rows.append(Score(round=round_, member=member, rater_type=rater_type, rater=(rater or "").strip(), score=value))
    if problems:
        raise ValidationError("；".join(problems))
    if not rows:
        raise ValidationError("没有填写任何分数")
    for row in rows:
        row.save()
    audit.record(actor, f"录入{RATER_TYPES[rater_type]}", round_, {}, {
        "评价人": rater, "分数": {str(r.member.name): r.score for r in rows}}, organisation_id=ref_id(round_, "organisation"))
    summary.refresh(ref_id(round_, "organisation"))
    return len(rows)


def results(round_):
    """[(member, {rater type: (sum, count)}, combined, grade)] best first, with the top-grade cap applied.

    Averages are sum / count; a rater type nobody scored is left out and
    the remaining weights are rescaled, so a missing paper ballot does not pull a member down.
    """
    scheme, members = round_.scheme, members_of(round_)
    totals = {m.pk: {} for m in members}
    # Summed here, not with $group: FerretDB 1.24 returns 0 for {"$sum": 1} when the same
    # $group also has {"$sum": "$score"}, and a round holds only members x raters rows.
    for row in Score._get_collection().find({"round": round_.pk}, {"member": 1, "rater_type": 1, "score": 1}):
        if row["member"] in totals:
            total, count = totals[row["member"]].get(row["rater_type"], (0.0, 0))
            totals[row["member"]][row["rater_type"]] = (total + row["score"], count + 1)
    weights, table = scheme.weights(), []
    for member in members:
        parts = {t: s / c for t, (s, c) in totals[member.pk].items() if c}
        used = {t: weights[t] for t in parts if weights.get(t)}
        combined = round(sum(parts[t] * w for t, w in used.items()) / sum(used.values()), 1) if used else None
        table.append([member, totals[member.pk], combined, None])
    table.sort(key=lambda r: -1 if r[2] is None else -r[2])
    bands = scheme.ordered_bands()
    cap = math.floor(len([r for r in table if r[2] is not None]) * scheme.top_cap + 1e-9)
    top_given = 0
    for row in table:
        if row[2] is None:
            row[3] = "未评"
            continue
        grade_index = next((i for i, b in enumerate(bands) if row[2] >= b.min_score), len(bands) - 1)
        if grade_index == 0:
            if top_given >= cap and len(bands) > 1:
                grade_index = 1
            else:
                top_given += 1
        row[3] = bands[grade_index].label
    return [tuple(r) for r in table]


def issue_ballots(actor, round_, count, days=7, nonce=None):
    """Create single-use ballot tokens for 群众参评; return them (the same form twice: the first batch)."""
    ids = claims.once(claims.form_key(actor.pk, nonce, "ballots", round_.pk),
                      lambda: [str(t.pk) for t in _issue_ballots(actor, round_, count, days)])
    return [BallotToken.objects(pk=i).first() for i in ids]


def _issue_ballots(actor, round_, count, days):
    if not 1 <= count <= 500:
        raise ValidationError("一次可发放1到500张选票")
    if not 1 <= days <= 365:
        raise ValidationError("选票有效天数应为1到365天")
    expires = now() + dt.timedelta(days=days)
    tokens = [BallotToken(token=secrets.token_urlsafe(12), round=round_, expires_at=expires).save() for _ in range(count)]
    audit.record(actor, "发放群众参评选票", round_, {}, {"张数": count, "有效期至": expires.isoformat()},
                 organisation_id=ref_id(round_, "organisation"))
    return tokens


class BallotRefused(Exception):
    """Why a ballot token cannot be used, in Chinese."""


def open_ballot(token):
    """The ballot of a token that may still be cast, or BallotRefused saying why not."""
    return _usable(_ballot(token))


def _ballot(token):
    ballot = BallotToken.objects(token=token).first()
    if ballot is None:
        raise BallotRefused("这张选票无效，请核对选票上的二维码或链接")
    return ballot


def _usable(ballot):
    if ballot.used_at:
        raise BallotRefused("这张选票已经使用过，每张选票只能投一次")
    if ballot.expires_at < now():
        raise BallotRefused("这张选票已过有效期")
    return ballot


def cast_ballot(token, choices):
    """Record one public ballot ({member id: choice label}) exactly once; the same ballot sent again is thanked, not counted."""
    ballot = _ballot(token)
    points = dict(PUBLIC_CHOICES)
    members = {str(m.pk): m for m in members_of(ballot.round)}
    rows = [Score(round=ballot.round, member=members[mid], rater_type="public", rater="群众", score=points[label],
                  ballot=ballot.pk) for mid, label in choices.items() if mid in members and label in points]
    cast = hashlib.sha256(repr(sorted((str(r.member.pk), r.score) for r in rows)).encode()).hexdigest()
    if rows and ballot.used_at and ballot.cast == cast:
        return len(rows)
    _usable(ballot)
    try:
        ballot.round.check_writable()
    except ValidationError as exc:
        raise BallotRefused("本次评议已结束") from exc
    if not rows:
        raise BallotRefused("请至少为一名党员选择评价")

    def write():
        Score.objects(ballot=ballot.pk).delete()  # left by a cast whose process died before marking the ballot used
        Score.objects.insert(rows)
        BallotToken.objects(pk=ballot.pk).update_one(set__used_at=now(), set__cast=cast)

    try:
        claims.once(f"ballot:{ballot.pk}:{cast}",
                    lambda: claims.change("ballot_token", ballot.pk, 0, write, reached={"set": "used_at"}))
    except StaleRecord as exc:
        raise BallotRefused("这张选票已经使用过，每张选票只能投一次") from exc
    summary.refresh(ref_id(ballot.round, "organisation"))
    return len(rows)
