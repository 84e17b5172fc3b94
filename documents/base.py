"""What every editable record shares: a version number checked on save."""
import datetime as dt

from mongoengine import DateTimeField, Document, IntField
from mongoengine.errors import SaveConditionError


class StaleRecord(Exception):
    """Somebody saved the record after this copy was loaded."""


def now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class VersionedDocument(Document):
    version = IntField(default=0)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    meta = {"abstract": True}

    def save_checked(self, expected_version):
        """Save only if the stored version is still the one the editor loaded (compare-and-set)."""
        if self.pk is None:
            self.version = 1
            self.updated_at = now()
            return self.save()
        self.version = int(expected_version) + 1
        self.updated_at = now()
        try:
            return self.save(save_condition={"version": int(expected_version)})
        except SaveConditionError as exc:
            self.version = int(expected_version)
            raise StaleRecord() from exc
