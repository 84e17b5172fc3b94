"""A roster upload held between its preview and the clerk's confirmation: stored as sent, then once with its checked rows.

What happens to it afterwards (importing, imported, cancelled) is kept by its import job: FerretDB
rewrites a whole document on any update. Its rows are kept as one compressed BSON value, not as
10,000 nested documents, because FerretDB spends its time per value it converts: reading the
rows back as one blob takes a fraction of a second instead of many.
"""
import zlib
from functools import cached_property

import bson
from mongoengine import BinaryField, DateTimeField, Document, ObjectIdField, StringField

from documents.base import now


def pack(creates, updates, rejects, unchanged=0):
    return zlib.compress(bson.encode({"creates": creates, "updates": updates, "rejects": rejects,
                                      "unchanged": unchanged}), 1)


def unpack(blob):
    """{"creates": [...], "updates": [...], "rejects": [...], "unchanged": n} from a stored batch's rows.

    Updates are the rows that change a known member; `unchanged` counts those that would change nothing.
    """
    return bson.decode(zlib.decompress(blob)) if blob else {"creates": [], "updates": [], "rejects": [], "unchanged": 0}


def pack_read(members, read_at, roster):
    """What the check read, for the import job only: the member each update changes (in the updates' order),
    when it read them and `roster`, [organisation, version, [member ids]] for each organisation and version they were at."""
    return zlib.compress(bson.encode({"members": members, "read_at": read_at, "roster": roster}), 1)


def unpack_read(blob):
    return bson.decode(zlib.decompress(blob)) if blob else {"members": [], "read_at": None, "roster": []}


class ImportBatch(Document):
    created_at = DateTimeField(default=now)
    created_by = ObjectIdField(required=True)
    # The creator's organisation: who else may see the batch and its import job (None: administrators only).
    organisation = ObjectIdField()
    filename = StringField()
    rows = BinaryField()  # None until the check job has gone through the upload
    upload = BinaryField()  # the file as sent (compressed), until it is checked
    read = BinaryField()  # the members the updates change as the check read them (pack_read), apart from the rows the preview shows

    # Batches stored before the job existed also carry `state`, `written` and their rows as lists.
    meta = {"collection": "import_batch", "indexes": ["created_by"], "strict": False}

    def __str__(self):
        return self.filename or ""

    @property
    def checked(self):
        return self.rows is not None

    @cached_property
    def content(self):
        return unpack(self.rows)

    @property
    def creates(self):
        return self.content["creates"]

    @property
    def updates(self):
        return self.content["updates"]

    @property
    def rejects(self):
        return self.content["rejects"]

    @property
    def unchanged(self):
        return self.content.get("unchanged", 0)
