"""Compare-and-set built on inserts, with a lease, and the audit entry that travels with each change.

FerretDB 1.24 does not make a filtered update atomic (two concurrent update_one({"_id": x,
"version": 3}) both succeed), but refuses a duplicate _id atomically on every backend, as
MongoDB does. So every change of a record first inserts the claim "<collection>:<id>:<version>";
only one writer gets it. The claim carries the change's audit entry and what the record looks
like once the change is written ("reached"), so that:

- a claim whose write failed is released at once, and one whose holder died is superseded
  after the lease by whoever finds the record not yet changed: the successor claim
  "<claim>:r<n>" is again an insert, so exactly one taker wins;
- the audit entry is appended right after the write under a unique "claim" key; if the process
  dies in between, a repair pass (at start-up, and whenever a claim meets a conflict) finds the
  claim still marked pending, sees the record reached its version and appends the entry once.
"""
import datetime as dt
import os
import re
import secrets
import socket
import time
import uuid

from bson import ObjectId
from flask import current_app, has_app_context
from mongoengine import Document, StringField
from mongoengine.connection import get_db
from pymongo.errors import BulkWriteError, DuplicateKeyError

DEFAULT_LEASE_SECONDS = 30
CLAIM_CHUNK = 1000  # claims inserted per command by claim_many
DUPLICATE_KEY = 11000
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,96}$")


def new_nonce():
    """A fresh key for one rendered form, so that submitting it twice does its work once."""
    return secrets.token_urlsafe(16)


class StaleRecord(Exception):
    """Somebody saved the record after this copy was loaded, or is saving it right now."""


def _now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def lease():
    """How long a claim protects a write whose holder may have died (CLAIM_LEASE_SECONDS)."""
    seconds = current_app.config.get("CLAIM_LEASE_SECONDS", DEFAULT_LEASE_SECONDS) if has_app_context() \
        else DEFAULT_LEASE_SECONDS
    return dt.timedelta(seconds=float(seconds))


class Claim(Document):
    """A claim, declared so that the store's indexes cover its table; read and written as plain documents."""
    id = StringField(primary_key=True)
    meta = {"collection": "claims", "strict": False}


class PendingClaim(Document):
    """A claim whose audit entry is not yet appended: what the repair pass looks at."""
    id = StringField(primary_key=True)
    meta = {"collection": "claims_pending", "strict": False}


class Ticket(Document):
    """A number taken from a sequence ("<sequence>:<n>"), and the sequence's hint of where to look next ("<sequence>:next")."""
    id = StringField(primary_key=True)
    meta = {"collection": "tickets", "strict": False}


class Receipt(Document):
    """The outcome of one submitted form, so that the same form sent again is answered, not redone."""
    id = StringField(primary_key=True)
    meta = {"collection": "receipts", "strict": False}


def _claims():
    return Claim._get_collection()


def _pending():
    return PendingClaim._get_collection()


_AUDIT_INDEXED = set()


def _audit():
    """The audit collection, with the unique key that makes appending an entry twice impossible."""
    db = get_db()
    if db.name not in _AUDIT_INDEXED:
        db["audit"].create_index([("claim", 1)], unique=True, sparse=True, name="claim_1")
        _AUDIT_INDEXED.add(db.name)
    return db["audit"]


def claim(collection, pk, version, *, entry=None, reached=None, holder=None):
    """Take the right to change one version of a record and return the claim id; raise StaleRecord if taken.

    entry is the audit entry (a plain dict) to append once the write is done; reached says how
    the record looks after the write: {"version": n} (the default, version + 1), {"gone": 1}
    (deleted) or {"set": field}. holder names the taker (by default this process, once).
    """
    base = f"{collection}:{pk}:{version}"
    doc = _claim_doc(collection, pk, version, holder, reached, entry)
    try:
        _claims().insert_one({"_id": base, **doc})
        cid = base
    except DuplicateKeyError:
        repair()
        cid = _take_over(base, doc)
    if entry is not None:
        _pending().insert_one({"_id": cid, "at": doc["at"]})
    return cid


def _claim_doc(collection, pk, version, holder=None, reached=None, entry=None):
    return {"coll": collection, "pk": pk, "at": _now(),
            "holder": holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
            "reached": reached or {"version": int(version) + 1}, "entry": entry}


def claim_many(collection, versions, holder):
    """Claim {pk: version} of many records in one insert per chunk for one holder; return the pks it could not claim.

    A claim this holder already took (a rerun after a crash) counts as taken; a claim somebody else
    holds is taken over only as claim() would (released, or past its lease on an unchanged record).
    """
    refused = []
    items = list(versions.items())
    for start in range(0, len(items), CLAIM_CHUNK):
        chunk = items[start:start + CLAIM_CHUNK]
        try:
            _claims().insert_many([{"_id": f"{collection}:{pk}:{v}", **_claim_doc(collection, pk, v, holder)}
                                   for pk, v in chunk], ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", ())):
                raise
            refused += [(error["op"]["pk"], versions[error["op"]["pk"]]) for error in exc.details["writeErrors"]]
    lost = []
    for pk, version in refused:
        chain = _chain(f"{collection}:{pk}:{version}")
        if chain and chain[-1].get("holder") == holder:
            continue
        try:
            claim(collection, pk, version, holder=holder)
        except StaleRecord:
            lost.append(pk)
    return lost


def _chain(base):
    """The claim of one version and its successors, oldest first."""
    chain = [_claims().find_one({"_id": base})]
    while True:
        successor = _claims().find_one({"_id": f"{base}:r{len(chain)}"})
        if successor is None:
            return [c for c in chain if c is not None]
        chain.append(successor)


def _take_over(base, doc):
    """Supersede a released claim, or one past its lease on a record still at that version."""
    chain = _chain(base)
    latest = chain[-1] if chain else None
    if latest is None or _reached(latest, base):
        raise StaleRecord()
    if not latest.get("released") and latest["at"] > _now() - lease():
        raise StaleRecord()
    successor = f"{base}:r{len(chain)}"
    try:
        _claims().insert_one({"_id": successor, **doc})
    except DuplicateKeyError as exc:
        raise StaleRecord() from exc
    _pending().delete_one({"_id": latest["_id"]})
    return successor


def _reached(claim_doc, base=None):
    """True when the record already shows the change this claim was taken for."""
    collection, pk = claim_doc.get("coll"), claim_doc.get("pk")
    spec = claim_doc.get("reached")
    if collection is None:  # a claim written before claims knew their record: "<coll>:<id>:<version>"
        collection, pk_text, version = (base or claim_doc["_id"]).split(":")[:3]
        pk, spec = _object_id(pk_text), {"version": int(version) + 1}
    stored = get_db()[collection].find_one({"_id": pk})
    if "gone" in spec:
        return stored is None
    if stored is None:
        return False
    if "set" in spec:
        return stored.get(spec["set"]) is not None
    return int(stored.get("version") or 0) >= spec["version"]


def _object_id(text):
    return ObjectId(text) if ObjectId.is_valid(text) else text


def release(cid):
    """Give a claim back after its write failed, so the next save of that version goes ahead at once."""
    _claims().update_one({"_id": cid}, {"$set": {"released": True}})
    _pending().delete_one({"_id": cid})


def complete(cid, entry=None):
    """Append the audit entry of a written change (at most once) and drop its pending mark."""
    if entry is not None:
        try:
            _audit().insert_one({**entry, "claim": cid})
        except DuplicateKeyError:
            pass
    _pending().delete_one({"_id": cid})


def change(collection, pk, version, write, *, entry=None, reached=None):
    """Claim one version of a record, run write(), then append its audit entry; release the claim if write fails."""
    cid = claim(collection, pk, version, entry=entry, reached=reached)
    try:
        result = write()
    except BaseException:
        release(cid)
        raise
    complete(cid, entry)
    return result


def repair():
    """Finish changes whose holder died after writing; release claims whose holder died before writing."""
    expired = _now() - lease()
    for mark in list(_pending().find()):
        found = _claims().find_one({"_id": mark["_id"]})
        if found is None or found.get("released"):
            _pending().delete_one({"_id": mark["_id"]})
        elif _reached(found):
            complete(found["_id"], found.get("entry"))
        elif found["at"] < expired:
            release(found["_id"])


def take_numbers(sequence, count=1):
    """The next `count` numbers of a sequence (0, 1, 2…), ascending; no number is ever handed out twice.

    Each number is an insert of its ticket, which only one taker wins even on FerretDB (a concurrent $inc
    loses increments). The hint may lag behind under concurrency: that costs a refused insert or two, never a duplicate.
    """
    tickets, hint = Ticket._get_collection(), f"{sequence}:next"
    n, taken = (tickets.find_one({"_id": hint}) or {}).get("n", 0), []
    while len(taken) < count:
        block = range(n, n + count - len(taken))
        try:  # in order, in one command: the first number already taken stops the rest
            tickets.insert_many([{"_id": f"{sequence}:{i}", "at": _now()} for i in block])
            done = len(block)
        except BulkWriteError as exc:
            if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", ())):
                raise
            done = exc.details["nInserted"]
        taken += block[:done]
        n = block.start + done + 1  # past the number somebody else holds
    try:
        tickets.update_one({"_id": hint}, {"$max": {"n": taken[-1] + 1}}, upsert=True)
    except DuplicateKeyError:
        pass  # another taker created the hint meanwhile; it is only a hint
    return taken


def form_key(actor_pk, nonce, *parts):
    """The receipt key of one submitted form (its nonce) for one user and thing, or None without a usable nonce."""
    if not nonce or not NONCE_RE.match(str(nonce)):
        return None
    return ":".join(str(p) for p in (actor_pk, nonce, *parts))


def once(key, run):
    """Run run() once per key (see form_key); a repeat gets the first run's stored outcome instead.

    The receipt is an insert, so of two identical submits in flight one runs and the other waits
    for its outcome. A run that fails leaves no receipt: the user corrects the form and submits again.
    Without a key, run() simply runs.
    """
    if key is None:
        return run()
    receipts = Receipt._get_collection()
    while True:
        try:
            receipts.insert_one({"_id": key, "at": _now()})
            break
        except DuplicateKeyError:
            found = receipts.find_one({"_id": key})
            if found is None:
                continue
            if "outcome" in found:
                return found["outcome"]
            if found["at"] < _now() - lease():
                receipts.delete_one({"_id": key, "at": found["at"]})
                continue
            time.sleep(0.05)
    try:
        outcome = run()
    except BaseException:
        receipts.delete_one({"_id": key})
        raise
    receipts.update_one({"_id": key}, {"$set": {"outcome": outcome}})
    return outcome


def find_duplicate(doc):
    """The unique field (or fields) another stored document already holds with this one's values, else None."""
    values = doc.to_mongo()
    for spec in type(doc)._meta.get("index_specs") or ():
        if not spec.get("unique"):
            continue
        fields = [name for name, _direction in spec["fields"]]
        query = {name: values.get(name) for name in fields}
        if any(v is None for v in query.values()):
            continue
        for other in doc._get_collection().find(query, {"_id": 1}).limit(2):
            if other["_id"] != doc.pk:
                return fields
    return None
