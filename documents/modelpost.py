"""党员示范岗 and 星级党员示范岗: posts, their confirmation or approval, periodic assessment, veto, rewards, stars.

Both kinds are one document: what differs (standards, criteria, weights, period, reward, star and
veto rules, plaque text) is the post's ActivityScheme. Star counts and reward lists are derived from
the assessments whose publication period is over, never kept as counters that could drift.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DictField, IntField, ListField, ObjectIdField, ReferenceField,
                         StringField, ValidationError)

from documents import access, audit
from documents.activity import KINDS, ActivityScheme, Assessment, record_assessment
from documents.base import VersionedDocument
from documents.calendar import ensure_open
from documents.member import Member
from documents.organisation import OrgOwned, ref_id
from documents.progress import ATTACHMENT_MAX, Attachment, sniff
from documents.summary import OPTIONAL_CATEGORIES
from documents.template import PledgeTemplate

STATES = {"declared": _l("待确认"), "confirmed": _l("已授牌"), "revoked": _l("已撤销")}
CONFIRM_METHODS = {"vote": _l("党员民主推选"), "decision": _l("领导班子会议决定")}


def not_party_members(members):
    """The people in the list who are not full party members on the roll (activists, non-party staff, left)."""
    return [m for m in members if set(m.categories or ()) & OPTIONAL_CATEGORIES or m.status != "在册"]


class ModelPost(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    scheme = ReferenceField(ActivityScheme, required=True, verbose_name=_l("方案"))
    kind = StringField(choices=list(KINDS.items()), verbose_name=_l("类别"))
    title = StringField(required=True, max_length=60, verbose_name=_l("岗位名称"),
                        help_text=_l("如：户籍窗口、森林防火股"))
    collective = BooleanField(default=False, verbose_name=_l("集体示范岗"),
                              help_text=_l("一个办公室或股室，岗内人员必须都是党员"))
    members = ListField(ReferenceField(Member), verbose_name=_l("岗内党员"))
    motto = StringField(max_length=60, verbose_name=_l("格言式岗位承诺"))
    standards_met = ListField(StringField(max_length=200), verbose_name=_l("对照标准（已符合）"))
    template = ReferenceField(PledgeTemplate)
    values = DictField()
    state = StringField(choices=list(STATES.items()), default="declared", verbose_name=_l("状态"))
    confirm_method = StringField(choices=list(CONFIRM_METHODS.items()), verbose_name=_l("确认方式"))
    confirmed_on = DateField(verbose_name=_l("授牌（批复）日期"))
    votes_for = IntField(min_value=0, verbose_name=_l("赞成票"))
    votes_cast = IntField(min_value=0, verbose_name=_l("投票人数"))
    minute = StringField(max_length=200, verbose_name=_l("会议纪要（决定）"))
    confirmed_by = StringField(max_length=60, verbose_name=_l("确认（批复）人"))
    revoked_on = DateField(verbose_name=_l("撤销日期"))
    veto_ground = StringField(max_length=200, verbose_name=_l("一票否决情形"))
    vetoed_by = StringField(max_length=60, verbose_name=_l("决定人"))
    awarded_year = IntField(verbose_name=_l("授牌命名年度"))
    awarded_on = DateField(verbose_name=_l("授牌命名日期"))
    awarded_by = StringField(max_length=60, verbose_name=_l("授牌命名人"))
    reassess_year = IntField(verbose_name=_l("年底复评年度"))
    photo = ObjectIdField()
    member_names = ListField(StringField(), verbose_name=_l("岗内党员"))

    meta = {"collection": "model_post", "indexes": ["organisation", "org_path", ("kind", "state")]}

    def __str__(self):
        return f"{self.title}（{'、'.join(self.member_names)}）"

    @property
    def state_title(self):
        """已批复 for an approved star post: only a 党员示范岗 is 授牌 on confirmation."""
        return _l("已批复") if self.kind == "starpost" and self.state == "confirmed" else STATES[self.state]

    @property
    def kind_title(self):
        return KINDS[self.kind]

    def clean(self):
        self.kind = self.scheme.kind if self.scheme else self.kind
        if self.kind not in ("modelpost", "starpost"):
            raise ValidationError("请选择党员示范岗或星级党员示范岗的方案", field_name="scheme")
        if not self.members:
            raise ValidationError("请选择岗内党员", field_name="members")
        if not self.collective and len(self.members) != 1:
            raise ValidationError("个人示范岗只能有一名党员；多人请选“集体示范岗”", field_name="members")
        own = ref_id(self, "organisation")
        outside = [m.name for m in self.members if own not in m.org_path]
        if outside:
            raise ValidationError(f"{'、'.join(outside)}不是本组织的党员", field_name="members")
        others = not_party_members(self.members)
        if others:
            names = "、".join(m.name for m in others)
            rule = "集体示范岗内的人员必须均为共产党员" if self.collective else "个人示范岗须由党员担任"
            raise ValidationError(f"{rule}：{names}不是在册党员", field_name="members")
        unknown = [s for s in self.standards_met if s not in self.scheme.standards]
        if unknown:
            raise ValidationError(f"“{unknown[0]}”不是本方案的标准", field_name="standards_met")
        self.member_names = [m.name for m in self.members]

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), (self.confirmed_on or dt.date.today()).year)


def _log(actor, action, before, summary=""):
    return lambda doc: audit.entry(actor, action, doc, before, audit.snapshot(doc),
                                   organisation_id=ref_id(doc, "organisation"), summary=summary)


def confirm(actor, post, on, *, votes_for=None, votes_cast=None, minute=""):
    """授牌: an individual post by the members' vote, a collective one by a leadership decision; all standards met."""
    if post.kind != "modelpost":
        raise ValidationError("星级党员示范岗由上级党组织批复，请使用“批复”")
    if post.state != "declared":
        raise ValidationError(f"该示范岗当前为“{post.state_title}”，不能再确认")
    missing = [s for s in post.scheme.standards if s not in post.standards_met]
    if missing:
        raise ValidationError("尚未符合以下标准：" + "；".join(missing))
    if on is None:
        raise ValidationError("请填写确认日期")
    before = audit.snapshot(post)
    if post.collective:
        if not (minute or "").strip():
            raise ValidationError("集体示范岗由领导班子会议推选确认，请填写会议纪要（决定）")
        post.confirm_method, post.minute = "decision", minute.strip()
    else:
        try:
            votes_for, votes_cast = int(votes_for), int(votes_cast)
        except (TypeError, ValueError):
            raise ValidationError("个人示范岗由党员民主推选，请填写赞成票数和投票人数（整数）") from None
        if votes_cast <= 0 or not 0 <= votes_for <= votes_cast:
            raise ValidationError("赞成票数应在0到投票人数之间")
        if votes_for * 2 <= votes_cast:
            raise ValidationError(f"赞成票{votes_for}票，未超过投票人数{votes_cast}人的半数，不能确认")
        post.confirm_method, post.votes_for, post.votes_cast = "vote", votes_for, votes_cast
    post.state, post.confirmed_on, post.confirmed_by = "confirmed", on, str(actor)
    post.save_checked(post.version, _log(actor, "确认示范岗", before))
    return post


def is_above(user, org_id):
    """True for an administrator or a user of an organisation above org_id (not org_id itself)."""
    if user.is_admin:
        return True
    own = ref_id(user, "organisation")
    return own is not None and own != org_id and access.can_see_org(user, org_id)


def can_approve(user, post):
    """星级示范岗 are approved (批复) by an organisation above the declaring one."""
    return is_above(user, ref_id(post, "organisation"))


def approve(actor, post, on, note=""):
    """批复 a declared star post: only the level above the declaring branch may."""
    if post.kind != "starpost":
        raise ValidationError("党员示范岗由民主推选或会议决定确认，请使用“确认授牌”")
    if post.state != "declared":
        raise ValidationError(f"该示范岗当前为“{post.state_title}”，不能再批复")
    if not can_approve(actor, post):
        raise ValidationError("星级党员示范岗须由上级党组织批复")
    before = audit.snapshot(post)
    post.state, post.confirmed_on, post.confirmed_by = "confirmed", on or dt.date.today(), str(actor)
    post.confirm_method, post.minute = None, (note or "").strip() or None
    post.save_checked(post.version, _log(actor, "批复示范岗", before))
    return post


def veto(actor, post, ground, on, decided_by):
    """一票否决: revoke the title at once on one of the scheme's grounds; the plaque is withdrawn."""
    if post.state == "revoked":
        raise ValidationError(f"该示范岗已于{post.revoked_on:%Y-%m-%d}撤销")
    if ground not in post.scheme.veto_grounds:
        raise ValidationError("请选择一票否决的情形")
    if not (decided_by or "").strip():
        raise ValidationError("请填写作出决定的人或会议")
    before = audit.snapshot(post)
    post.state, post.revoked_on, post.veto_ground, post.vetoed_by = "revoked", on or dt.date.today(), ground, \
        decided_by.strip()
    post.save_checked(post.version, _log(actor, "一票否决，撤销称号、收回挂牌", before))
    return post


def set_photo(actor, post, filename, data):
    """The photo the public board shows: a JPG or PNG of at most 2 MB, checked by its content."""
    kind = sniff(data or b"")
    if not data or len(data) > ATTACHMENT_MAX or kind not in ("image/jpeg", "image/png"):
        raise ValidationError("照片只能是不超过 2 MB 的 JPG 或 PNG 图片")
    photo = Attachment(organisation_id=ref_id(post, "organisation"), filename=(filename or "照片")[-120:],
                       content_type=kind, size=len(data), data=data).save()
    before = audit.snapshot(post)
    post.photo = photo.pk
    post.save_checked(post.version, _log(actor, "上传示范岗照片", before))
    return post


def assessments_of(post):
    """A post's assessments in period order (one indexed equality; sorted here)."""
    return sorted(Assessment.objects(post=post.pk), key=lambda a: (a.year, a.number))


def assess(actor, post, year, number, assessed_on, raw_scores, problems="", rectify_by=None):
    """Record one period's assessment of a post under its scheme as it is now; problems go to the 整改台账."""
    if post.state != "confirmed":
        raise ValidationError(f"该示范岗当前为“{post.state_title}”，不能考评")
    return record_assessment(actor, post.scheme, post, "post", f"{post.kind_title}“{post.title}”", year, number,
                             assessed_on, raw_scores, problems, rectify_by)


def star_state(post, today=None, scheme=None):
    """(stars, taken down?) from the assessments whose publication period is over, under the scheme's rules."""
    today = today or dt.date.today()
    scheme, stars = scheme or post.scheme, 0
    for record in assessments_of(post):
        if record.stands_on and record.stands_on > today:
            continue
        if record.passed:
            stars = min(stars + 1, scheme.max_stars)
        elif scheme.on_fail == "take_down":
            return stars, True
        else:
            stars = max(stars - 1, 0)
    return stars, False


def reward_list(posts, year, today=None):
    """(post, run) for each post with the scheme's number of consecutive passed periods standing in the year."""
    today = today or dt.date.today()
    found = []
    for post in posts:
        if post.state != "confirmed":
            continue
        run = best = 0
        previous = None
        for record in assessments_of(post):
            if record.year != year or (record.stands_on and record.stands_on > today):
                continue
            adjacent = previous is not None and record.number == previous + 1
            run = (run + 1 if adjacent else 1) if record.passed else 0
            previous = record.number
            best = max(best, run)
        if best >= post.scheme.reward_after:
            found.append((post, best))
    return found


def dashboard(user, today=None):
    """What the home page shows of the user's posts: counts by kind and state, those waiting, this year's rewards."""
    today = today or dt.date.today()
    posts = list(access.scope(ModelPost.objects, user).order_by())
    counts = {(kind, state): 0 for kind in ("modelpost", "starpost") for state in STATES}
    for post in posts:
        counts[(post.kind, post.state)] += 1
    waiting = [p for p in posts if p.state == "declared"]
    rewarded = reward_list([p for p in posts if p.kind == "modelpost"], today.year, today)
    return {"counts": counts, "waiting": waiting[:8], "waiting_total": len(waiting), "rewarded": len(rewarded)}


def star_board(organisation, today=None):
    """The approved star posts of an organisation and those below it, as the public board shows them."""
    today = today or dt.date.today()
    rows = []
    for post in sorted(ModelPost.objects(org_path=organisation.pk, kind="starpost", state="confirmed"),
                       key=lambda p: (p.organisation_name or "", p.title)):
        stars, down = star_state(post, today)
        pending = [a for a in assessments_of(post) if a.stands_on and a.stands_on > today]
        if not down:
            rows.append({"post": post, "stars": stars, "full": stars == post.scheme.max_stars, "pending": pending})
    return rows


def year_end(actor, organisation, year, on):
    """授牌命名 at the end of the period: five-star posts are named and awarded, the others marked for re-assessment.

    Run by the level above, per organisation and year, for the approved star posts of the organisation and those
    below it; stars count as they stand on the day (results still in publication do not). Running it again changes
    nothing for posts already decided that year. Returns (awarded posts, posts for re-assessment).
    """
    if on is None:
        raise ValidationError("请填写授牌日期")
    if on.year != year:
        raise ValidationError(f"授牌日期应在{year}年内")
    if not is_above(actor, organisation.pk):
        raise ValidationError("年终授牌命名须由上级党组织办理")
    awarded, reassess = [], []
    for post in sorted(ModelPost.objects(org_path=organisation.pk, kind="starpost", state="confirmed"),
                       key=lambda p: (p.organisation_name or "", p.title)):
        if year in (post.awarded_year, post.reassess_year):
            (awarded if post.awarded_year == year else reassess).append(post)
            continue
        stars, down = star_state(post, on)
        before = audit.snapshot(post)
        if not down and stars >= post.scheme.max_stars:
            post.awarded_year, post.awarded_on, post.awarded_by = year, on, str(actor)
            post.save_checked(post.version, _log(actor, "年终授牌命名", before,
                                                 f"{year}年挂满{stars}星，授牌命名{post.kind_title}“{post.title}”"))
            awarded.append(post)
        else:
            post.reassess_year = year
            post.save_checked(post.version, _log(actor, "列入年底复评", before,
                                                 f"{year}年{'已摘牌' if down else f'{stars}星'}，未挂满"
                                                 f"{post.scheme.max_stars}星，年底复评“{post.title}”"))
            reassess.append(post)
    return awarded, reassess


def awards_of(organisation, year):
    """(awarded, marked for re-assessment) star posts of an organisation and those below it in a year."""
    posts = sorted(ModelPost.objects(org_path=organisation.pk, kind="starpost"),
                   key=lambda p: (p.organisation_name or "", p.title))
    return [p for p in posts if p.awarded_year == year], [p for p in posts if p.reassess_year == year]


def leave_opinion(post, text, contact, address, secret):
    """A member of the public comments on an approved star post; it reaches the branch's clerk and reviewer."""
    from documents.opinion import OpinionRefused, accept
    if post.kind != "starpost" or post.state != "confirmed":
        raise OpinionRefused("该示范岗不在公示榜上")
    return accept(post, "post", text, contact, address, secret)
