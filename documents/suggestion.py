"""居民点单: a clerk turns a resident's opinion into a suggestion for next year's 实事承诺; at 提诺 the branch takes it into a pledge.

One suggestion per opinion (a unique key, so a second click finds the first); the suggestion
remembers the pledge that took it, so the opinion, the suggestion and the pledge link to one another.
"""
from flask_babel import lazy_gettext as _l
from mongoengine import IntField, ObjectIdField, ReferenceField, StringField, ValidationError

from documents import audit, summary
from documents.base import VersionedDocument
from documents.organisation import OrgOwned, ref_id
from documents.pledge import PledgeItem
from documents.pledging import EDITABLE_STATES

PRACTICAL = "实事承诺"


class Suggestion(OrgOwned, VersionedDocument):
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    text = StringField(required=True, max_length=500, verbose_name=_l("建议的实事承诺"))
    opinion = ObjectIdField(required=True)
    opinion_text = StringField(verbose_name=_l("群众意见"))
    suggested_by = StringField(verbose_name=_l("转交人"))
    taken_into = ObjectIdField()
    taken_label = StringField(verbose_name=_l("纳入的承诺"))
    meta = {"collection": "suggestion",
            "indexes": [{"fields": ["opinion"], "unique": True}, "organisation", "taken_into", "org_path"]}

    def __str__(self):
        return f"{self.year}年居民点单：{self.text[:20]}"


class SuggestionRefused(Exception):
    """Why a suggestion could not be made or taken, in Chinese."""


def of_opinion(opinion):
    return Suggestion.objects(opinion=opinion.pk).first()


def suggest(actor, opinion, text=None):
    """Turn one opinion into a suggestion for the year after its pledge's; a second time returns the first."""
    found = of_opinion(opinion)
    if found is not None:
        return found
    year = opinion.pledge.year if opinion.pledge else opinion.at.year
    suggestion = Suggestion(organisation=ref_id(opinion, "organisation_id"), year=year + 1,
                            text=(text or "").strip() or opinion.text, opinion=opinion.pk, opinion_text=opinion.text,
                            suggested_by=str(actor))
    try:
        suggestion.save_checked(None, lambda doc: audit.entry(actor, "转为居民点单", doc, {}, audit.snapshot(doc),
                                                              organisation_id=ref_id(doc, "organisation")))
    except ValidationError:
        found = of_opinion(opinion)
        if found is None:
            raise
        return found
    return suggestion


def open_for(pledge):
    """Suggestions of the pledge's organisation and year not yet taken into any pledge (one equality)."""
    return [s for s in Suggestion.objects(organisation=ref_id(pledge, "organisation"), year=pledge.year).order_by()
            if s.taken_into is None]


def taken_into(pledge):
    return list(Suggestion.objects(taken_into=pledge.pk).order_by())


def take(actor, suggestion, pledge):
    """Add the suggestion to a pledge still being written as a 实事承诺 item, and link them."""
    if suggestion.taken_into is not None:
        raise SuggestionRefused(f"这条居民点单已纳入{suggestion.taken_label}")
    if pledge.state not in EDITABLE_STATES or ref_id(pledge, "organisation") != ref_id(suggestion, "organisation") \
            or pledge.year != suggestion.year:
        raise SuggestionRefused("只能纳入本组织当年尚未审核的承诺")
    before = audit.snapshot(pledge)
    kind = {"kind": PRACTICAL} if any(f.key == "kind" for f in pledge.template.item_fields) else {}
    pledge.items.append(PledgeItem(content=suggestion.text, extra=kind))
    pledge.refresh_copies()
    pledge.save_checked(pledge.version, lambda doc: audit.entry(actor, "采纳居民点单", doc, before, audit.snapshot(doc),
                                                                organisation_id=ref_id(doc, "organisation")))
    earlier = audit.snapshot(suggestion)
    suggestion.taken_into, suggestion.taken_label = pledge.pk, str(pledge)
    suggestion.save_checked(suggestion.version, lambda doc: audit.entry(actor, "居民点单纳入承诺", doc, earlier,
                                                                        audit.snapshot(doc),
                                                                        organisation_id=ref_id(doc, "organisation")))
    summary.refresh(ref_id(pledge, "organisation"))
    return pledge
