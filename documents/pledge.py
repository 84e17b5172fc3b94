"""Pledges: an organisation's or a member's pledge for a year, made on one template version."""
import enum

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, DateTimeField, DictField, Document, EmbeddedDocument,
                         EmbeddedDocumentField, IntField, ListField, ObjectIdField, ReferenceField, StringField)

from documents import search
from documents.calendar import ensure_open
from documents.organisation import OrgOwned, ref_id
from documents.base import VersionedDocument
from documents.store import batch, bounded
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


# What a pledge search looks in; a PledgeSearch entry holds them with their keys (pairs of characters).
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


class PledgeSearch(Document):
    """What the pledge list's search reads instead of the pledges (same _id): the keys made each pledge 2.3 times as
    big, and FerretDB converts every byte of every pledge any page reads (1,488 pledges: 1.3 s without, 3.7 s with)."""
    organisation = ObjectIdField()
    org_path = ListField(ObjectIdField())
    organisation_name = StringField()
    year = IntField()
    member_name = StringField()
    search_text = StringField()
    keys = ListField(StringField())

    meta = {"collection": "pledge_search", "indexes": ["organisation", "org_path", "year", "keys"]}


def search_entry(doc):
    """A pledge's search entry from its stored form (to_mongo() or a raw document)."""
    texts = {f: doc.get(f) for f in SEARCHED}
    return {"_id": doc["_id"], "organisation": doc.get("organisation"), "org_path": doc.get("org_path", []),
            "year": doc.get("year"), **texts, "keys": text_keys(*texts.values())}


def index_search(pledge, write=None):
    """Write the pledge's search entry, after every change of the pledge or of a name it shows.

    With write (the pledge's own write), the entry is brought up to date around it: first one that matches both the
    stored and the new texts, then the new one. A crash in between leaves an entry that still finds the pledge by
    either; the list re-checks every candidate against the pledge itself, so an extra match shows nothing wrong.
    """
    entries, new = PledgeSearch._get_collection(), search_entry(pledge.to_mongo())
    old = entries.find_one({"_id": pledge.pk}) if write else None
    if write and old == new:
        return write()
    entries.replace_one({"_id": pledge.pk}, _both(old, new) if old else new, upsert=True)
    if write:
        write()
    if old:
        entries.replace_one({"_id": pledge.pk}, new)


def _both(old, new):
    """An entry matching whatever either entry matches (both texts, both paths, both sets of keys)."""
    texts = {f: "\n".join(dict.fromkeys(t for t in (new.get(f), old.get(f)) if t)) or None for f in SEARCHED}
    return {**new, **texts, "org_path": list(dict.fromkeys([*new["org_path"], *old.get("org_path", [])])),
            "keys": list(dict.fromkeys([*new["keys"], *old.get("keys", [])]))}


def search_ids(term, within, count):
    """Ids of the first count pledges whose member's or organisation's name or content contains the term, by one
    indexed key, read in one reply (documents/store/bounded.py: a key can be held by a third of a county's pledges).

    within: the equalities of the list's query that a search entry also holds (org_path, year).
    """
    key = search.term_key(term)
    if not key:
        return []
    found = search.keyed_filter("keys", key, SEARCHED, term)
    return bounded.first_ids(PledgeSearch._get_collection(), {**within, **found}, count)


def search_page(query, term, first, count, read=list):
    """Pledges first…first+count of the query that contain the term: candidates from the search entries, each read by
    `_id` within the query (scope and every filter hold) and re-checked against the pledge's own texts.

    The candidates are asked for as many as the page can need, then twice as many while the page is short and more
    are left (the ones already looked at are passed over). When the query filters on nothing but what entries hold
    (org_path, year), the candidates before the page are passed over unread: page N costs one page of reads, not N.
    read(query) turns a candidate's query into rows.
    """
    within = {field: value for field, value in query._query.items() if field in ("org_path", "year")}
    unread = first if len(within) == len(query._query) else 0
    first, wanted, rows = first - unread, max(first + count, 1), []
    ids = search_ids(term, within, wanted)
    looked = set(ids[:unread])
    while True:
        for pk in ids:
            if pk in looked:
                continue
            looked.add(pk)
            pledge = next(iter(read(query.filter(pk=pk).filter(search.any_contains(SEARCHED, term)))), None)
            if pledge is not None and first:
                first -= 1
            elif pledge is not None:
                rows.append(pledge)
                if len(rows) == count:
                    return rows
        if len(ids) < wanted:
            return rows
        wanted *= 2
        ids = search_ids(term, within, wanted)


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
        "indexes": ["organisation", "member", "year", "template", "state", "org_path", "page_no"],
    }

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)

    def _write(self, created, expected):
        """Number a new pledge within its organisation-year as it is first stored (see slot); its search entry is
        written around it (see index_search)."""
        if created and self.slot is None:
            self.slot, = take_numbers(slot_sequence(ref_id(self, "organisation"), self.year))
            self.page_no = page_of(self.slot)
        self.copy_owner()  # the entry holds the path and name save() copies
        index_search(self, lambda: super(Pledge, self)._write(created, expected))

    def delete(self, *args, **kwargs):
        """Delete the pledge and its search entry."""
        super().delete(*args, **kwargs)
        PledgeSearch.objects(pk=self.pk).delete()

    def clean(self):
        """Copy the member's and template's names, which lists show without loading them."""
        self.member_name = self.member.name if self.member else None
        self.template_name = self.template.name if self.template else None

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


batch.reads("Pledge", "organisation", "org_path", "year", *SEARCHED)


def backfill_search():
    """Give pledges without a search entry theirs, made and inserted a batch at a time (each holds up to KEY_CAP keys);
    return how many."""
    entries = PledgeSearch._get_collection()
    indexed = {row["_id"] for row in entries.find({}, {"_id": 1})}
    missing = [doc for doc in batch.rows(Pledge, ("organisation", "org_path", "year", *SEARCHED)) if doc["_id"] not in indexed]
    return batch.insert_new(entries, map(search_entry, missing), total=len(missing))
