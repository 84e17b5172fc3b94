"""Demo pledges in plausible Chinese for the demo organisations, across states, this year and last."""
import datetime as dt

from documents import Member, Organisation, Pledge, User
from documents.pledging import save_pledge, template_for

ITEMS = {
    "社区": [("组织党员对3号楼至5号楼楼道杂物开展集中清理", "楼院长", "06-30", "楼道整洁、消防通道畅通"),
            ("为辖区12户独居老人每月上门走访一次", "党员志愿者", "12-31", "独居老人有人问、有人帮"),
            ("协调修缮小区东门破损路面", "社区党支部书记", "09-30", "雨天不积水，居民出行安全"),
            ("开展“平安楼院”夜间巡逻", "在职党员", "12-31", "全年无重大治安案件")],
    "企业": [("完成年度产值目标，关键工序合格率达到98%", "生产车间党员", "12-31", "企业效益稳步增长"),
            ("为一线职工解决倒班宿舍热水问题", "党支部", "05-31", "职工满意"),
            ("开展技术比武，带徒两名", "党员技术骨干", "10-31", "培养青年技术工人"),
            ("落实安全生产责任制，每月排查隐患", "安全员", "12-31", "全年零事故")],
    "事业单位": [("开展家庭医生签约服务进社区", "全科医生党员", "12-31", "签约居民满意率达95%"),
              ("每季度举办一次健康讲座", "党支部", "12-31", "居民健康知识知晓率提高"),
              ("为行动不便老人提供上门随访", "护理党员", "12-31", "重点人群随访全覆盖")],
    "机关": [("对结对帮扶户每月走访一次，帮助落实产业项目", "机关党员", "12-31", "帮扶户年收入稳定增长"),
            ("推行“一窗受理”，压缩办事时限", "窗口党员", "08-31", "群众办事少跑腿"),
            ("开展作风纪律专项整治", "机关党支部", "06-30", "服务效率明显提升")],
    "两新组织": [("组织会员企业开展诚信经营承诺", "联合党支部", "07-31", "无失信经营投诉"),
             ("为外来务工人员子女入学提供咨询", "党员志愿者", "08-31", "解决实际困难"),
             ("协调会员企业为职工缴纳社会保险", "党支部书记", "12-31", "职工权益得到保障")],
}
VALUES = {
    "社区": {"infrastructure": "修缮东门路面，增设电动车充电棚", "vulnerable": "建立独居老人、困难家庭联系台账",
            "safety": "组建党员巡逻队", "louyuan": "3号楼1-3单元", "pair_target": "困难户刘大爷"},
    "企业": {"production_target": "5800", "worker_rights": "解决倒班宿舍热水问题", "production_task": "完成本班组年度生产计划"},
    "事业单位": {"service": "家庭医生签约进社区", "training_times": "4", "skill": "岗位练兵"},
    "机关": {"work_style": "推行首问负责和限时办结", "poverty_pairs": "12", "poverty_household": "王树林"},
    "两新组织": {"law_abiding": "组织会员企业签订诚信经营承诺书", "staff_problem": "协调解决工资拖欠问题",
             "staff_help": "为职工子女入学提供咨询"},
}
MEMBER_STATES = ["draft", "submitted", "approved", "published", "fulfilling", "published"]


def _raw(template, org_type, year, count):
    values = {f.key: VALUES[org_type].get(f.key, f.default or "") for f in template.live_fields()}
    values.update({"post_duty": "做好本职工作，发挥先锋模范作用", "practical_count": "6", "consulted": "y",
                   "reported": "y", "home_community": "幸福里社区", "home_post": "楼院文明劝导员"})
    items = [{"content": c, "owner": o, "deadline": f"{year}-{d}", "expected": e, "kind": "实事承诺"}
             for c, o, d, e in (ITEMS[org_type] * 3)[:count]]
    return values, items


def load():
    """Create the demo pledges that are missing; states are set directly for the demo only."""
    clerk = User.objects(username="admin").first()
    year = dt.date.today().year
    created = 0
    for org in Organisation.objects(code__in=["SQ01", "QY01", "SY01", "JG01", "LX01"]):
        for org_year, state in ((year - 1, "evaluated"), (year, "published")):
            if not Pledge.objects(scope="org", organisation=org, year=org_year).first():
                values, items = _raw(template_for(org, None, org_year), org.org_type, org_year, 4)
                _set_state(save_pledge(clerk, organisation=org, year=org_year, raw_values=values, raw_items=items),
                           state)
                created += 1
        members = [m for m in Member.objects(organisation=org, status="在册").order_by("name")
                   if not {"入党积极分子", "非党骨干"} & set(m.categories)]
        for index, member in enumerate(members[:6]):
            if Pledge.objects(scope="member", member=member, organisation=org, year=year).first():
                continue
            leading = "党员领导干部" in member.categories
            template = template_for(org, member, year)
            values, items = _raw(template, org.org_type, year, 3 if leading else 2)
            oral = template.allows_oral(member.categories)
            pledge = save_pledge(clerk, organisation=org, member=member, year=year, raw_values=values,
                                 raw_items=items, oral=oral)
            _set_state(pledge, MEMBER_STATES[index % len(MEMBER_STATES)])
            created += 1
    created += _community_pledges(clerk, year)
    return created


def _community_pledges(clerk, year):
    """In-service members of other branches also pledge at 幸福里 community, where they live."""
    community = Organisation.objects(code="SQ01").first()
    created = 0
    for member in Member.objects(residential_org=community, organisation__ne=community, status="在册")[:3]:
        if Pledge.objects(member=member, organisation=community, year=year).first():
            continue
        values, items = _raw(template_for(community, member, year), "社区", year,
                             3 if "党员领导干部" in member.categories else 2)
        _set_state(save_pledge(clerk, organisation=community, member=member, year=year,
                               raw_values=values, raw_items=items), "published")
        created += 1
    return created


def _set_state(pledge, state):
    Pledge.objects(pk=pledge.pk).update_one(set__state=state)
