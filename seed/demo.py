"""Demo data for a street party working committee and five branches; loading it twice adds nothing."""
import datetime as dt
import random

from documents import Member, Organisation, User, Vocabulary, idcard, summary
from documents.evaluation import EvaluationScheme, GradeBand
from seed import activities, pledges, templates

DEMO_PASSWORD = "Demo@2026"

ORGS = [
    # code, name, level, type, parent, secretary, contact
    ("JD01", "城东街道党工委", "党委", "机关", None, "王建国", "0371-66001001"),
    ("SQ01", "幸福里社区党支部", "党支部", "社区", "JD01", "李秀英", "0371-66001101"),
    ("QY01", "城东机械制造有限公司党支部", "党支部", "企业", "JD01", "赵志刚", "0371-66001201"),
    ("SY01", "城东社区卫生服务中心党支部", "党支部", "事业单位", "JD01", "陈静", "0371-66001301"),
    ("JG01", "城东街道办事处机关党支部", "党支部", "机关", "JD01", "刘海涛", "0371-66001401"),
    ("LX01", "城东商贸物流协会联合党支部", "党支部", "两新组织", "JD01", "孙丽华", "0371-66001501"),
]

ACCOUNTS = [
    # username, display name, role, organisation code
    ("admin", "系统管理员", "admin", None),
    ("jd_reviewer", "张明（街道党工委审核人）", "reviewer", "JD01"),
    ("sq_reviewer", "李秀英（社区支部书记）", "reviewer", "SQ01"),
    ("sq_clerk", "周婷（社区组织委员）", "clerk", "SQ01"),
    ("qy_clerk", "吴磊（企业党务干事）", "clerk", "QY01"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["建华", "秀兰", "志强", "丽娟", "国庆", "桂英", "海燕", "文杰", "晓东", "玉梅", "德明", "春花",
         "卫东", "淑珍", "红霞", "永刚", "宏伟", "静怡", "子涵", "明轩", "雅琴", "立新", "振华", "凤英",
         "浩然", "思远", "秋菊", "金凤", "志勇", "爱国", "晓燕", "俊杰", "佳怡", "伟", "敏", "芳", "磊", "洋"]

# Per branch: (category sets, posts) cycled so every branch has leading cadres, in-service members
# who report to 幸福里 community, retired members, a floating member and activists.
PROFILES = [
    (["党员领导干部"], "书记"),
    (["党员领导干部", "在职党员"], "副书记"),
    (["在职党员"], "业务骨干"),
    (["在职党员"], "科员"),
    (["无职党员"], "楼院长"),
    (["离退休"], "退休"),
    (["离退休", "年老体弱"], "退休"),
    (["流动党员"], "外出务工"),
    (["预备党员"], "职工"),
    (["入党积极分子"], "职工"),
    (["非党骨干"], "职工"),
    ([], "职工"),
    (["在职党员"], "技术员"),
]

DUTIES = {
    "社区": "联系服务所在楼院居民，协助做好环境整治和困难群众帮扶",
    "企业": "带头完成生产任务，协助解决职工实际困难",
    "事业单位": "立足岗位提升业务水平，做好面向群众的医疗服务",
    "机关": "履行岗位职责，结对帮扶困难户",
    "两新组织": "带头遵纪守法，帮助会员企业解决实际问题",
}


def fake_id_number(rng, birth):
    """A fictitious but checksum-valid ID number in the 410102 (郑州) area code."""
    first17 = f"410102{birth:%Y%m%d}{rng.randint(100, 999)}"
    return first17 + idcard.check_digit(first17)


def _orgs():
    created = 0
    for code, name, level, org_type, parent_code, secretary, contact in ORGS:
        if Organisation.objects(code=code).first():
            continue
        parent = Organisation.objects(code=parent_code).first() if parent_code else None
        Organisation(code=code, name=name, level=level, org_type=org_type, parent=parent,
                     secretary=secretary, contact=contact).save_checked(None)
        created += 1
    return created


def _members():
    rng = random.Random(20260101)
    community = Organisation.objects(code="SQ01").first()
    created = 0
    for index, (code, _name, _level, org_type, parent_code, _s, _c) in enumerate(ORGS):
        if parent_code is None:
            continue
        org = Organisation.objects(code=code).first()
        for n, (categories, post) in enumerate(PROFILES):
            name = SURNAMES[(index * 7 + n * 3) % len(SURNAMES)] + GIVEN[(index * 5 + n * 7) % len(GIVEN)]
            retired = "离退休" in categories
            birth = dt.date(rng.randint(1944, 1962) if retired else rng.randint(1968, 2001),
                            rng.randint(1, 12), rng.randint(1, 28))
            number = fake_id_number(rng, birth)
            joined = dt.date(min(birth.year + rng.randint(20, 35), dt.date.today().year - 1), rng.randint(1, 12), 1)
            phone = f"139{rng.randint(10000000, 99999999)}"
            if Member.objects(id_number=number).first():
                continue
            if not categories or set(categories) & {"入党积极分子", "非党骨干"}:
                joined = None
            status = "转出" if n == len(PROFILES) - 1 and code == "LX01" else "在册"
            Member(name=name, id_number=number, birth_date=birth, joined_on=joined, organisation=org,
                   post=post, duty=DUTIES[org_type] if "无职党员" not in categories else "楼院联络员：上门走访、收集居民意见",
                   categories=categories, phone=phone,
                   residential_org=community if "在职党员" in categories else None,
                   status=status).save_checked(None)
            created += 1
    return created


def _accounts():
    created = 0
    for username, display_name, role, org_code in ACCOUNTS:
        if User.objects(username=username).first():
            continue
        user = User(username=username, display_name=display_name, role=role,
                    organisation=Organisation.objects(code=org_code).first() if org_code else None)
        user.set_password(DEMO_PASSWORD)
        user.save_checked(None)
        created += 1
    return created


def _scheme():
    """The usual 民主评议党员 grades: 优秀 capped at a third of those evaluated."""
    if EvaluationScheme.objects.first():
        return 0
    EvaluationScheme(name="民主评议党员（四个等次）", bands=[
        GradeBand(label="优秀", min_score=90), GradeBand(label="合格", min_score=75),
        GradeBand(label="基本合格", min_score=60), GradeBand(label="不合格", min_score=0)]).save_checked(None)
    return 1


def load_reference():
    """Load the word lists, default pledge templates and evaluation scheme that are missing (no business data)."""
    summary.mark_built_if_empty()
    return {"词表": Vocabulary.ensure_defaults(), "承诺模板": templates.load(), "评议方案": _scheme(),
            "活动方案": activities.load()}


def load():
    """Load everything missing, then recount the summaries; return how many of each kind were created."""
    reference = load_reference()
    with summary.deferred():  # recounted once below rather than after each of its changes
        report = {
            "词表": reference["词表"],
            "党组织": _orgs(),
            "党员": _members(),
            "账号": _accounts(),
            "承诺模板": reference["承诺模板"],
            "评议方案": reference["评议方案"],
            "活动方案": reference["活动方案"],
            "承诺": pledges.load(),
            "示范岗、责任区与创建卡": activities.load_demo(),
        }
    summary.rebuild()
    return report
