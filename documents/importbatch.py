"""A roster upload held between its preview and the clerk's confirmation; written once, never updated.

Its rows make it large (megabytes) and FerretDB rewrites a whole document on any update, so what
happens to it afterwards (importing, imported, cancelled) is kept by its import job instead.
"""
from mongoengine import DateTimeField, DictField, Document, ListField, ObjectIdField, StringField

from documents.base import now


class ImportBatch(Document):
    created_at = DateTimeField(default=now)
    created_by = ObjectIdField(required=True)
    # The creator's organisation: who else may see the batch and its import job (None: administrators only).
    organisation = ObjectIdField()
    filename = StringField()
    creates = ListField(DictField())
    updates = ListField(DictField())
    rejects = ListField(DictField())

    # Batches stored before the job existed also carry `state` and `written`.
    meta = {"collection": "import_batch", "indexes": ["created_by"], "strict": False}

    def __str__(self):
        return self.filename or ""
