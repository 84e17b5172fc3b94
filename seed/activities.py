"""The activity schemes the seeds describe (004: 党员示范岗, 责任区; 003: 星级党员示范岗, 创建卡), with their forms."""
from documents.activity import ActivityScheme, Criterion, RaterWeight
from documents.template import PledgeTemplate, TemplateField
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
]


def _template(name, scope, fields):
    """The scheme's form, made with the pledge-template engine (created once, matched by name)."""
    found = PledgeTemplate.objects(name=name, current=True).first()
    if found:
        return found
    specs = [TemplateField(key=key, label=label, type=kind, section="岗位信息", required=required, order=order,
                           **extra) for order, (key, label, kind, required, extra) in enumerate(fields, start=1)]
    return save_edit(PledgeTemplate(name=name, scope=scope, org_types=Vocabulary.labels("org_type"),
                                    sections=["岗位信息"], fields=specs, item_rules=[], oral_categories=[]), None)


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
