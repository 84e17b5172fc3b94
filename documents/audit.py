"""Append-only audit trail: who did what to which record, with values before and after."""
import datetime as dt

from flask_babel import lazy_gettext as _l
from mongoengine import DateTimeField, DictField, Document, ObjectIdField, StringField

from documents.base import now
from documents.organisation import OrgOwned, ref_id
from documents.store import batch


class AuditEntry(OrgOwned, Document):
    at = DateTimeField(default=now, verbose_name=_l("时间"))
    actor = StringField(verbose_name=_l("操作人"))
    action = StringField(required=True, verbose_name=_l("操作"))
    collection = StringField(required=True, verbose_name=_l("记录类型"))
    record_id = ObjectIdField(verbose_name=_l("记录"))
    organisation_id = ObjectIdField()
    summary = StringField(verbose_name=_l("摘要"))
    before = DictField(verbose_name=_l("修改前"))
    after = DictField(verbose_name=_l("修改后"))
    claim = StringField(verbose_name=_l("写入凭据"))  # the claim of the change it records: appended once, with it
    # For lists filtered by equality: the local month ("2026-06"), day ("2026-06-30") and hour ("2026-06-30 14"), and
    # the pledge the record belongs to.
    month = StringField(verbose_name=_l("月份"))
    day = StringField()
    hour = StringField()
    pledge_id = ObjectIdField()
    # Stamped when written, so a page of entries reads no other record: {id: name} of the records its changes
    # name, and a pledge's template (its content is labelled by the template's fields).
    names = DictField()
    template_id = ObjectIdField()

    owner_field = "organisation_id"
    meta = {"collection": "audit",
            "indexes": ["record_id", "organisation_id", "-at", "org_path", "actor", "collection", "month", "day", "hour",
                        "pledge_id"]}

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def save(self, *args, **kwargs):
        """Insert once; an entry that exists is never written again."""
        if self.pk is not None and AuditEntry.objects(pk=self.pk).first() is not None:
            raise PermissionError("审计记录不可修改")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录不可删除")


def _plain(value):
    """Make a stored value printable and safe as a document value (no dotted or $ keys)."""
    if isinstance(value, dict):
        return {str(k).replace(".", "_").lstrip("$"): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(doc, skip=("_id", "password_hash", "updated_at", "created_at")):
    return plain_values(doc.to_mongo().to_dict(), skip)


def plain_values(values, skip=()):
    """Stored values (a document's or a raw one's) as an entry keeps them."""
    return {k: _plain(v) for k, v in values.items() if k not in skip}


def entry(actor, action, doc, before=None, after=None, organisation_id=None, summary=""):
    """One audit entry as stored, for the store to append together with the change it records."""
    built = _build(actor, action, doc, before, after, organisation_id, summary)
    built.copy_owner()  # saved by the store, not by save(): copy the path here, or scoped lists never find it
    return built.to_mongo().to_dict()


def entries_of(actor, action, collection, changes, known):
    """Entries as stored for many records of one collection, built without a document each (an import writes thousands).

    `changes` are dicts with record_id, summary, organisation_id, owner ({org_path, organisation_name}) and the
    before and after values of the changed keys only; `known` names every id those values hold, so the names
    are taken from it (rendering each entry's changes to find them cost a third of a 10,000-row re-import's job).
    """
    at, local = now(), dt.datetime.now()
    common = {"at": at, "actor": str(actor) if actor else "系统", "action": action, "collection": collection,
              **stamps(local)}
    for change in changes:
        before, after = plain_values(change["before"]), plain_values(change["after"])
        yield {**common, "record_id": change["record_id"], "organisation_id": change["organisation_id"],
               "summary": change["summary"], "before": before, "after": after,
               "names": _known_names([*before.values(), *after.values()], known), **change["owner"]}


def _known_names(values, known):
    """{id: name} of the ids in `known` among plain values, lists included."""
    found = {}
    for value in values:
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and item in known:
                found[item] = known[item]
    return found


def record(actor, action, doc, before=None, after=None, organisation_id=None, summary=""):
    """Write one audit entry now, for an event that is not a compare-and-set change of doc."""
    return _build(actor, action, doc, before, after, organisation_id, summary).save()


def _build(actor, action, doc, before, after, organisation_id, summary):
    """An unsaved entry keeping only the keys that changed."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    changed = [k for k in keys if before.get(k) != after.get(k)]
    collection = doc._get_collection_name()
    local = dt.datetime.now()
    built = AuditEntry(
        actor=str(actor) if actor else "系统",
        action=action,
        collection=collection,
        record_id=doc.pk,
        **stamps(local),
        pledge_id=doc.pk if collection == "pledge" else _pledge_of(doc),
        organisation_id=organisation_id,
        summary=summary or str(doc),
        before={k: before.get(k) for k in changed if k in before},
        after={k: after.get(k) for k in changed if k in after},
        template_id=ref_id(doc, "template") if collection == "pledge" else None,
    )
    from documents.audit_view import names_in  # the renderer decides which ids it names
    built.names = names_in(built)
    return built


def stamps(local):
    """The month, day and hour an entry written at this local time is listed under."""
    return {"month": local.strftime("%Y-%m"), "day": local.strftime("%Y-%m-%d"), "hour": local.strftime("%Y-%m-%d %H")}


def _pledge_of(doc):
    """The pledge a record belongs to (progress, rectification, opinion …), or None."""
    value = doc._data.get("pledge") if "pledge" in doc._fields else None
    return getattr(value, "pk", None) or getattr(value, "id", value)


def month_page(query, month, first, count, newest=True):
    """Entries first…first+count of a month's query, newest (or oldest) first, read one hour at a time.

    FerretDB converts every entry a filter matched (about 0.7 ms each) and sorts in Go: a county's month is 12,000
    entries and a day 400, an hour a few dozen, so a page reads the hours it shows. A one-entry probe of a day reads
    the whole day too (FerretDB does not push a limit down under a filter), so days are probed only once the days
    read turned out sparse, where a probe is cheap and spares two dozen empty hours.
    """
    year, number = map(int, month.split("-"))
    days = [dt.date(year, number, 1) + dt.timedelta(days=n) for n in range(31)]
    days = [d.isoformat() for d in days if d.month == number and d <= dt.date.today()]
    now, found, dense = dt.datetime.now(), [], True
    for day in reversed(days) if newest else days:
        hours = range(now.hour + 1 if day == now.date().isoformat() else 24)
        parts = [query.filter(hour=f"{day} {h:02d}") for h in hours]
        seen = None if dense else query.filter(day=day).order_by().only("hour").first()
        if not dense and seen is None:
            continue
        if seen is not None and not seen.hour:  # written before entries had an hour (until `flask backfill-paths`)
            parts = [query.filter(day=day)]
        before = len(found)
        for part in reversed(parts) if newest else parts:
            found += sorted(part.order_by(), key=lambda e: e.at, reverse=newest)
            if len(found) >= first + count:
                return found[first:first + count]
        if dense and len(found) == before:  # nothing by the hour: perhaps a day written before entries had an hour
            found += sorted(query.filter(day=day, hour=None).order_by(), key=lambda e: e.at, reverse=newest)
            if len(found) >= first + count:
                return found[first:first + count]
        dense = len(found) - before >= len(hours)
    return found[first:first + count]


def timeline(doc):
    """Every audit entry of a record, oldest first: one indexed equality, sorted here (FerretDB sorts nothing)."""
    return sorted(AuditEntry.objects(record_id=doc.pk), key=lambda e: e.at)


# Records that belong to one pledge, by collection, for stamping old entries with it.
PLEDGE_PARTS = {"progress": "ProgressEntry", "rectification": "Rectification", "opinion": "Opinion"}


STAMPED = ("at", "collection", "record_id", "month", "day", "hour")
batch.reads("AuditEntry", *STAMPED, "names")


def backfill():
    """Stamp entries written before the month, day, hour and pledge stamps with them (idempotent); their content stays as is."""
    from mongoengine.base import get_document
    pledges, stamped = {}, []
    collection = AuditEntry._get_collection()
    for row in batch.rows(AuditEntry, STAMPED):
        if all(row.get(field) is not None for field in ("month", "day", "hour")):
            continue
        local = row["at"].replace(tzinfo=dt.timezone.utc).astimezone() if row.get("at") else None
        found = stamps(local) if local else {"month": "", "day": "", "hour": ""}
        kind, record = row.get("collection"), row.get("record_id")
        if kind == "pledge":
            found["pledge_id"] = record
        elif kind in PLEDGE_PARTS and record is not None:
            if record not in pledges:
                part = get_document(PLEDGE_PARTS[kind]).objects(pk=record).no_dereference().first()
                pledges[record] = _pledge_of(part) if part else None
            found["pledge_id"] = pledges[record]
        stamped.append((row["_id"], found))
    return batch.update_each(collection, stamped)


def backfill_names():
    """Stamp entries written before entries named what they refer to with those names as the records are named now
    (what the log showed them with until then), so a page of them reads no other record; idempotent.

    Only the names are added: who did what, when, and the values before and after stay as they are. A month is read
    at a time (a county's entries hold 150,000 pledges' content), in full before its writes, newest first (the log
    opens on this month).
    """
    from documents.audit_view import names_in
    from documents.member import Member
    from documents.organisation import Organisation
    rows = batch.rows(AuditEntry, ("month", "names"))
    months = sorted({row.get("month") or "" for row in rows if "names" not in row}, reverse=True)
    if not months:
        return 0
    known = {str(row["_id"]): row.get("name") or "" for document in (Member, Organisation)
             for row in batch.rows(document, ("name",))}
    collection = AuditEntry._get_collection()

    def named():
        for month in months:
            for row in list(collection.find({"month": month})):
                if "names" not in row:
                    names = names_in(AuditEntry._from_son(row), known)
                    known.update(names)  # a record not in `known` is looked up once per run
                    yield row["_id"], {"names": names}

    return batch.update_each(collection, named(), sum("names" not in row for row in rows))
