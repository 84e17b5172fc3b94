"""Who may see and change what: the one module that answers permission questions."""
from flask import g, has_request_context

from documents.organisation import Organisation, ref_id, subtree_ids
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
    ids = subtree_ids([org_id]) if org_id else []
    if has_request_context():
        setattr(g, cache_key, ids)
    return ids


def can_see_org(user, org_id):
    ids = visible_org_ids(user)
    return ids is None or org_id in ids


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
    ids = visible_org_ids(user)
    return Organisation.objects if ids is None else Organisation.objects(pk__in=ids)


def scope(queryset, user):
    """Limit a queryset of any organisation-owned document to what the user may see."""
    ids = visible_org_ids(user)
    if ids is None:
        return queryset
    if queryset._document.__name__ in SHARED_SETTINGS:
        return queryset
    field = SCOPE_FIELDS.get(queryset._document.__name__)
    if field is None:
        return queryset.none() if hasattr(queryset, "none") else queryset.filter(pk__in=[])
    return queryset.filter(**{f"{field}__in": ids})


# The field that names the organisation owning each kind of record.
SCOPE_FIELDS = {
    "Organisation": "pk",
    "Member": "organisation",
    "User": "organisation",
    "Pledge": "organisation",
    "ProgressEntry": "organisation_id",
    "SupervisionRound": "organisation",
    "Rectification": "organisation",
    "LeaderComment": "organisation",
    "EvaluationRound": "organisation",
    "Opinion": "organisation_id",
    "PublicationDeadline": "organisation",
    "YearClosing": "organisation",
    "Attachment": "organisation_id",
}

# Settings every user reads (drop-downs, a round's scheme) and only administrators change.
SHARED_SETTINGS = {"EvaluationScheme"}
