"""Pledges: an organisation's or a member's pledge for a year, made on one template version."""
import enum

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, DictField, EmbeddedDocument, EmbeddedDocumentField,
                         IntField, ListField, ObjectIdField, Q, ReferenceField, StringField)

from documents import search
from documents.calendar import ensure_open
from documents.organisation import OrgOwned, ref_id
from documents.base import VersionedDocument
from documents.store.claims import take_numbers

PAGE_ROWS = 50  # pledges on one list page; a pledge's page within its organisation-year is stored with it (page_no)


class State(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    SIGNED = "signed"
    PUBLISHED = "published"
    FULFILLING = "fulfilling"
    FULFILLED = "fulfilled"
    LATE = "late"
    EXCUSED = "excused"
    EVALUATED = "evaluated"

    @property
    def title(self):
        return STATE_TITLES[self]


STATE_TITLES = {
    State.DRAFT: _l("草稿"), State.SUBMITTED: _l("已提交"), State.RETURNED: _l("已退回"),
    State.APPROVED: _l("已审核"), State.SIGNED: _l("已签订"), State.PUBLISHED: _l("已公示"),
    State.FULFILLING: _l("践诺中"), State.FULFILLED: _l("已兑现"), State.LATE: _l("未按期兑现"),
    State.EXCUSED: _l("因客观原因未兑现"), State.EVALUATED: _l("已评议"),
}


def slot_sequence(org_id, year):
    """The sequence the pledges of one organisation-year take their numbers from."""
    return f"pledge:{org_id}:{int(year)}"


def page_of(slot):
    """The list page of an organisation-year that the pledge with this number shows on."""
    return slot // PAGE_ROWS


# What a pledge search looks in; text_keys hold the pairs of characters of the same.
SEARCHED = ("member_name", "organisation_name", "search_text")


class PledgeItem(EmbeddedDocument):
    content = StringField(verbose_name=_l("承诺事项"))
    owner = StringField(verbose_name=_l("履行责任人"))
    deadline = DateField(verbose_name=_l("完成时限"))
    expected = StringField(verbose_name=_l("预期效果"))
    extra = DictField()


class Review(EmbeddedDocument):
    """One 审诺 decision, with the content it was made on so a resubmission can show what changed."""
    at = DateTimeField()
    reviewer = StringField()
    outcome = StringField(choices=("approve", "return", "reopen"))
    checklist = DictField()
    guidance = StringField()
    values = DictField()
    items = ListField(DictField())


def text_keys(member_name, organisation_name, search_text):
    """A pledge's search keys from what SEARCHED names: each character of the names, pairs of characters of all."""
    return search.text_keys((member_name, organisation_name), (search_text,))


def search_filter(term):
    """Pledges whose member's or organisation's name or whose content contains the term, by one indexed equality."""
    key = search.term_key(term)
    return search.keyed_contains("text_keys", key, SEARCHED, term) if key else Q(pk=None)


class Pledge(OrgOwned, VersionedDocument):
    scope = StringField(required=True, choices=("org", "member"), verbose_name=_l("承诺类型"))
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    member = ReferenceField("Member", verbose_name=_l("党员"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    template = ReferenceField("PledgeTemplate", required=True, verbose_name=_l("模板"))
    values = DictField(verbose_name=_l("填写内容"))
    items = ListField(EmbeddedDocumentField(PledgeItem), verbose_name=_l("承诺事项"))
    oral = BooleanField(default=False, verbose_name=_l("口头承诺"))
    recorded_by = StringField(verbose_name=_l("代为记录人"))
    recorded_at = DateTimeField(verbose_name=_l("记录时间"))
    state = StringField(default=State.DRAFT.value, choices=[s.value for s in State], verbose_name=_l("状态"))
    # Copied from the organisation and member when saved, so lists filter without joins.
    org_type = StringField(verbose_name=_l("组织类型"))
    member_categories = ListField(StringField(), verbose_name=_l("党员类别"))
    member_name = StringField(verbose_name=_l("党员"))
    template_name = StringField(verbose_name=_l("模板"))
    search_text = StringField()
    # What the list's search matches by equality (see search.text_keys): pairs of characters of names and content.
    text_keys = ListField(StringField())
    entered_by = StringField(verbose_name=_l("录入人"))
    entered_by_id = ObjectIdField()
    reviews = ListField(EmbeddedDocumentField(Review), verbose_name=_l("审核记录"))
    signed_on = DateField(verbose_name=_l("签订日期"))
    filed_with = StringField(verbose_name=_l("备案组织"))
    published_on = DateField(verbose_name=_l("公示日期"))
    publish_days = IntField(verbose_name=_l("公示天数"))
    closing_note = StringField(verbose_name=_l("兑现说明"))
    carried_from = ListField(DictField(), verbose_name=_l("上年结转事项"))  # [{pledge, index, year, content}]
    # Its number among its organisation-year's pledges, taken once when first stored, and the list page that puts it
    # on: page N of an organisation-year is one equality, where a skip makes FerretDB read all of them.
    slot = IntField()
    page_no = IntField()

    meta = {
        "collection": "pledge",
        "indexes": ["organisation", "member", "year", "template", "state", "org_path", "page_no", "text_keys"],
    }

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)

    def _write(self, created, expected):
        """Number a new pledge within its organisation-year as it is first stored (see slot)."""
        if created and self.slot is None:
            self.slot, = take_numbers(slot_sequence(ref_id(self, "organisation"), self.year))
            self.page_no = page_of(self.slot)
        super()._write(created, expected)

    def clean(self):
        """Copy the member's and template's names, which lists show without loading them, and the search keys."""
        self.member_name = self.member.name if self.member else None
        self.template_name = self.template.name if self.template else None
        self.text_keys = self.search_keys()

    def search_keys(self):
        """The keys the list's search finds this pledge by: its member's and organisation's names and its content."""
        organisation = self.organisation_name or (self.organisation.name if self.organisation else None)
        return text_keys(self.member_name, organisation, self.search_text)

    def __str__(self):
        return f"{self.year}年 {self.pledger} 的{'党员' if self.scope == 'member' else '党组织'}公开承诺"

    @property
    def pledger(self):
        """Who made the pledge: the member, or the organisation for an organisation pledge (from the copies)."""
        if self.scope == "member":
            return self.member_name or self.member.name
        return self.organisation_name or self.organisation.name

    @property
    def label(self):
        return str(self)

    @property
    def state_title(self):
        return STATE_TITLES[State(self.state)]

    @property
    def first_item(self):
        return self.items[0].content if self.items else ""

    def content_snapshot(self):
        """Values and items as plain data, kept with a review to compare a resubmission against."""
        items = [{"content": i.content, "owner": i.owner, "expected": i.expected,
                  "deadline": i.deadline.isoformat() if i.deadline else "", **i.extra} for i in self.items]
        return dict(self.values), items

    def changes_since_return(self):
        """[Change(label, before, now)] of every value and item field since a reviewer last returned it, or []."""
        from documents.audit_view import content_changes
        last = next((r for r in reversed(self.reviews) if r.outcome in ("return", "reopen")), None)
        if last is None:
            return []
        return content_changes(self.template, last.values, last.items, *self.content_snapshot())

    def refresh_copies(self):
        """Re-copy what lists filter and search on from the organisation, member and content."""
        self.org_type = self.organisation.org_type
        self.member_categories = list(self.member.categories) if self.member else []
        parts = [str(v) if not isinstance(v, list) else " ".join(map(str, v)) for v in self.values.values()]
        for item in self.items:
            parts += [item.content or "", item.owner or "", item.expected or ""]
            parts += [str(v) for v in item.extra.values()]
        self.search_text = "\n".join(p for p in parts if p)

    def display_rows(self):
        """(section, [(label, text)]) for every stored value and every live field that applies, unknown keys last."""
        template, shown, groups = self.template, set(), []
        applying = {f.key for f in template.shown_fields(self.values, self.member_categories)}
        for section, fields in template.grouped():
            rows = []
            for field in fields:
                if field.key in self.values or field.key in applying:
                    label = f"{field.label}（已停用）" if field.retired else field.label
                    rows.append((label, field.display(self.values.get(field.key))))
                    shown.add(field.key)
            if rows:
                groups.append((section, rows))
        orphans = [(key, str(value)) for key, value in self.values.items() if key not in shown]
        if orphans:
            groups.append(("模板中已没有的字段", orphans))
        return groups


def backfill_text_keys():
    """Give pledges stored before the search's keys existed their keys; safe to run again. Return how many."""
    return search.backfill(Pledge, "text_keys", lambda doc: text_keys(*(doc.get(f) for f in SEARCHED)), SEARCHED)
