"""The activity schemes the seeds describe (004: 党员示范岗, 责任区; 003: 星级党员示范岗, 创建卡), with their forms,
and a few demo records of each system."""
import datetime as dt

from documents import Member, Organisation, User, audit
from documents.activity import KINDS, ActivityScheme, Criterion, RaterWeight, scheme_for
from documents.card import CardRecord, MemberCard
from documents.modelpost import ModelPost, approve, assess, confirm, not_party_members
from documents.organisation import ref_id
from documents.zone import Duty, ResponsibilityZone, write_log
from documents.template import PledgeTemplate, TemplateField, categories_of
from documents.template_versions import save_edit
from documents.vocabulary import Vocabulary

SIX_STANDARDS = [
    "热爱本职，责任心强，工作业绩突出",
    "熟悉政策，精通业务，具有较高的政策和业务水平",
    "依法行政，秉公办事",
    "遵纪守法，廉洁自律，无不良行为记录",
    "脚踏实地，办事高效，深受群众和领导好评",
    "举止端庄，文明礼貌，服务热情周到",
]
VETO_GROUNDS = [
    "岗位出现了重大违法违纪、违反党和国家政策与机关制度的人和事",
    "在管理和服务中发生重大责任事故",
    "发生群众反映强烈，经查证情况属实的不良现象和事件",
    "其它严重影响党员示范岗形象的情况",
]
STAR_CRITERIA = ["政治思想", "工作业绩", "优质服务", "示范作用"]
ZONE_CRITERIA = [
    "是否围绕中心工作，充分发挥了党的先进性作用",
    "是否采取有效举措，真正帮助基层党组织解决了实际问题",
    "是否强化组织功能，提高了服务人民群众的能力",
]
ZONE_DUTIES = [
    "密切联系群众，开展“访基层群众、问干部作风”意见征集，及时沟通疏导思想问题",
    "做好责任区内入党积极分子的联系、教育培养、帮助、考察工作",
    "协助所在党组织的工作，确保党建和行政工作在责任区内顺利开展",
    "把责任区建成互相关心、互相帮助、团结协作的集体",
]

# name, template scope, fields (key, label, type, required, extra), scheme settings
SCHEMES = [
    ("党员示范岗（六个标准）", "modelpost", [
        ("duty", "岗位职责", "textarea", True, {}),
        ("office", "办公室或股室", "text", False, {"max_length": 40}),
    ], {"standards": SIX_STANDARDS, "veto_grounds": VETO_GROUNDS, "period": "quarter", "pass_score": 80,
        "criteria": [Criterion(label="对照六个标准的表现", weight=1)],
        "raters": [RaterWeight(rater="public", weight=0.6), RaterWeight(rater="org", weight=0.4)],
        "reward_after": 2, "reward": "奖励现金1000元", "publication_days": 0,
        "plaque_title": "共产党员示范岗",
        "plaque_text": "树立开拓进取、创新发展的“领跑形象”；立足岗位、扎实工作的“敬业形象”；"
                       "心系百姓、服务群众的“奉献形象”；严格自律、勤政廉政的“公仆形象”。"}),
    ("星级党员示范岗（一月一考评）", "starpost", [
        ("window", "服务窗口或科室", "text", True, {"max_length": 40}),
        ("duty", "岗位职责", "textarea", False, {}),
    ], {"standards": ["示范员", "服务员", "引导员", "宣传员"], "period": "month", "pass_score": 80,
        "criteria": [Criterion(label=label, weight=0.25) for label in STAR_CRITERIA],
        "raters": [RaterWeight(rater="self", weight=0.2), RaterWeight(rater="public", weight=0.4),
                   RaterWeight(rater="org", weight=0.4)],
        "max_stars": 5, "on_fail": "remove_star", "publication_days": 5, "reward_after": 5,
        "reward": "挂满五星，统一授牌命名和表彰奖励", "veto_grounds": VETO_GROUNDS,
        "plaque_title": "星级党员示范岗", "plaque_text": "亮牌上岗，示范服务；佩章上岗，接受监督。"}),
    ("党员责任区（全员覆盖、不留空白）", "zone", [
        ("scope", "责任范围", "textarea", False, {}),
    ], {"standards": ZONE_DUTIES, "period": "year", "pass_score": 80,
        "criteria": [Criterion(label=label, weight=1) for label in ZONE_CRITERIA],
        "raters": [RaterWeight(rater="org", weight=1)], "reward_after": 1, "reward": "",
        "plaque_title": "党员责任区责任标牌", "plaque_text": "群众有事找党员：根据责任标牌找到责任党员。"}),
    ("岗位先进性创建卡（提、议、定）", "card", [
        ("five_good", "争当“五好”党员的目标", "multi", False,
         {"options_text": "学习好\n思想好\n工作好\n纪律好\n作风好"}),
        ("post", "创建岗位", "text", True, {"max_length": 40}),
    ], {"standards": ["党员提标准", "群众议标准", "组织定标准"], "period": "year", "pass_score": 75,
        "criteria": [Criterion(label="达标情况", weight=1)],
        "raters": [RaterWeight(rater="self", weight=1), RaterWeight(rater="public", weight=1),
                   RaterWeight(rater="org", weight=1)], "reward_after": 1, "reward": "",
        "plaque_title": "党员岗位先进性创建卡",
        "plaque_text": "三个卡在教育活动结束后存入党员档案，作为评价其表现的重要依据。"}),
]


def _template(name, scope, fields):
    """The scheme's form, made with the pledge-template engine (created once, matched by name)."""
    found = PledgeTemplate.objects(name=name, current=True).first()
    if found:
        return found
    specs = [TemplateField(key=key, label=label, type=kind, section="基本信息", required=required, order=order,
                           **extra) for order, (key, label, kind, required, extra) in enumerate(fields, start=1)]
    return save_edit(PledgeTemplate(name=name, scope=scope, org_types=Vocabulary.labels("org_type"),
                                    sections=["基本信息"], fields=specs, item_rules=[], oral_categories=[]), None)


def load():
    """Create the schemes that do not exist yet (matched by name)."""
    created = 0
    for name, kind, fields, settings in SCHEMES:
        if ActivityScheme.objects(name=name).first():
            continue
        form = _template(f"{name}登记表", kind, fields)
        ActivityScheme(name=name, kind=kind, form_template=form, **settings).save_checked(None)
        created += 1
    return created


def _party_members(code):
    """The party members on the roll of a demo branch, in roll order (activists and non-party staff left out)."""
    return [m for m in Member.objects(organisation=Organisation.objects(code=code).first(), status="在册")
            if not not_party_members([m])]


def _new(actor, record, raw):
    """Store a new record with its template's typed values and a 新建 audit entry, as the admin form does."""
    template = record.scheme.template()
    values, errors = template.parse_values(raw, categories_of(record))
    if errors:
        raise ValueError(errors)
    record.template, record.values = template, values
    record.save_checked(None, lambda doc: audit.entry(actor, "新建", doc, {}, audit.snapshot(doc),
                                                      organisation_id=ref_id(doc, "organisation")))
    return record


def _all_scores(scheme, score):
    return {(r.rater, c.label): str(score) for r in scheme.raters for c in scheme.criteria}


def load_demo():
    """A few live records of each system, made by the operations the pages use; nothing is added twice."""
    if ModelPost.objects(title="楼院调解岗").first():
        return 0
    users = {u.username: u for u in User.objects(username__in=["sq_clerk", "jd_reviewer", "admin"])}
    clerk, street = users["sq_clerk"], users["jd_reviewer"]
    today = dt.date.today()
    schemes = {kind: scheme_for(kind) for kind in KINDS}
    org = {code: Organisation.objects(code=code).first() for code in ("SQ01", "QY01", "SY01", "JG01")}
    # An individual post confirmed by the members' vote, with last quarter assessed and passed.
    quarter_start = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last_quarter = quarter_start - dt.timedelta(days=1)
    post = _new(clerk, ModelPost(organisation=org["SQ01"], scheme=schemes["modelpost"], title="楼院调解岗",
                                 members=_party_members("SQ01")[-1:], motto="邻里有事找我，小事不出楼院",
                                 standards_met=list(schemes["modelpost"].standards)),
                {"duty": "调解邻里纠纷，收集楼院居民意见", "office": "社区调解室"})
    confirm(clerk, post, last_quarter.replace(day=1) - dt.timedelta(days=60), votes_for=11, votes_cast=13)
    assess(clerk, post, last_quarter.year, (last_quarter.month - 1) // 3 + 1, last_quarter - dt.timedelta(days=5),
           {**_all_scores(schemes["modelpost"], 92), ("org", "对照六个标准的表现"): "88"})
    # A collective post of an office, declared and waiting for the leadership's decision.
    _new(users["admin"], ModelPost(organisation=org["JG01"], scheme=schemes["modelpost"], title="便民服务大厅",
                                   collective=True, members=_party_members("JG01")[2:4],
                                   standards_met=list(schemes["modelpost"].standards)),
         {"duty": "一窗受理、限时办结、首问负责", "office": "便民服务大厅"})
    # A star window approved by the street, its last month assessed and standing: one star on the public board.
    star = _new(users["admin"], ModelPost(organisation=org["SY01"], scheme=schemes["starpost"], title="导诊服务台",
                                          members=_party_members("SY01")[2:3], motto="多问一句，多走一步，让患者少跑一趟"),
                {"window": "门诊大厅导诊台", "duty": "导诊分诊、预约挂号、老年人就医帮办"})
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    approve(street, star, last_month.replace(day=1), "同意创建")
    assess(street, star, last_month.year, last_month.month, last_month.replace(day=15),
           _all_scores(schemes["starpost"], 90))
    # A zone with its head, tasks and duties, and one entry in its work log.
    workers = _party_members("QY01")
    zone = _new(users["admin"], ResponsibilityZone(
        organisation=org["QY01"], scheme=schemes["zone"], section="装配车间", name="总装一线", head=workers[0],
        tasks="安全生产、质量把关、帮带青年职工",
        duties=[Duty(member=workers[0], duty="全车间安全生产巡查和隐患整改"),
                Duty(member=workers[2], duty="总装线关键工序质量把关"),
                Duty(member=workers[3], duty="结对帮带两名青年职工")]),
        {"scope": "总装一线及配套仓库"})
    write_log(users["admin"], zone, today - dt.timedelta(days=3), "巡查总装线，整改安全隐患2处，更换破损防护栏1段",
              author=workers[0].name)
    # One member's three cards: standard proposed, discussed, fixed and posted; one record against it.
    member = _party_members("JG01")[0]
    _new(users["admin"], MemberCard(
        organisation=org["JG01"], member=member, year=today.year, scheme=schemes["card"],
        proposed="窗口办件当日受理、限时办结，群众满意率不低于95%", proposed_on=dt.date(today.year, 1, 10),
        public_views="希望午休时间也能办理", fixed="窗口办件当日受理、限时办结，午间轮岗不断档，群众满意率不低于95%",
        fixed_on=dt.date(today.year, 1, 20), posted_on=dt.date(today.year, 1, 22),
        records=[CardRecord(on=dt.date(today.year, 1, 31), text="本月办件126件，全部按时办结")]),
        {"post": "便民服务窗口", "five_good": ["工作好", "作风好"]})
    return 5
