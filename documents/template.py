"""Pledge templates: the shape of a pledge, configured by the administrator, versioned once used.

A template says whom it is for, holds ordered fields in sections and the extra fields of
each pledge item, and knows how to read and check what a clerk typed (parse_values /
check_items), so the rule for a field lives in one place whatever form or import feeds it.
"""
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, EmbeddedDocument, EmbeddedDocumentField, FloatField, IntField,
                         ListField, ObjectIdField, StringField, ValidationError)

from documents import normalise
from documents.base import VersionedDocument

SCOPES = {"org": _l("党组织公开承诺"), "member": _l("党员公开承诺"), "modelpost": _l("党员示范岗登记表"),
          "starpost": _l("星级党员示范岗申报表"), "zone": _l("党员责任区登记表"), "card": _l("岗位先进性创建卡")}
FIELD_TYPES = {
    "text": _l("单行文本"), "textarea": _l("多行文本"), "number": _l("数字"), "date": _l("日期"),
    "choice": _l("单选"), "multi": _l("多选"), "bool": _l("是/否"), "member": _l("成员"), "org": _l("组织"),
}
DEFAULT_SECTIONS = ["政治承诺", "履职承诺", "实事承诺"]
MEMBER_SCOPES = ("member", "card")  # filled in for one member, whose categories a field's condition may name
CONTROL_TYPES = ("choice", "multi", "bool")  # the kinds of field whose value another field's display may depend on
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_NOT_KEY = re.compile(r"[^a-z0-9]+")


def field_key(label, taken=()):
    """A field code from the Chinese label in pinyin (“服务楼院” → fuwulouyuan), unique among `taken`."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries cost 0.3 s at every process start; few ever need them
    syllables = lazy_pinyin(normalise.line(label), style=Style.NORMAL)
    key = _NOT_KEY.sub("_", "".join(syllables).lower()).strip("_")[:36] or "field"
    key = key if key[0].isalpha() else f"f{key}"[:36]
    candidate, n = key, 2
    while candidate in taken:
        candidate, n = f"{key}_{n}", n + 1
    return candidate
ITEM_COLUMNS = [("content", _l("承诺事项")), ("owner", _l("履行责任人")), ("deadline", _l("完成时限")), ("expected", _l("预期效果"))]


class TemplateField(EmbeddedDocument):
    key = StringField(max_length=40, verbose_name=_l("字段代码"),
                      help_text=_l("留空则按名称的拼音自动生成（如“服务楼院”→ fuwulouyuan）；"
                                   "只含小写字母、数字和下划线"))
    label = StringField(required=True, max_length=60, verbose_name=_l("名称"))
    type = StringField(required=True, choices=list(FIELD_TYPES.items()), default="text", verbose_name=_l("类型"))
    section = StringField(max_length=40, verbose_name=_l("分组"))
    order = IntField(default=0, verbose_name=_l("顺序"))
    required = BooleanField(default=False, verbose_name=_l("必填"))
    options_text = StringField(verbose_name=_l("选项（每行一个）"))
    help_text = StringField(max_length=200, verbose_name=_l("填写说明"))
    max_length = IntField(min_value=1, verbose_name=_l("最多字数"))
    min_value = FloatField(verbose_name=_l("最小值"))
    max_value = FloatField(verbose_name=_l("最大值"))
    min_date = DateField(verbose_name=_l("最早日期"))
    max_date = DateField(verbose_name=_l("最晚日期"))
    default = StringField(max_length=200, verbose_name=_l("默认值"))
    retired = BooleanField(default=False, verbose_name=_l("已停用"),
                           help_text=_l("停用后新填写时不再出现，已填的内容仍然显示"))
    show_categories = ListField(StringField(max_length=40), verbose_name=_l("仅对这些党员类别显示"),
                                help_text=_l("不选表示对所有党员显示"))
    show_field = StringField(max_length=40, verbose_name=_l("当另一字段取某值时显示"),
                             help_text=_l("选择本模板中的一个单选、多选或是/否字段；不选表示总是显示"))
    show_values = StringField(verbose_name=_l("……取这些值时显示（每行一个）"),
                              help_text=_l("是/否字段填“是”或“否”"))

    @property
    def options(self):
        return [line.strip() for line in (self.options_text or "").splitlines() if line.strip()]

    @property
    def wanted_values(self):
        """The values of the other field that make this one shown."""
        return [line.strip() for line in (self.show_values or "").splitlines() if line.strip()]

    def takes(self, value, wanted):
        """True when this field's stored value is one of the wanted texts (a yes/no value reads 是 or 否)."""
        if value is None:
            return False
        texts = [str(v) for v in value] if isinstance(value, list) else [self.display(value)]
        return bool(set(texts) & set(wanted))

    def parse(self, raw):
        """Turn submitted text into a stored value; return (value, Chinese error or None)."""
        empty = raw in (None, "", []) or (isinstance(raw, str) and not raw.strip())
        if empty:
            if self.type == "bool":
                return False, None
            return None, ("此项必填" if self.required else None)
        kind = self.type
        if kind == "bool":
            return str(raw).lower() in ("1", "y", "yes", "true", "on", "是"), None
        if kind == "multi":
            values = raw if isinstance(raw, list) else [raw]
            bad = [v for v in values if v not in self.options]
            return (None, f"“{'、'.join(bad)}”不是可选项") if bad else (values, None)
        text = str(raw).strip()
        if kind == "choice":
            return (text, None) if text in self.options else (None, f"“{text}”不是可选项")
        if kind == "number":
            try:
                number = Decimal(text.replace(",", ""))
            except InvalidOperation:
                return None, "请填写数字"
            if not number.is_finite():
                return None, "请填写数字"
            if self.min_value is not None and number < Decimal(str(self.min_value)):
                return None, f"不能小于 {self.min_value:g}"
            if self.max_value is not None and number > Decimal(str(self.max_value)):
                return None, f"不能大于 {self.max_value:g}"
            return (int(number) if number == number.to_integral_value() else float(number)), None
        if kind == "date":
            try:
                day = normalise.read_date(text).day
            except ValueError as exc:
                return None, str(exc)
            if self.min_date and day < self.min_date:
                return None, f"不能早于 {self.min_date:%Y-%m-%d}"
            if self.max_date and day > self.max_date:
                return None, f"不能晚于 {self.max_date:%Y-%m-%d}"
            return day.isoformat(), None
        if self.max_length and len(text) > self.max_length:
            return None, f"不能超过 {self.max_length} 个字（现有 {len(text)} 个）"
        return text, None

    def display(self, value):
        """The stored value as a clerk reads it."""
        if value is None or value == "" or value == []:
            return ""
        if self.type == "bool":
            return "是" if value else "否"
        if self.type == "multi" and isinstance(value, list):
            return "、".join(str(v) for v in value)
        if self.type == "date":
            day = parse_date(str(value))
            return f"{day.year}年{day.month}月{day.day}日" if day else str(value)
        return str(value)


class ItemRule(EmbeddedDocument):
    category = StringField(max_length=40, verbose_name=_l("党员类别"), help_text=_l("留空表示默认规则"))
    min_items = IntField(default=1, min_value=0, verbose_name=_l("最少条数"))
    max_items = IntField(default=10, min_value=1, verbose_name=_l("最多条数"))


class PledgeTemplate(VersionedDocument):
    name = StringField(required=True, max_length=80, verbose_name=_l("模板名称"))
    scope = StringField(required=True, choices=list(SCOPES.items()), verbose_name=_l("承诺类型"))
    org_types = ListField(StringField(max_length=40), verbose_name=_l("适用组织类型"))
    member_categories = ListField(StringField(max_length=40), verbose_name=_l("适用党员类别"),
                                  help_text=_l("不选表示适用于全部党员"))
    years = ListField(IntField(min_value=2000, max_value=2100), verbose_name=_l("启用年度"),
                      help_text=_l("不填表示每年都可用"))
    sections = ListField(StringField(max_length=40), default=lambda: list(DEFAULT_SECTIONS), verbose_name=_l("分组"))
    fields = ListField(EmbeddedDocumentField(TemplateField), verbose_name=_l("字段"))
    item_fields = ListField(EmbeddedDocumentField(TemplateField), verbose_name=_l("承诺事项的附加字段"))
    item_rules = ListField(EmbeddedDocumentField(ItemRule), verbose_name=_l("承诺事项条数"))
    oral_categories = ListField(StringField(max_length=40), default=lambda: ["离退休", "年老体弱"],
                                verbose_name=_l("可口头承诺的党员类别"))
    active = BooleanField(default=True, verbose_name=_l("启用"))
    family = ObjectIdField()
    number = IntField(default=1, verbose_name=_l("版本"))
    current = BooleanField(default=True, verbose_name=_l("当前版本"))

    meta = {"collection": "pledge_template", "indexes": ["family", ("scope", "current")]}

    def __str__(self):
        return f"{self.name}（第{self.number}版）"

    # -- shape -----------------------------------------------------------------------------
    def live_fields(self):
        """Fields a new form shows, grouped by section in template order."""
        return [f for f in self.ordered_fields() if not f.retired]

    def ordered_fields(self):
        rank = {name: i for i, name in enumerate(self.sections)}
        return sorted(self.fields, key=lambda f: (rank.get(f.section, len(rank)), f.order))

    def grouped(self, fields=None):
        groups = {}
        for field in fields if fields is not None else self.ordered_fields():
            groups.setdefault(field.section or "其他", []).append(field)
        return list(groups.items())

    def field(self, key):
        return next((f for f in self.fields if f.key == key), None)

    def item_limits(self, categories=()):
        """(min, max) pledge items for a member with these categories; the strictest category rule wins."""
        default = next((r for r in self.item_rules if not r.category), None)
        rules = [r for r in self.item_rules if r.category and r.category in categories]
        if rules:
            return max(r.min_items for r in rules), max(r.max_items for r in rules)
        if default:
            return default.min_items, default.max_items
        return 1, 20

    def allows_oral(self, categories):
        return bool(set(self.oral_categories) & set(categories or ()))

    def applies(self, field, values, categories=(), _seen=()):
        """True when the field's conditions hold for a member with these categories and these stored values."""
        if field.show_categories and not set(field.show_categories) & set(categories or ()):
            return False
        if not field.show_field:
            return True
        control = self.field(field.show_field)
        return (control is not None and not control.retired and control.key not in _seen
                and self.applies(control, values, categories, (*_seen, field.key))
                and control.takes(values.get(control.key), field.wanted_values))

    def shown_fields(self, values, categories=(), fields=None):
        """The fields (live ones unless given) that apply to this member and these values."""
        return [f for f in (self.live_fields() if fields is None else fields) if self.applies(f, values, categories)]

    # -- checking ----------------------------------------------------------------------------
    def parse_values(self, raw, categories=()):
        """Read submitted values for the live fields that apply; return (values, {key: error}).

        A field whose condition does not hold (member category, another field's value) is
        neither checked nor kept, whatever was posted for it.
        """
        values, errors = {}, {}
        for field in self.live_fields():
            value, error = field.parse(raw.get(field.key))
            if error:
                errors[field.key] = error
            elif value is not None:
                values[field.key] = value
        shown = {f.key for f in self.shown_fields(values, categories)}
        return ({k: v for k, v in values.items() if k in shown},
                {k: e for k, e in errors.items() if k in shown})

    def merged_values(self, stored, values):
        """New values, keeping the stored ones of fields retired since or gone from the template."""
        kept = {k: v for k, v in (stored or {}).items() if self.field(k) is None or self.field(k).retired}
        return {**kept, **values}

    def parse_items(self, raw_items, categories=()):
        """Read submitted pledge items; return (items, {(index, key): error}, overall error)."""
        items, errors = [], {}
        for index, raw in enumerate(raw_items):
            item = {"content": (raw.get("content") or "").strip(), "owner": (raw.get("owner") or "").strip(),
                    "expected": (raw.get("expected") or "").strip(), "deadline": None, "extra": {}}
            if not any([item["content"], item["owner"], item["expected"], raw.get("deadline")]) and \
                    not any(raw.get(f.key) for f in self.item_fields):
                continue
            if not item["content"]:
                errors[(index, "content")] = "请填写承诺事项"
            if len(item["content"]) > 500:
                errors[(index, "content")] = "承诺事项不能超过500字"
            if raw.get("deadline"):
                try:
                    item["deadline"] = normalise.read_date(str(raw["deadline"])).day
                except ValueError as exc:
                    errors[(index, "deadline")] = str(exc)
            for field in self.item_fields:
                if field.retired:
                    continue
                value, error = field.parse(raw.get(field.key))
                if error:
                    errors[(index, field.key)] = error
                elif value is not None:
                    item["extra"][field.key] = value
            items.append(item)
        low, high = self.item_limits(categories)
        overall = None
        if len(items) < low:
            overall = f"至少要填写 {low} 条承诺事项（现有 {len(items)} 条）"
        elif len(items) > high:
            overall = f"最多填写 {high} 条承诺事项（现有 {len(items)} 条）"
        return items, errors, overall

    def clean(self):
        """Refuse a template a clerk could not fill in; every message names the field."""
        problems = []
        if not self.org_types:
            problems.append("请至少选择一种适用组织类型")
        if len(set(self.sections)) != len(self.sections):
            problems.append("分组名称有重复")
        for group, label in ((self.fields, "字段"), (self.item_fields, "承诺事项附加字段")):
            seen, taken = set(), {(f.key or "").strip() for f in group}
            for field in group:
                field.key = (field.key or "").strip()
                if not field.key:
                    field.key = field_key(field.label, taken)
                    taken.add(field.key)
                name = f"{label}“{field.label or field.key}”"
                if not KEY_PATTERN.match(field.key):
                    problems.append(f"{name}的字段代码“{field.key}”无效：须以小写字母开头，只含小写字母、数字、下划线")
                if field.key in seen:
                    problems.append(f"{label}代码“{field.key}”重复")
                seen.add(field.key)
                if group is self.fields and field.section and field.section not in self.sections:
                    problems.append(f"{name}所在分组“{field.section}”不存在")
                if field.type in ("choice", "multi") and not field.options:
                    problems.append(f"{name}是选择题，但没有填写选项")
                if field.min_value is not None and field.max_value is not None and field.min_value > field.max_value:
                    problems.append(f"{name}的最小值大于最大值")
                if field.min_date and field.max_date and field.min_date > field.max_date:
                    problems.append(f"{name}的最早日期晚于最晚日期")
                if field.default and field.type in ("choice",) and field.default not in field.options:
                    problems.append(f"{name}的默认值不在选项中")
        conditions = {f"fields-{i}-{part}": f"字段“{f.label or f.key}”的显示条件：{problem}"
                      for i, f in enumerate(self.fields) for part, problem in self._condition_problems(f)}
        for rule in self.item_rules:
            if rule.min_items is not None and rule.max_items is not None and rule.min_items > rule.max_items:
                problems.append(f"承诺事项条数规则“{rule.category or '默认'}”的最少条数大于最多条数")
        if problems or conditions:
            # Each condition problem is also keyed by its field's place in the list, so the editor shows it there.
            raise ValidationError("；".join([*problems, *conditions.values()]), field_name="fields",
                                  errors={**({"fields": ValidationError("；".join(problems))} if problems else {}),
                                          **{k: ValidationError(m, field_name=k) for k, m in conditions.items()}})

    def _condition_problems(self, field):
        """[(part, problem)] of what is wrong with the field's display conditions."""
        problems = []
        if field.show_categories and self.scope not in MEMBER_SCOPES:
            kind = SCOPES.get(self.scope, self.scope)
            problems.append(("show_categories", f"“{kind}”不是为某位党员填写的，不能按党员类别显示"))
        value_problem = self._value_condition_problem(field)
        return problems + ([("show_field", value_problem)] if value_problem else [])

    def _value_condition_problem(self, field):
        """What is wrong with the field's 'shown when another field has a value' condition, or None."""
        if not field.show_field:
            return "填写了取值，但没有选择依据的字段" if field.wanted_values else None
        control = self.field(field.show_field)
        if control is None:
            return f"依据的字段“{field.show_field}”不存在"
        if control is field:
            return "不能依据字段自己"
        if control.retired:
            return f"依据的字段“{control.label}”已停用"
        if control.type not in CONTROL_TYPES:
            return f"依据的字段“{control.label}”不是单选、多选或是/否字段"
        allowed = ["是", "否"] if control.type == "bool" else control.options
        if not field.wanted_values:
            return f"没有填写“{control.label}”取哪些值时显示"
        bad = [v for v in field.wanted_values if v not in allowed]
        if bad:
            return f"“{'、'.join(bad)}”不是“{control.label}”的可选值（{'、'.join(allowed)}）"
        chain, current = [field], control
        while current is not None and current not in chain:
            chain.append(current)
            current = self.field(current.show_field) if current.show_field else None
        if current is field:
            return "循环：" + " → ".join(f"“{f.label}”" for f in [*chain, field])
        return None


def categories_of(record):
    """The member categories a record's field conditions read: its member's, when it is filled in for one member."""
    member = getattr(record, "member", None)
    return member.categories if member else ()


def parse_date(text):
    """A typed date, or None when it is blank or cannot be read (documents/normalise.py says why)."""
    try:
        read = normalise.read_date(text)
    except ValueError:
        return None
    return read.day if read else None


def applicable(scope, org_type, categories=(), year=None):
    """The current template for a pledge of this kind; one naming the member's category wins."""
    candidates = [t for t in PledgeTemplate.objects(scope=scope, current=True, active=True)
                  if org_type in t.org_types and (not t.years or year is None or year in t.years)]
    specific = [t for t in candidates if t.member_categories and set(t.member_categories) & set(categories)]
    general = [t for t in candidates if not t.member_categories]
    return (sorted(specific, key=_by_name) or sorted(general, key=_by_name) or [None])[0]


def _by_name(template):
    return template.name, -template.number
