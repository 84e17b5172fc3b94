"""Names copied onto records so that lists show them without a look-up, and the one place that refreshes them.

A list page that dereferenced each row's organisation, member or template sent one query per
row (FerretDB: each a scan); `select_related` sends `$in`, which FerretDB never pushes down.
"""
from mongoengine.base import get_document

from documents.store import batch

# Source document -> [(document holding the copy, its reference field, field of the copy, source attribute)].
COPIES = {
    "Member": [("Pledge", "member", "member_name", "name"), ("LeaderComment", "member", "member_name", "name")],
    "PledgeTemplate": [("Pledge", "template", "template_name", "name")],
    "EvaluationScheme": [("EvaluationRound", "scheme", "scheme_name", "name")],
    "Pledge": [("Rectification", "pledge", "pledge_label", "label"), ("Opinion", "pledge", "pledge_label", "label")],
}
for _target, _ref, _copy, _attr in (target for targets in COPIES.values() for target in targets):
    batch.reads(_target, _ref, _copy)


def _targets(source):
    name = type(source).__name__
    if name == "Organisation":
        from documents.access import owned_documents
        return [(d, field, "organisation_name", "name") for d, field in owned_documents()]
    return [(get_document(target), ref, copy, attr) for target, ref, copy, attr in COPIES.get(name, [])]


def refresh(source):
    """Rewrite every copy of the source's name, and the labels and search keys of pledges that show it."""
    for document, ref, copy, attr in _targets(source):
        document._get_collection().update_many({document._fields[ref].db_field: source.pk},
                                               {"$set": {copy: getattr(source, attr)}})
    from documents.pledge import Pledge, index_search
    if type(source).__name__ in ("Organisation", "Member"):
        field = "organisation" if type(source).__name__ == "Organisation" else "member"
        for pledge in Pledge.objects(**{field: source.pk}).no_dereference().only(
                "year", "scope", "organisation", "org_path", "member_name", "organisation_name", "search_text"):
            refresh(pledge)
            index_search(pledge)


def renamed(doc, *fields):
    """True when one of the fields changed since the record was loaded (and it was loaded, not created)."""
    return doc.pk is not None and not doc._created and bool(set(fields) & set(doc._get_changed_fields()))


def _values(source, attr):
    """{_id: attr} of every source record, from the stored field alone when attr is one."""
    if attr in source._fields:
        db_field = source._fields[attr].db_field
        return {d["_id"]: d.get(db_field) for d in source.objects.order_by().only(attr).as_pymongo()}
    return {d.pk: getattr(d, attr) for d in source.objects.order_by().no_dereference()}


def backfill():
    """Fill missing or stale copies from their sources, for databases made before the copies (idempotent).

    Each copy is read with its reference only, and only the records whose copy differs are written.
    """
    fixed, values = 0, {}
    for source_name, targets in COPIES.items():
        for target_name, ref, copy, attr in targets:
            target = get_document(target_name)
            collection, db_ref = target._get_collection(), target._fields[ref].db_field
            rows = batch.rows(target, (db_ref, copy))
            if rows and (source_name, attr) not in values:
                values[source_name, attr] = _values(get_document(source_name), attr)
            fixed += batch.update_each(collection, [
                (row["_id"], {copy: wanted}) for row in rows
                if row.get(copy) != (wanted := values[source_name, attr].get(row.get(db_ref)))])
    return fixed
