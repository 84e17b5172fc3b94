"""The default pledge templates, one organisation and one member template per organisation type."""
from documents.template import ItemRule, PledgeTemplate, TemplateField
from documents.template_versions import save_edit

POLITICAL = ("坚决拥护党的路线方针政策，严守党的政治纪律和政治规矩，认真学习党的创新理论，"
             "按时参加组织生活、交纳党费，带头践行社会主义核心价值观。")
KIND = TemplateField(key="kind", label="承诺类别", type="choice", options_text="政治承诺\n履职承诺\n实事承诺", order=1)

# (key, label, type, section, required, extra) per organisation type and scope
ORG_FIELDS = {
    "社区": [("infrastructure", "基础设施和人居环境改善", "textarea", "实事承诺", True, {}),
            ("vulnerable", "帮扶困难群体", "textarea", "实事承诺", True, {}),
            ("safety", "平安和谐社区创建", "textarea", "履职承诺", False, {})],
    "企业": [("production_target", "年度生产经营目标（万元）", "number", "履职承诺", True, {"min_value": 0}),
            ("worker_rights", "维护职工合法权益", "textarea", "实事承诺", True, {})],
    "事业单位": [("service", "服务群众承诺", "textarea", "履职承诺", True, {}),
              ("training_times", "全年业务培训次数", "number", "履职承诺", False, {"min_value": 0, "max_value": 100})],
    "机关": [("work_style", "作风效能建设", "textarea", "履职承诺", True, {}),
            ("poverty_pairs", "扶贫结对户数", "number", "实事承诺", True, {"min_value": 0})],
    "两新组织": [("law_abiding", "诚信守法经营", "textarea", "履职承诺", True, {}),
             ("staff_help", "为职工群众办实事", "textarea", "实事承诺", True, {})],
}
MEMBER_FIELDS = {
    "社区": [("louyuan", "联系服务楼院", "text", "履职承诺", True, {"max_length": 40,
             "help_text": "如：3号楼1-3单元"}),
            ("pair_target", "结对帮扶对象", "text", "实事承诺", False, {"max_length": 40})],
    "企业": [("production_task", "生产经营任务", "textarea", "履职承诺", True, {})],
    "事业单位": [("skill", "业务能力提升方式", "choice", "履职承诺", True,
              {"options_text": "参加培训\n岗位练兵\n学历提升\n师带徒"})],
    "机关": [("poverty_household", "扶贫结对户（户主姓名）", "text", "实事承诺", True, {"max_length": 20,
             "help_text": "规划到户、责任到人"})],
    "两新组织": [("staff_problem", "帮助职工解决的实际问题", "textarea", "实事承诺", True, {})],
}

# A work unit's in-service members (在职党员) also pledge where they live: a yes/no shown only to them reveals
# the community details. The community's own template needs none: there, the community is where they live.
RESIDENCE = [
    ("reported", "已到居住地社区报到", "bool", "实事承诺", False, {"show_categories": ["在职党员"]}),
    ("home_community", "居住地社区", "text", "实事承诺", True, {"max_length": 40, "show_field": "reported",
                                                               "show_values": "是"}),
    ("home_post", "在居住地认领的服务岗位", "text", "实事承诺", False, {
        "max_length": 40, "show_field": "reported", "show_values": "是", "help_text": "如：楼院长、文明劝导员"}),
]


def _fields(specs, member):
    common = [TemplateField(key="political", label="政治承诺", type="textarea", section="政治承诺",
                            required=True, default=POLITICAL, order=1)]
    if member:
        common.append(TemplateField(key="post_duty", label="岗位职责", type="text", section="履职承诺",
                                    required=True, max_length=60, order=1))
    else:
        common.append(TemplateField(key="consulted", label="已调研走访、征求群众意见", type="bool",
                                    section="政治承诺", order=2))
        common.append(TemplateField(key="practical_count", label="全年为群众办实事件数", type="number",
                                    section="实事承诺", required=True, min_value=1, max_value=100, order=1))
    for order, (key, label, kind, section, required, extra) in enumerate(specs, start=2):
        common.append(TemplateField(key=key, label=label, type=kind, section=section, required=required,
                                    order=order, **extra))
    return common


def load():
    """Create the default templates that do not exist yet (matched by name)."""
    created = 0
    for org_type in ORG_FIELDS:
        for scope, specs, rules in (
            ("org", ORG_FIELDS[org_type], [ItemRule(category="", min_items=3, max_items=15)]),
            ("member", MEMBER_FIELDS[org_type] + (RESIDENCE if org_type != "社区" else []),
             [ItemRule(category="", min_items=2, max_items=6), ItemRule(category="党员领导干部", min_items=3, max_items=8)]),
        ):
            name = f"{org_type}{'党组织' if scope == 'org' else '党员'}公开承诺"
            if PledgeTemplate.objects(name=name).first():
                continue
            save_edit(PledgeTemplate(name=name, scope=scope, org_types=[org_type], fields=_fields(specs, scope == "member"),
                                     item_fields=[KIND], item_rules=rules), None)
            created += 1
    return created
