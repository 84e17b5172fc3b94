"""What the admin home shows: the user's organisations at a glance."""
from documents import access
from documents.member import Member


def dashboard_context(user):
    orgs = list(access.org_queryset(user).only("name", "code", "level", "org_type"))
    members = access.scope(Member.objects, user)
    return {
        "org_count": len(orgs),
        "member_count": members.count(),
        "active_member_count": members.filter(status="在册").count(),
        "orgs": orgs[:12],
    }
