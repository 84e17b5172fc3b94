"""Party members (and activists, non-party staff) on an organisation's roster."""
from flask_babel import lazy_gettext as _l
from mongoengine import DateField, ListField, Q, ReferenceField, StringField, ValidationError

from documents import copies, idcard, normalise, search
from documents.base import VersionedDocument
from documents.store import batch
from documents.organisation import OrgOwned
from documents.vocabulary import Vocabulary

GENDERS = ("男", "女")
IN_SERVICE = "在职党员"


class Member(OrgOwned, VersionedDocument):
    name = StringField(required=True, max_length=40, verbose_name=_l("姓名"))
    gender = StringField(max_length=2, verbose_name=_l("性别"))
    id_number = StringField(required=True, max_length=18, verbose_name=_l("身份证号"))
    phone = StringField(max_length=20, verbose_name=_l("联系电话"))
    birth_date = DateField(verbose_name=_l("出生日期"))
    joined_on = DateField(verbose_name=_l("入党日期"))
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("所属组织"))
    post = StringField(max_length=60, verbose_name=_l("岗位"))
    duty = StringField(max_length=200, verbose_name=_l("职责"))
    categories = ListField(StringField(max_length=40), verbose_name=_l("党员类别"))
    residential_org = ReferenceField("Organisation", verbose_name=_l("居住地社区组织"),
                                     help_text=_l("在职党员到社区报到的社区党组织"))
    status = StringField(default="在册", max_length=20, verbose_name=_l("党籍状态"))
    # The date fields known only to the month (2001-07): stored as the 1st, shown as 2001年7月.
    month_only = ListField(StringField(max_length=20))
    # What the member picker matches by equality: parts of the name, ID-number and phone tails (see search_keys()).
    search_keys = ListField(StringField(max_length=40))

    meta = {
        "collection": "member",
        "indexes": [{"fields": ["id_number"], "unique": True}, "organisation", "residential_org", "org_path",
                    "search_keys"],
    }

    def __str__(self):
        return f"{self.name}（{idcard.mask(self.id_number)}）"

    def save(self, *args, **kwargs):
        """Save; a new name is copied onto the member's pledges and comments."""
        renamed = copies.renamed(self, "name")
        result = super().save(*args, **kwargs)
        if renamed:
            copies.refresh(self)
        return result

    @property
    def masked_id(self):
        return idcard.mask(self.id_number)

    @property
    def picker_label(self):
        """How a picker tells two 王芳 apart: name, masked ID number (its tail shows), organisation."""
        return f"{self.name}（{self.masked_id}）· {self.organisation_name}"

    def show_date(self, field):
        """A date of this member as a clerk writes it, 2001年7月 when only the month is known."""
        return normalise.show_date(getattr(self, field), field in self.month_only)

    def clean(self):
        self.name = normalise.name(self.name)
        self.phone = normalise.compact(self.phone) or None
        self.id_number = idcard.normalise(self.id_number)
        self.search_keys = search_keys(self.name, self.id_number, self.phone)
        reason = idcard.problem(self.id_number)
        if reason:
            raise ValidationError(reason, field_name="id_number")
        if self.birth_date is None:
            self.birth_date = idcard.birth_date(self.id_number)
        if not self.gender:
            self.gender = idcard.gender(self.id_number)
        elif self.gender not in GENDERS:
            raise ValidationError("性别应为“男”或“女”", field_name="gender")
        known = set(Vocabulary.labels("member_category", include_inactive=True))
        unknown = [c for c in self.categories if c not in known]
        if unknown:
            raise ValidationError("未知的党员类别：" + "、".join(unknown), field_name="categories")
        if IN_SERVICE in self.categories and self.residential_org is None:
            raise ValidationError("在职党员须填写居住地社区组织", field_name="residential_org")
        if self.status not in Vocabulary.labels("member_status", include_inactive=True):
            raise ValidationError(f"未知的党籍状态：{self.status}", field_name="status")


PREFIX_CHARS = 8
SEARCHED = ("name", "id_number", "phone")  # what a member search matches, and what the keys are made of
PICK_LIMIT = 20


def search_keys(name, id_number, phone=None):
    """The picker's keys: every run of characters in the first PREFIX_CHARS of the name (and of each part between its
    dots), so 王建华 is found by 王建, 建华 or 华; and the last 4 and 6 characters of the ID and phone numbers.

    An equality on an array field is pushed down by FerretDB to its GIN index, where a regex never is.
    """
    keys = set()
    text = normalise.name(name).lower()
    for part in {text, *text.split(normalise.MIDDLE_DOT)}:
        part = part[:PREFIX_CHARS]
        keys.update(part[i:j] for i in range(len(part)) for j in range(i + 1, len(part) + 1))
    for number in (idcard.normalise(id_number), normalise.compact(phone)):
        if len(number) >= 6:
            keys.update((number[-4:], number[-6:]))
    return sorted(k for k in keys if k)


def search_key(term):
    """A typed term as (the one key a match must hold, the text it must contain): an ID or phone tail, or part of a name."""
    number = normalise.compact(term)
    if len(number) >= 4 and number[:-1].isdigit() and (number[-1].isdigit() or number[-1] == "X"):
        return number[-6:] if len(number) >= 6 else number[-4:], number
    text = normalise.name(term)
    return text.lower()[:PREFIX_CHARS], text


def search_filter(term):
    """Members whose name contains, or whose ID or phone number ends with, the term: one indexed equality, then the exact
    match."""
    key, text = search_key(term)
    return search.keyed_contains("search_keys", key, SEARCHED, text) if key else Q(pk=None)


def matching(queryset, term, limit=PICK_LIMIT):
    """Members of the queryset found by search_filter, in service, a page at most."""
    return list(queryset.filter(search_filter(term), status="在册").no_dereference().limit(limit))


batch.reads("Member", *SEARCHED, "search_keys")


def backfill_search_keys():
    """Give members stored before the picker's keys existed (or before phone tails were keys) their keys; safe to run
    again. Return how many."""
    return search.backfill(Member, "search_keys", lambda doc: search_keys(*map(doc.get, SEARCHED)), SEARCHED)
