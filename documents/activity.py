"""Activity schemes: what differs from place to place in model posts, star posts, zones and cards, as settings.

An administrator edits a scheme in the browser: standards, criteria and weights, who rates and
with what weight, the period, the pass mark, the reward and star rules, the veto grounds and the
texts printed on plaques and cards. The typed fields of each system's own form are a template of
the pledge-template engine (form_template), so they get its sections, validation and versions.
Assessments copy the criteria and weights they used, so editing a scheme never rewrites a result.
"""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, EmbeddedDocument, EmbeddedDocumentField, FloatField, IntField,
                         ListField, ReferenceField, StringField, ValidationError)

from documents import audit
from documents.base import VersionedDocument
from documents.calendar import ensure_open
from documents.organisation import OrgOwned, ref_id
from documents.supervision import Rectification
from documents.template import PledgeTemplate

KINDS = {"modelpost": _l("党员示范岗"), "starpost": _l("星级党员示范岗"), "zone": _l("党员责任区"),
         "card": _l("岗位先进性创建卡")}
PERIODS = {"month": _l("每月"), "quarter": _l("每季度"), "year": _l("每年")}
RATERS = {"self": _l("党员自评"), "public": _l("群众测评"), "org": _l("组织考评")}
ON_FAIL = {"remove_star": _l("减一星"), "take_down": _l("摘牌")}
RECTIFY_DAYS = 30


class Criterion(EmbeddedDocument):
    label = StringField(required=True, max_length=40, verbose_name=_l("考评项目"))
    weight = FloatField(required=True, default=1, min_value=0, verbose_name=_l("权重"))


class RaterWeight(EmbeddedDocument):
    rater = StringField(required=True, choices=list(RATERS.items()), verbose_name=_l("评价方"))
    weight = FloatField(required=True, default=1, min_value=0, verbose_name=_l("权重"))


class ActivityScheme(VersionedDocument):
    name = StringField(required=True, max_length=60, verbose_name=_l("方案名称"))
    kind = StringField(required=True, choices=list(KINDS.items()), verbose_name=_l("适用于"))
    standards = ListField(StringField(max_length=200), verbose_name=_l("标准（逐条）"))
    criteria = ListField(EmbeddedDocumentField(Criterion), verbose_name=_l("考评项目及权重"))
    raters = ListField(EmbeddedDocumentField(RaterWeight), verbose_name=_l("评价方及权重"))
    period = StringField(choices=list(PERIODS.items()), default="quarter", verbose_name=_l("考评周期"))
    pass_score = FloatField(default=80, min_value=0, max_value=100, verbose_name=_l("合格分数线"))
    reward_after = IntField(default=2, min_value=1, max_value=12, verbose_name=_l("连续合格几次给予奖励"))
    reward = StringField(max_length=60, default="奖励现金1000元", verbose_name=_l("奖励"))
    max_stars = IntField(default=5, min_value=1, max_value=10, verbose_name=_l("最多星数"))
    on_fail = StringField(choices=list(ON_FAIL.items()), default="remove_star", verbose_name=_l("考评不合格时"))
    publication_days = IntField(default=0, min_value=0, max_value=60, verbose_name=_l("结果公示天数"),
                                help_text=_l("考评结果公示满这些天后才生效；0 表示立即生效"))
    veto_grounds = ListField(StringField(max_length=200), verbose_name=_l("一票否决情形"))
    plaque_title = StringField(max_length=40, verbose_name=_l("标牌（卡片）标题"))
    plaque_text = StringField(max_length=500, verbose_name=_l("标牌（卡片）说明文字"))
    form_template = ReferenceField(PledgeTemplate, verbose_name=_l("登记表模板"),
                                   help_text=_l("在“承诺模板”中编辑它的分组和字段"))
    active = BooleanField(default=True, verbose_name=_l("启用"))

    meta = {"collection": "activity_scheme", "indexes": ["kind"]}

    def __str__(self):
        return self.name

    def clean(self):
        problems = []
        if not self.criteria:
            problems.append("请至少设置一个考评项目")
        if len({c.label for c in self.criteria}) != len(self.criteria):
            problems.append("考评项目名称有重复")
        if not self.raters:
            problems.append("请至少设置一个评价方")
        if len({r.rater for r in self.raters}) != len(self.raters):
            problems.append("评价方有重复")
        if sum(c.weight for c in self.criteria) <= 0 or sum(r.weight for r in self.raters) <= 0:
            problems.append("权重之和必须大于0")
        if problems:
            raise ValidationError("；".join(problems), field_name="criteria")

    def template(self):
        """The current version of this scheme's form template, or None."""
        chosen = self.form_template
        if chosen is None:
            return None
        return PledgeTemplate.objects(family=chosen.family or chosen.pk, current=True).first() or chosen

    def period_of(self, day):
        """The number of the period a day falls in (month, quarter, or 1 for a year)."""
        return {"month": day.month, "quarter": (day.month - 1) // 3 + 1}.get(self.period, 1)

    def period_label(self, year, number):
        return {"month": f"{year}年{number}月", "quarter": f"{year}年第{number}季度"}.get(self.period, f"{year}年度")


def scheme_for(kind):
    """The scheme in use for a kind of activity: the active one first by name."""
    found = sorted(ActivityScheme.objects(kind=kind, active=True), key=lambda s: s.name)
    return found[0] if found else None


def combine(criteria, raters, scores):
    """Weighted total of {(rater, criterion label): 0-100}: criteria within each rater, then raters."""
    crit_total = sum(c.weight for c in criteria)
    rater_total = sum(r.weight for r in raters)
    total = 0.0
    for rater in raters:
        part = sum(c.weight * scores[(rater.rater, c.label)] for c in criteria) / crit_total
        total += rater.weight * part
    return round(total / rater_total, 1)


def read_scores(criteria, raters, raw):
    """Read {(rater, label): text} into numbers 0-100; raise ValidationError naming every bad cell."""
    scores, problems = {}, []
    for rater in raters:
        for crit in criteria:
            text = str(raw.get((rater.rater, crit.label)) or "").strip()
            name = f"{RATERS[rater.rater]}·{crit.label}"
            try:
                value = float(text)
            except ValueError:
                problems.append(f"{name}：请填写0–100的分数" if not text else f"{name}：“{text}”不是数字")
                continue
            if not 0 <= value <= 100:
                problems.append(f"{name}：分数应在0到100之间")
            scores[(rater.rater, crit.label)] = value
    if problems:
        raise ValidationError("；".join(problems))
    return scores


def stands_on(assessed_on, days):
    """The day an assessment's result stands: after its publication period."""
    return assessed_on + dt.timedelta(days=days or 0)


class Cell(EmbeddedDocument):
    rater = StringField(required=True)
    criterion = StringField(required=True)
    value = FloatField(required=True, min_value=0, max_value=100)


class Assessment(OrgOwned, VersionedDocument):
    """One periodic assessment of a post or a zone, with the criteria and weights it was made under."""
    post = ReferenceField("ModelPost", verbose_name=_l("示范岗"))
    zone = ReferenceField("ResponsibilityZone", verbose_name=_l("责任区"))
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    number = IntField(required=True, min_value=1, max_value=12, verbose_name=_l("期次"))
    period_label = StringField(verbose_name=_l("考评期"))
    assessed_on = DateField(required=True, verbose_name=_l("考评日期"))
    criteria = ListField(EmbeddedDocumentField(Criterion))
    raters = ListField(EmbeddedDocumentField(RaterWeight))
    cells = ListField(EmbeddedDocumentField(Cell))
    total = FloatField(verbose_name=_l("综合得分"))
    pass_score = FloatField(verbose_name=_l("合格分数线"))
    passed = BooleanField(verbose_name=_l("合格"))
    stands_on = DateField(verbose_name=_l("公示期满"))
    problems = StringField(max_length=500, verbose_name=_l("发现的问题"))
    assessed_by = StringField(verbose_name=_l("考评人"))
    subject_label = StringField(verbose_name=_l("考评对象"))

    meta = {"collection": "activity_assessment", "indexes": ["post", "zone", "organisation", "org_path"]}

    def __str__(self):
        return f"{self.subject_label} {self.period_label}考评（{'合格' if self.passed else '不合格'}，{self.total:g}分）"

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)


def record_assessment(actor, scheme, subject, field, label, year, number, assessed_on, raw_scores, problems="",
                      rectify_by=None):
    """Record one period's assessment of subject (its `field`: post or zone) under the scheme as it is now.

    Problems found open a line in the existing 整改台账.
    """
    if not 2000 <= year <= 2100 or not 1 <= number <= scheme.period_of(dt.date(year, 12, 31)):
        raise ValidationError("请填写正确的考评年度和期次")
    if Assessment.objects(**{field: subject.pk}, year=year, number=number).first():
        raise ValidationError(f"{scheme.period_label(year, number)}已考评过")
    scores = read_scores(scheme.criteria, scheme.raters, raw_scores)
    total = combine(scheme.criteria, scheme.raters, scores)
    organisation_id = ref_id(subject, "organisation")
    record = Assessment(
        organisation=organisation_id, year=year, number=number, period_label=scheme.period_label(year, number),
        assessed_on=assessed_on, criteria=list(scheme.criteria), raters=list(scheme.raters),
        cells=[Cell(rater=r, criterion=c, value=v) for (r, c), v in scores.items()], total=total,
        pass_score=scheme.pass_score, passed=total >= scheme.pass_score,
        stands_on=stands_on(assessed_on, scheme.publication_days), problems=(problems or "").strip() or None,
        assessed_by=str(actor), subject_label=label, **{field: subject})
    record.save_checked(None, lambda doc: audit.entry(actor, "考评", doc, {}, audit.snapshot(doc),
                                                      organisation_id=organisation_id, summary=str(doc)))
    if record.problems:
        line = Rectification(organisation=organisation_id, problem=f"{label}：{record.problems}",
                             deadline=rectify_by or assessed_on + dt.timedelta(days=RECTIFY_DAYS))
        line.save_checked(None, lambda doc: audit.entry(actor, "列入整改台账", doc, {}, audit.snapshot(doc),
                                                        organisation_id=organisation_id))
    return record
