"""A roster upload held between its preview and the clerk's confirmation."""
from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, ObjectIdField, StringField

from documents.base import now

STATES = ("待确认", "导入中", "已导入", "已放弃")


class ImportBatch(Document):
    created_at = DateTimeField(default=now)
    created_by = ObjectIdField(required=True)
    # The creator's organisation: who else may see the batch and its import job (None: administrators only).
    organisation = ObjectIdField()
    filename = StringField()
    state = StringField(default="待确认", choices=STATES)
    creates = ListField(DictField())
    updates = ListField(DictField())
    rejects = ListField(DictField())
    written = IntField(default=0)
    updates_written = BooleanField(default=False)

    meta = {"collection": "import_batch", "indexes": ["created_by"]}

    def __str__(self):
        return f"{self.filename}（{self.state}）"
