"""Audit entries as a clerk reads them: one Chinese sentence and the fields that changed, old → new.

The one renderer of the audit list, every timeline, the resubmission diff and the audit
spreadsheet. Labels are the documents' Chinese verbose names (a pledge's values and item
fields by their template's labels), ids become names, states their titles, dates 2026年6月30日;
a key nobody could read (an English name with no label, an id) is left out, never shown raw.
"""
import datetime as dt
import re
from dataclasses import dataclass, field as dataclass_field

from bson import ObjectId
from flask_babel import gettext as _
from mongoengine import (BooleanField, DateField, DateTimeField, EmbeddedDocumentField, ListField,
                         ObjectIdField, ReferenceField)
from mongoengine.base.common import _document_registry

from documents import audit
from documents.base import cn_date
from documents.organisation import Organisation, ref_id
from documents.pledge import STATE_TITLES, Pledge, State
from documents.supervision import SupervisionNote
from documents.template import ITEM_COLUMNS, PledgeTemplate

# What each kind of record is called; a kind missing here reads as "记录".
RECORD_TYPES = {
    "organisation": "党组织", "member": "党员", "user": "账号", "vocabulary": "词表", "import_batch": "花名册导入",
    "pledge_template": "承诺模板", "pledge": "承诺", "progress": "践诺进度", "supervision_round": "季度督诺",
    "rectification": "整改台账", "leader_comment": "点评台帐", "evaluation_round": "评诺",
    "evaluation_scheme": "评议方案", "year_closing": "年度归档", "publication_deadline": "公示期限",
    "opinion": "群众意见", "attachment": "附件", "work_window": "提诺与评诺时间", "suggestion": "居民点单",
    "model_post": "党员示范岗", "responsibility_zone": "党员责任区", "zone_log": "责任区记录",
    "member_card": "岗位先进性创建卡", "activity_scheme": "示范岗与责任区方案", "activity_assessment": "考评记录",
    "site_settings": "系统设置", "notice": "催办提醒",
}

# How each action reads after "谁 于 何时": {obj} is the record's label, {type} its kind.
PHRASES = {
    "新建": "新建了{type}“{obj}”", "修改": "修改了{type}“{obj}”", "删除": "删除了{type}“{obj}”",
    "新建承诺": "新建了 {obj}", "修改承诺": "修改了 {obj}", "提交审核": "提交了 {obj}",
    "审核通过": "审核通过了 {obj}", "退回修改": "退回了 {obj}，要求修改", "签订备案": "签订并备案了 {obj}",
    "公示": "公示了 {obj}", "开始践诺": "开始践行 {obj}", "已兑现": "确认 {obj} 已兑现",
    "未按期兑现": "登记 {obj} 未按期兑现", "因客观原因未兑现": "登记 {obj} 因客观原因未兑现",
    "评议完成": "完成了 {obj} 的评议", "退回重审": "退回重审了 {obj}", "登记进度": "为 {obj} 登记了进度",
    "收到群众意见": "对 {obj} 提出了意见", "列入整改台账": "把“{obj}”列入整改台账",
    "挂牌销号": "为“{obj}”挂牌销号", "导入花名册": "{obj}", "导入花名册修改": "导入花名册时修改了{type}“{obj}”", "修改密码": "修改了“{obj}”的密码",
    "解除锁定": "{obj}", "撤销年度归档": "撤销了“{obj}”", "公布评诺结果": "公布了“{obj}”的结果",
    "发放群众参评选票": "为“{obj}”发放了群众参评选票",
    "年度结转：延用模板": "在年度结转中把承诺模板“{obj}”延用到下一年",
    "年度结转：复制": "在年度结转中把{type}“{obj}”复制到下一年",
    "年度结转：未完成事项": "在年度结转中把上一年未完成的事项结转到 {obj}",
}

# Keys that are bookkeeping, copies of other fields, or secrets: never shown.
HIDDEN = {"_id", "id", "org_path", "ancestors", "version", "created_at", "updated_at", "search_text", "claim",
          "password_hash", "session_generation", "entered_by_id", "family", "attachment", "organisation_name",
          "member_name", "template_name", "pledge_label", "scheme_name", "org_type", "member_categories",
          "sender", "current", "number"}
# Labels for fields that have no verbose name of their own.
LABELS = {"recorded_by": "登记人", "attachment_name": "附件", "reviewer": "审核人", "outcome": "结论",
          "guidance": "意见", "checklist": "审诺要点", "at": "时间"}
OUTCOMES = {"approve": "通过", "return": "退回修改", "reopen": "退回重审"}
SCOPES = {"org": "党组织", "member": "党员"}
ROW_LIMIT = 5  # rows shown at once; the rest fold away so a long entry never blows the page up
FOLD_CREATED = 10  # a record created with more fields than this shows them all folded

_CJK = re.compile(r"[\u3400-\u9fff]")
_HEX_ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Rendered:
    at: dt.datetime
    when: str
    actor: str
    record_type: str
    organisation: str
    sentence: str
    changes: list = dataclass_field(default_factory=list)
    created: bool = False  # a record made with many fields: they all fold away behind the sentence

    @property
    def shown(self):
        return [] if self.created else self.changes[:ROW_LIMIT]

    @property
    def folded(self):
        return self.changes if self.created else self.changes[ROW_LIMIT:]

    def changes_text(self):
        """The changes as lines of text, for a spreadsheet cell."""
        return "\n".join(f"{c.label}：{c.old or '（空）'} → {c.new or '（空）'}" for c in self.changes)


def local_time(at):
    """A stored UTC time in the server's local time."""
    return at.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None) if at else None


def cn_minute(at):
    """2026年6月3日 09:31, for a time already in local time."""
    return f"{cn_date(at)} {at:%H:%M}" if at else ""


class Names:
    """Names of referenced records: those an entry was stamped with, else each loaded once by `_id` equality."""

    def __init__(self, known=None):
        self._found = {}
        self._stamped = known or {}  # {id: name} of the entry being rendered (or what a builder already knows)
        self._labels = {}

    def learn(self, entry):
        """Name records as the entry about to be rendered was stamped when written."""
        self._stamped = getattr(entry, "names", None) or {}

    def of(self, document, pk):
        if str(pk) in self._stamped:
            return self._stamped[str(pk)]
        key = (document.__name__, str(pk))
        if key not in self._found:
            found = document.objects(pk=ObjectId(str(pk))).no_dereference().first() if ObjectId.is_valid(str(pk)) \
                else None
            self._found[key] = (getattr(found, "name", None) or str(found)) if found is not None else ""
        return self._found[key]

    def label(self, cls, key):
        """A field's Chinese name (see _label), translated once per renderer: a page of entries asks ~900 times."""
        if (cls, key) not in self._labels:
            self._labels[cls, key] = _label(cls, key)
        return self._labels[cls, key]

    def template(self, entry):
        """The template of a pledge's entry: the one named in the entry, stamped on it, else the pledge's own."""
        template_id = ((entry.after or {}).get("template") or (entry.before or {}).get("template")
                       or getattr(entry, "template_id", None))
        if template_id is None:  # an entry written before templates were stamped
            pledge = Pledge.objects(pk=entry.record_id).only("template").no_dereference().first()
            template_id = ref_id(pledge, "template") if pledge else None
        key = ("template", str(template_id))
        if key not in self._found:
            self._found[key] = PledgeTemplate.objects(pk=ObjectId(str(template_id))).first() if template_id else None
        return self._found[key]


class _Stamping(Names):
    """Names as an entry is written: keeps those it gave; pledge content needs no template to find them."""

    def __init__(self, known=None):
        super().__init__(known)
        self.named = {}

    def of(self, document, pk):
        name = self.named[str(pk)] = super().of(document, pk)
        return name

    def template(self, entry):
        return None


def names_in(entry, known=None):
    """{id: name} of every record an entry's changes name, looked up when it is written (unless known) so lists never do."""
    names = _Stamping(known)
    entry_changes(entry, names)
    return names.named


def document_of(collection):
    """The document class stored in a collection, or None."""
    for cls in list(_document_registry.values()):
        if not cls._meta.get("abstract") and cls._meta.get("collection") == collection:
            return cls
    return None


def render(entry, names=None):
    """One audit entry as a sentence and its changed fields."""
    names = names or Names()
    names.learn(entry)
    at = local_time(entry.at)
    kind = RECORD_TYPES.get(entry.collection, "记录")
    obj = entry.summary or kind
    phrase = PHRASES.get(entry.action)
    what = phrase.format(obj=obj, type=kind) if phrase else f"{entry.action}：{obj}"
    actor, changes = entry.actor or "系统", entry_changes(entry, names)
    org = entry.organisation_name or (names.of(Organisation, entry.organisation_id) if entry.organisation_id else "")
    return Rendered(at=at, when=cn_minute(at), actor=actor, record_type=kind, organisation=org,
                    sentence=_("%(who)s 于 %(when)s %(what)s", who=actor, when=cn_minute(at), what=what),
                    changes=changes, created=not entry.before and len(changes) > FOLD_CREATED)


def entry_changes(entry, names):
    """The changed fields of an entry: pledge content through its template, everything else by its document."""
    before, after = entry.before or {}, entry.after or {}
    cls = document_of(entry.collection)
    changes = []
    for key in _ordered_keys(cls, before, after):
        if entry.collection == "pledge" and key in ("values", "items"):
            continue
        changes += _diff(names.label(cls, key), _field(cls, key), before.get(key), after.get(key), names, key)
    if entry.collection == "pledge" and ({"values", "items"} & (set(before) | set(after))):
        template = names.template(entry)
        changes += content_changes(template, before.get("values") or {}, _flat_items(before.get("items")),
                                   after.get("values") or {}, _flat_items(after.get("items")))
    if not before:  # a new record: what it was created with, without the empty and "否" defaults
        changes = [c for c in changes if c.new not in ("", "否")]
    return changes


def content_changes(template, old_values, old_items, new_values, new_items):
    """Every changed template value and item field of a pledge, old vs new (items as content_snapshot gives them)."""
    changes = []
    keys = [f.key for f in template.ordered_fields()] if template else []
    keys += sorted(k for k in set(old_values) | set(new_values) if k not in keys)
    for key in keys:
        field = template.field(key) if template else None
        old, new = old_values.get(key), new_values.get(key)
        old_text, new_text = (field.display(old), field.display(new)) if field else (_plain(old), _plain(new))
        if old_text != new_text and (field or _CJK.search(key)):
            changes.append(Change(field.label if field else key, old_text, new_text))
    columns = [(key, str(label), None) for key, label in ITEM_COLUMNS]
    columns += [(f.key, f.label, f) for f in (template.item_fields if template else ())]
    for index in range(max(len(old_items), len(new_items))):
        old = old_items[index] if index < len(old_items) else {}
        new = new_items[index] if index < len(new_items) else {}
        for key, label, field in columns:
            show = field.display if field else (_cn_date_text if key == "deadline" else _plain)
            old_text, new_text = show(old.get(key)), show(new.get(key))
            if old_text != new_text:
                where = f"第{index + 1}条承诺事项"
                changes.append(Change(where if key == "content" else f"{where}·{label}", old_text, new_text))
    return changes


def _flat_items(items):
    """Stored items ({…, "extra": {…}}) flattened the way content_snapshot keeps them."""
    return [{**{k: v for k, v in item.items() if k != "extra"}, **(item.get("extra") or {})}
            for item in items or () if isinstance(item, dict)]


def _ordered_keys(cls, before, after):
    """Keys in the document's field order, then the others as they were written."""
    order = list(cls._fields) if cls else []
    return [k for k in order if k in before or k in after] + [k for k in dict.fromkeys([*after, *before])
                                                                if k not in order]


def _field(cls, key):
    return cls._fields.get(key) if cls is not None and hasattr(cls, "_fields") else None


def _label(cls, key):
    """A field's Chinese name, or None when it has none a clerk could read."""
    if key in HIDDEN:
        return None
    verbose = getattr(_field(cls, key), "verbose_name", None)
    if verbose is not None and str(verbose):
        return str(verbose)
    if key in LABELS:
        return LABELS[key]
    return str(key) if _CJK.search(str(key)) else None


def _diff(label, field, old, new, names, key):
    """[Change] for one field, descending into embedded records, dictionaries and lists of them."""
    if label is None or old == new:
        return []
    inner = getattr(field, "field", None) if isinstance(field, ListField) else None
    if isinstance(old, list) or isinstance(new, list):
        old, new = old or [], new or []
        if all(isinstance(v, dict) for v in old + new):
            sub = inner.document_type if isinstance(inner, EmbeddedDocumentField) else None
            changes = []
            for index in range(max(len(old), len(new))):
                changes += _diff_dict(f"{label}第{index + 1}条", sub, old[index] if index < len(old) else {},
                                      new[index] if index < len(new) else {}, names)
            return changes
    if isinstance(old, dict) or isinstance(new, dict):
        if key in ("checklist", "审核要点"):
            return _change(label, _checklist(old), _checklist(new))
        sub = field.document_type if isinstance(field, EmbeddedDocumentField) else None
        return _diff_dict(label, sub, old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {},
                          names)
    return _change(label, _text(field, old, names, key), _text(field, new, names, key))


def _diff_dict(label, sub, old, new, names):
    changes = []
    for key in _ordered_keys(sub, old, new):
        name = names.label(sub, key)
        if name is not None:
            changes += _diff(f"{label}·{name}", _field(sub, key), old.get(key), new.get(key), names, key)
    return changes


def _change(label, old, new):
    return [Change(label, old, new)] if old != new else []


def _checklist(marks):
    return "　".join(f"{'☑' if ok else '☐'}{c}" for c, ok in (marks or {}).items())


def _text(field, value, names, key):
    """One stored value as a clerk reads it."""
    if value is None or value == "" or value == []:
        return ""
    target = _reference(field, key)
    if target is not None:
        return names.of(target, value)
    if isinstance(field, ListField):
        return "、".join(t for t in (_text(field.field, v, names, key) for v in value) if t)
    if isinstance(field, BooleanField) or isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(field, DateField) or (key and key.endswith(("_on", "deadline")) and isinstance(value, str)):
        return _cn_date_text(value)  # before DateTimeField, of which MongoEngine's DateField is a kind
    if isinstance(field, DateTimeField):
        moment = _parse_moment(value)
        return cn_minute(local_time(moment)) if moment else str(value)
    if key == "item_index" and isinstance(value, int):
        return f"第{value + 1}条"
    if key == "percent" and isinstance(value, int):
        return f"{value}%"
    if key == "state" and value in {s.value for s in State}:
        return str(STATE_TITLES[State(value)])
    if key in ("outcome", "结论") and value in OUTCOMES:
        return OUTCOMES[value]
    if key == "scope" and value in SCOPES:
        return SCOPES[value]
    choices = getattr(field, "choices", None) or ()
    titles = {c[0]: str(c[1]) for c in choices if isinstance(c, (list, tuple))}
    if value in titles:
        return titles[value]
    if isinstance(value, dict):
        return "；".join(f"{k}：{_plain(v)}" for k, v in value.items() if _CJK.search(str(k)))
    text = _plain(value)
    return "" if _HEX_ID.match(text) else text


def _reference(field, key):
    """The document a reference (or an `…_id` holding one) points at, or None."""
    if isinstance(field, ReferenceField):
        return field.document_type
    if isinstance(field, ObjectIdField) and key in ("organisation_id", "organisation"):
        return Organisation
    return None


def _parse_moment(value):
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _cn_date_text(value):
    """'2026-06-30', '2026-06-30 00:00:00' or a date as 2026年6月30日."""
    if not value:
        return ""
    if isinstance(value, dt.date):
        return cn_date(value)
    try:
        return cn_date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def timeline(doc):
    """A record's audit entries as sentences, oldest first."""
    names = Names()
    return [render(e, names) for e in audit.timeline(doc)]


def pledge_story(pledge, notes=()):
    """A pledge's timeline, oldest first: its entries and its progress', rectifications' and opinions', with notes."""
    names = Names()
    entries = audit.AuditEntry.objects
    found = {e.pk: e for query in (entries(record_id=pledge.pk), entries(pledge_id=pledge.pk)) for e in query}
    story = [render(e, names) for e in found.values()] + [_note(round_, note, names) for round_, note in notes]
    return sorted(story, key=lambda r: r.at)


def _note(round_, note, names):
    """One supervision note on a pledge, dated the day its round was held."""
    day = round_.held_on
    rows = [Change(str(field.verbose_name), "", _text(field, getattr(note, key), names, key))
            for key, field in SupervisionNote._fields.items()
            if key in ("highlight", "criticised", "problem", "rectify_by") and getattr(note, key)]
    return Rendered(at=dt.datetime.combine(day, dt.time()), when=cn_date(day), actor="",
                    record_type=RECORD_TYPES["supervision_round"], organisation=round_.organisation_name or "",
                    sentence=_("%(when)s %(round)s 点评：%(comment)s", when=cn_date(day), round=str(round_),
                               comment=note.comment or ""), changes=rows)
