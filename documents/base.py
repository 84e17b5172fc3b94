"""What every editable record shares: a version number checked on save, with its audit entry."""
import datetime as dt

from bson import ObjectId
from flask import has_request_context
from flask_babel import to_user_timezone
from mongoengine import DateTimeField, Document, IntField
from mongoengine.errors import NotUniqueError, OperationError, SaveConditionError, ValidationError

from documents.store import claims
from documents.store.claims import StaleRecord

__all__ = ["StaleRecord", "VersionedDocument", "as_version", "check_unique", "cn_date", "cn_minute", "now"]

# What a clerk is told, next to the field, when a unique value is taken: "<collection>:<field>".
UNIQUE_MESSAGES = {"member:id_number": "该身份证号已登记", "organisation:code": "组织代码已存在",
                   "user:username": "用户名已存在", "vocabulary:label": "该名称已存在",
                   "member_card:year": "该党员这一年度已有创建卡"}


def now():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def cn_date(value):
    """2026年3月31日, the way dates are written on forms and in messages."""
    if not value:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def cn_minute(value):
    """2026年5月20日 09:31 in the app's time zone, for a stored (UTC) moment."""
    if not value:
        return ""
    local = to_user_timezone(value.replace(tzinfo=dt.timezone.utc)) if has_request_context() else value
    return f"{cn_date(local)} {local:%H:%M}"


def as_version(value):
    """The version an editor loaded; anything that is not a small whole number means the form is stale."""
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9:
        raise StaleRecord()
    return int(text)


def check_unique(doc):
    """Raise ValidationError next to the field when another record already holds a unique value."""
    fields = claims.find_duplicate(doc)
    if fields:
        name = fields[-1]
        message = UNIQUE_MESSAGES.get(f"{doc._get_collection_name()}:{name}", "该值已被其他记录使用")
        raise ValidationError(message, errors={name: ValidationError(message, field_name=name)}, field_name=name)


class VersionedDocument(Document):
    version = IntField(default=0)
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)

    meta = {"abstract": True}

    def check_writable(self):
        """Raise ValidationError when the record may not change now; documents of a year override it."""

    def save_checked(self, expected_version, log=None):
        """Validate, then save only if the stored version is still the one the editor loaded (compare-and-set).

        log(doc) returns the audit entry of this change; it is written with the change, never apart from it.
        """
        created = self.pk is None
        expected = 0 if created else as_version(expected_version)
        if created:
            self.pk = ObjectId()  # before validation: a record's org_path includes its own id
        try:
            self.check_writable()
            self.validate()
            check_unique(self)
        except BaseException:
            if created:
                self.pk = None
            raise
        self.version, self.updated_at = expected + 1, now()
        try:
            claims.change(self._get_collection_name(), self.pk, expected, lambda: self._write(created, expected),
                          entry=log(self) if log else None)
        except BaseException:
            self.version = expected
            if created:
                self.pk = None
            raise
        return self

    def _write(self, created, expected):
        """The write a claim protects; a unique conflict FerretDB reports as a generic error becomes a message."""
        try:
            if created:
                self.save(validate=False, force_insert=True)
            else:
                self.save(validate=False, save_condition={"version": expected})
        except SaveConditionError as exc:
            raise StaleRecord() from exc
        except (NotUniqueError, OperationError):
            check_unique(self)
            raise

    def delete_checked(self, log=None):
        """Delete this version of the record with its audit entry, unless somebody changed it meanwhile."""
        claims.change(self._get_collection_name(), self.pk, self.version or 0, self.delete,
                      entry=log(self) if log else None, reached={"gone": 1})
