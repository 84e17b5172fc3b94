"""督诺: quarterly supervision rounds, the rectification ledger (整改台账) and leadership comments (点评台帐)."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import (BooleanField, DateField, EmbeddedDocument, EmbeddedDocumentField, IntField, ListField,
                         ReferenceField, StringField, ValidationError)

from documents import audit, summary
from documents.calendar import ensure_open
from documents.base import VersionedDocument
from documents.organisation import OrgOwned, ref_id

METHODS = ("会议点评", "逐个点评", "现场点评")


class SupervisionNote(EmbeddedDocument):
    pledge = ReferenceField("Pledge", verbose_name=_l("承诺"))
    comment = StringField(verbose_name=_l("点评"))
    highlight = StringField(verbose_name=_l("闪光言行"))
    criticised = BooleanField(default=False, verbose_name=_l("通报批评"))
    problem = StringField(verbose_name=_l("需整改的问题"))
    rectify_by = DateField(verbose_name=_l("整改期限"))


class SupervisionRound(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    quarter = IntField(required=True, min_value=1, max_value=4, verbose_name=_l("季度"))
    held_on = DateField(required=True, verbose_name=_l("督诺日期"))
    summary = StringField(verbose_name=_l("践诺情况小结"))
    notes = ListField(EmbeddedDocumentField(SupervisionNote), verbose_name=_l("逐人点评"))

    meta = {"collection": "supervision_round", "indexes": ["organisation", ("year", "quarter"), "org_path"]}

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.year)

    def __str__(self):
        return f"{self.year}年第{self.quarter}季度督诺（{self.organisation_name or self.organisation.name}）"

    def clean(self):
        own = ref_id(self, "organisation")
        for note in self.notes:
            if note.pledge and own not in note.pledge.org_path:
                raise ValidationError("点评的承诺不属于本组织", field_name="notes")
            if note.pledge and note.pledge.year != self.year:
                raise ValidationError(f"点评的承诺“{note.pledge.label}”不是{self.year}年度的承诺", field_name="notes")
            if (note.problem or note.criticised) and not note.rectify_by:
                raise ValidationError("通报批评或需整改的承诺须填写整改期限", field_name="notes")


class Rectification(OrgOwned, VersionedDocument):
    """One line of the 整改台账, closed item by item (挂牌销号)."""
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    pledge = ReferenceField("Pledge", verbose_name=_l("承诺"))
    round = ReferenceField("SupervisionRound", verbose_name=_l("督诺"))
    problem = StringField(required=True, verbose_name=_l("问题"))
    deadline = DateField(required=True, verbose_name=_l("整改期限"))
    closed_on = DateField(verbose_name=_l("销号日期"))
    closed_by = StringField(verbose_name=_l("销号人"))
    result = StringField(verbose_name=_l("整改结果"))
    pledge_label = StringField(verbose_name=_l("承诺"))
    year = IntField(verbose_name=_l("年度"))  # of its round, else of its pledge: the dashboard counts and filters by it

    meta = {"collection": "rectification", "indexes": ["organisation", "round", "pledge", "org_path", "year"]}

    def clean(self):
        self.pledge_label = self.pledge.label if self.pledge else None
        self.year = self.round.year if self.round else (self.pledge.year if self.pledge else self.year)

    def check_writable(self):
        year = self.round.year if self.round else (self.pledge.year if self.pledge else None)
        ensure_open(ref_id(self, "organisation"), year)

    def __str__(self):
        return f"{self.problem[:20]}（{'已销号' if self.closed_on else '整改中'}）"

    @property
    def overdue(self):
        return self.closed_on is None and self.deadline < dt.date.today()


class LeaderComment(OrgOwned, VersionedDocument):
    """领导点评, kept as the 点评台帐."""
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("被点评组织"))
    member = ReferenceField("Member", verbose_name=_l("被点评党员"))
    commenter = StringField(required=True, max_length=40, verbose_name=_l("点评人"))
    on = DateField(required=True, verbose_name=_l("点评日期"))
    method = StringField(required=True, choices=METHODS, verbose_name=_l("点评方式"))
    content = StringField(required=True, verbose_name=_l("点评内容"))
    member_name = StringField(verbose_name=_l("被点评党员"))

    meta = {"collection": "leader_comment", "indexes": ["organisation", "member", "org_path"]}

    def clean(self):
        self.member_name = self.member.name if self.member else None

    def check_writable(self):
        ensure_open(ref_id(self, "organisation"), self.on.year if self.on else None)

    def __str__(self):
        return f"{self.on:%Y-%m-%d} {self.commenter}{self.method}"


def round_pledges(org_id, year, pledges):
    """The pledges (of the `pledges` queryset) a round of this organisation and year comments on: published ones, by name."""
    from documents.pledge import State
    shown = {State.PUBLISHED, State.FULFILLING, State.FULFILLED, State.LATE, State.EXCUSED, State.EVALUATED}
    found = pledges.filter(org_path=org_id, year=year).no_dereference()
    return sorted((p for p in found if p.state in {s.value for s in shown}), key=lambda p: p.label)


def sync_rectifications(actor, round_):
    """Open a ledger line for every note of the round that calls for rectification and has none yet."""
    opened = 0
    for note in round_.notes:
        if not note.rectify_by:
            continue
        if Rectification.objects(round=round_, pledge=note.pledge).first():
            continue
        line = Rectification(organisation=round_.organisation, pledge=note.pledge, round=round_,
                             problem=note.problem or note.comment or "通报批评，限期整改", deadline=note.rectify_by)
        line.save_checked(None, lambda doc: audit.entry(actor, "列入整改台账", doc, {}, audit.snapshot(doc),
                                                        organisation_id=ref_id(round_, "organisation")))
        opened += 1
    if opened:
        summary.refresh(ref_id(round_, "organisation"))
    return opened


def close_rectification(actor, line, result, on=None):
    """挂牌销号: close one ledger line with the date and who closed it."""
    if line.closed_on:
        raise ValidationError(f"“{line.problem[:20]}”已于{line.closed_on:%Y-%m-%d}销号")
    before = audit.snapshot(line)
    line.closed_on, line.closed_by, line.result = on or dt.date.today(), str(actor), (result or "").strip()
    line.save_checked(line.version, lambda doc: audit.entry(actor, "挂牌销号", doc, before, audit.snapshot(doc),
                                                            organisation_id=ref_id(doc, "organisation")))
    summary.refresh(ref_id(line, "organisation"))
    return line


def rounds_missing(org_ids, today=None):
    """Organisations (ids) with no supervision round held in the current quarter."""
    today = today or dt.date.today()
    quarter = (today.month - 1) // 3 + 1
    held = {ref_id(r, "organisation") for r in SupervisionRound.objects(year=today.year, quarter=quarter,
                                                                        organisation__in=org_ids).no_dereference()}
    return [i for i in org_ids if i not in held]
