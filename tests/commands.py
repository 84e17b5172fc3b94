"""Record the commands pages send to the database, to count them and read their filters."""
from contextlib import contextmanager

import bson
from pymongo import monitoring

READS = {"find": "filter", "count": "query", "aggregate": None, "distinct": "query"}


class Commands(list):
    """[(command, collection, filter)] of the reads sent, and `replied`: the bytes of every reply (cursor batches too)."""
    replied = 0


class _Recorder(monitoring.CommandListener):
    def __init__(self):
        self.commands = None

    def started(self, event):
        if self.commands is not None and event.command_name in READS:
            key = READS[event.command_name]
            self.commands.append((event.command_name, event.command.get(event.command_name),
                                  event.command.get(key) if key else event.command.get("pipeline")))

    def succeeded(self, event):
        if self.commands is not None:
            self.commands.replied += len(bson.encode(event.reply))

    def failed(self, event):
        pass


_RECORDER = _Recorder()
# Registered when a test module imports this, before the session's app creates its client.
monitoring.register(_RECORDER)


@contextmanager
def recorded():
    """Collect [(command, collection, filter)] for every read sent inside the block."""
    _RECORDER.commands = Commands()
    try:
        yield _RECORDER.commands
    finally:
        _RECORDER.commands = None
