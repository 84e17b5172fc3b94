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
