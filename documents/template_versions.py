"""Editing a template that pledges already use makes a new version; the used one stays as it was."""
from documents.base import StaleRecord
from documents.pledge import Pledge
from documents.template import PledgeTemplate


def is_used(template):
    """True when a pledge or an activity record (model post, zone, card) was filled in with this version."""
    return template.pk is not None and any(doc.objects(template=template.pk).first() is not None for doc in _fillers())


def _fillers():
    from documents.card import MemberCard
    from documents.modelpost import ModelPost
    from documents.zone import ResponsibilityZone
    return (Pledge, ModelPost, ResponsibilityZone, MemberCard)


def save_edit(template, expected_version, log=None):
    """Save an administrator's edit (log(doc) gives its audit entry) and return the template now current."""
    if template.pk is None:
        template.save_checked(None, log)
        PledgeTemplate.objects(pk=template.pk).update_one(set__family=template.pk)
        template.family = template.pk
        return template
    if not is_used(template):
        return template.save_checked(expected_version, log)
    stored = PledgeTemplate.objects(pk=template.pk).first()
    if stored.version != int(expected_version):
        raise StaleRecord()
    fresh = PledgeTemplate(**{k: getattr(template, k) for k in template._fields if k not in ("id", "version")})
    fresh.family = stored.family or stored.pk
    fresh.number = PledgeTemplate.objects(family=fresh.family).order_by("-number").first().number + 1
    fresh.current = True
    fresh.save_checked(None, log)
    PledgeTemplate.objects(family=fresh.family, pk__ne=fresh.pk).update(set__current=False)
    return fresh
