"""Who may see and change what: the one module that answers permission questions.

A user's scope is one equality, `org_path = their organisation` (administrators: no filter),
which FerretDB pushes down to an index; `$in` over the ids of a subtree never is.
"""
from flask import g, has_request_context
from mongoengine.base import get_document

from documents.organisation import Organisation, ref_id
from documents.user import Role


def visible_org_ids(user):
    """Ids of the organisations a user may see: their own and every one below it; None means all."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.is_admin:
        return None
    cache_key = f"_visible_orgs_{user.pk}"
    if has_request_context() and hasattr(g, cache_key):
        return getattr(g, cache_key)
    org_id = ref_id(user, "organisation")
    ids = list(Organisation.objects(org_path=org_id).scalar("pk")) if org_id else []
    if has_request_context():
        setattr(g, cache_key, ids)
    return ids


def can_see_org(user, org_id):
    """True when the organisation lies in the user's subtree: its own path names the user's organisation."""
    if user is None or not getattr(user, "is_authenticated", False) or org_id is None:
        return False
    if user.is_admin:
        return True
    own = ref_id(user, "organisation")
    return own is not None and own in _path(org_id)


def _path(org_id):
    """An organisation's path, remembered for the rest of the request."""
    paths = g.setdefault("_org_paths", {}) if has_request_context() else {}
    if org_id not in paths:
        org = Organisation.objects(pk=org_id).only("org_path").first()
        paths[org_id] = list(org.org_path) if org else []
    return paths[org_id]


def can_write(user):
    """Administrators and clerks record data; reviewers read and review."""
    return user.role in (Role.ADMIN.value, Role.CLERK.value)


def can_edit_org(user, org):
    """Clerks maintain the organisations below their own; their own record is the administrator's."""
    if user.is_admin:
        return True
    own = ref_id(user, "organisation")
    return can_write(user) and org.pk != own and can_see_org(user, org.pk)


def org_queryset(user):
    return scope(Organisation.objects, user)


def scope(queryset, user):
    """Limit a queryset of any organisation-owned document to what the user may see: one path equality."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset.none()
    if user.is_admin:
        return queryset
    if queryset._document.__name__ in SHARED_SETTINGS:
        return queryset
    own = ref_id(user, "organisation")
    if own is None or "org_path" not in queryset._document._fields:
        return queryset.none()
    return queryset.filter(org_path=own)


def owned_documents():
    import documents.audit, documents.calendar, documents.evaluation, documents.member  # noqa: E401, F401
    import documents.opinion, documents.pledge, documents.progress, documents.supervision  # noqa: E401, F401
    import documents.notices, documents.suggestion, documents.window  # noqa: E401, F401
    import documents.card, documents.modelpost, documents.zone  # noqa: E401, F401
    return [(get_document(name), field) for name, field in SCOPE_FIELDS.items() if field != "pk"]


# The field that names the organisation owning each kind of record.
SCOPE_FIELDS = {
    "Organisation": "pk",
    "Member": "organisation",
    "User": "organisation",
    "Pledge": "organisation",
    "PledgeSearch": "organisation",
    "ProgressEntry": "organisation_id",
    "SupervisionRound": "organisation",
    "Rectification": "organisation",
    "LeaderComment": "organisation",
    "EvaluationRound": "organisation",
    "Opinion": "organisation_id",
    "PublicationDeadline": "organisation",
    "YearClosing": "organisation",
    "Attachment": "organisation_id",
    "AuditEntry": "organisation_id",
    "WorkWindow": "organisation",
    "Notice": "organisation_id",
    "Suggestion": "organisation",
    "ModelPost": "organisation",
    "Assessment": "organisation",
    "ResponsibilityZone": "organisation",
    "ZoneLog": "organisation_id",
    "MemberCard": "organisation",
}

# Settings every user reads (drop-downs, a round's scheme) and only administrators change.
SHARED_SETTINGS = {"EvaluationScheme", "ActivityScheme"}
