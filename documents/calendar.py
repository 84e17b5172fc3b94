"""Dates set per organisation and year: publication deadlines (公示期限) and the closing of a year (年度归档)."""
from flask_babel import lazy_gettext as _l
from mongoengine import BooleanField, DateField, DateTimeField, IntField, ReferenceField, StringField, ValidationError

from documents.base import VersionedDocument
from documents.organisation import Organisation, OrgOwned, ref_id


class PublicationDeadline(OrgOwned, VersionedDocument):
    """公示、张贴必须在某日前完成: applies to the organisation and every one below it."""
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    deadline = DateField(required=True, verbose_name=_l("公示截止日期"))
    meta = {"collection": "publication_deadline", "indexes": ["organisation", "org_path"]}

    def __str__(self):
        return f"{self.year}年公示截止 {self.deadline:%Y-%m-%d}"


class YearClosing(OrgOwned, VersionedDocument):
    """年度归档: the year's records of an organisation and those below it become read-only."""
    organisation = ReferenceField("Organisation", required=True, verbose_name=_l("党组织"))
    year = IntField(required=True, min_value=2000, max_value=2100, verbose_name=_l("年度"))
    note = StringField(verbose_name=_l("说明"))
    active = BooleanField(default=True, verbose_name=_l("归档中"))
    closed_by = StringField(verbose_name=_l("归档人"))
    reopened_at = DateTimeField(verbose_name=_l("撤销时间"))
    reopened_by = StringField(verbose_name=_l("撤销人"))
    reopen_reason = StringField(verbose_name=_l("撤销原因"))
    meta = {"collection": "year_closing", "indexes": ["organisation", "org_path"]}

    def __str__(self):
        return f"{self.year}年度归档（{self.organisation_name or self.organisation.name}）"


def _self_and_ancestors(org_id):
    org = Organisation.objects(pk=org_id).only("ancestors").first()
    return [org_id] + (list(org.ancestors) if org else [])


def nearest_for(document, org_id, year):
    """The setting of a year that applies to an organisation: its own, else the nearest above it (no `$in`)."""
    org = Organisation.objects(pk=org_id).order_by().only("ancestors").first()
    return nearest(settings_by_org(document, year), (list(org.ancestors) if org else []) + [org_id])


def deadline_for(org_id, year):
    """The publication deadline that applies: the organisation's own, else the nearest above it."""
    setting = nearest_for(PublicationDeadline, org_id, year)
    return setting.deadline if setting else None


def settings_by_org(document, year):
    """{organisation id: setting} of every organisation that set one for the year (a short collection)."""
    return {ref_id(d, "organisation"): d for d in document.objects(year=int(year)).order_by().no_dereference()}


def nearest(settings, org_path):
    """Of settings_by_org(), the one that applies to the organisation at the end of org_path, or None."""
    return next((settings[i] for i in reversed(org_path) if i in settings), None)


def is_closed(org_id, year):
    return YearClosing.objects(organisation__in=_self_and_ancestors(org_id), year=year, active=True).first() is not None


def ensure_open(org_id, year):
    """Refuse any change to a closed year's records."""
    if org_id is not None and year is not None and is_closed(org_id, int(year)):
        raise ValidationError(f"{year}年度已归档，记录只能查看和导出，不能修改（如需修改请联系系统管理员撤销归档）")

