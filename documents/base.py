"""What every editable record shares: a version number checked on save."""
import datetime as dt

from mongoengine import DateTimeField, Document, IntField
from mongoengine.connection import get_db
from mongoengine.errors import SaveConditionError
from pymongo.errors import DuplicateKeyError


class StaleRecord(Exception):
    """Somebody saved the record after this copy was loaded."""


def now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def claim(collection, pk, version):
    """Claim the right to change one version of a record; only the first claimant gets it.

    FerretDB v1.24 on SQLite does not make a filtered update atomic: two concurrent
    update_one({"_id": x, "version": 3}, ...) calls can both succeed. An insert of a
    duplicate _id is refused atomically on every backend, so each change first inserts
    "<collection>:<id>:<version>" into the claims collection and the loser is told.
    """
    try:
        get_db()["claims"].insert_one({"_id": f"{collection}:{pk}:{version}", "at": now()})
    except DuplicateKeyError as exc:
        raise StaleRecord() from exc


class VersionedDocument(Document):
    version = IntField(default=0)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    meta = {"abstract": True}

    def check_writable(self):
        """Raise ValidationError when the record may not change now; documents of a year override it."""

    def save_checked(self, expected_version):
        """Save only if the stored version is still the one the editor loaded (compare-and-set)."""
        self.check_writable()
        if self.pk is None:
            self.version = 1
            self.updated_at = now()
            return self.save()
        claim(self._get_collection_name(), self.pk, int(expected_version))
        self.version = int(expected_version) + 1
        self.updated_at = now()
        try:
            return self.save(save_condition={"version": int(expected_version)})
        except SaveConditionError as exc:
            self.version = int(expected_version)
            raise StaleRecord() from exc
