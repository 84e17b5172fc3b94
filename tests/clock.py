"""The one frozen "today" of a test run: PLEDGEDESK_TEST_TODAY (local time), else the moment the run began."""
import datetime as dt
import os

# Set once in the controlling process so that every xdist worker inherits the same moment.
os.environ.setdefault("PLEDGEDESK_TEST_TODAY", dt.datetime.now().replace(microsecond=0).isoformat(" "))

NOW = dt.datetime.fromisoformat(os.environ["PLEDGEDESK_TEST_TODAY"]).astimezone()
TODAY = NOW.date()
YEAR = TODAY.year
# The session seeds its demo data a little before NOW, on the same day, so that whatever a test writes is newer
# than the demo's records (the audit log lists the newest first) however long the seeding took.
SEEDED = max(NOW - dt.timedelta(minutes=10), NOW.replace(hour=0, minute=0, second=0))


def handover():
    """What a child process needs to run on this process's clock: (the clock's now, the real time), as strings."""
    from time_machine import escape_hatch
    return [dt.datetime.now(dt.timezone.utc).isoformat(), repr(escape_hatch.time.time())]


def follow(now, real):
    """In a child process: run the clock from the parent's `now` plus the real time the child took to start.

    Without the second part a child that imports slowly on a loaded machine lives seconds behind its parent,
    which shortens every lease it takes."""
    import time
    import time_machine
    time_machine.travel(dt.datetime.fromisoformat(now) + dt.timedelta(seconds=time.time() - float(real)),
                        tick=True).start()
