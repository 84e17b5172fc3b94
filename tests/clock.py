"""The one frozen "today" of a test run: PLEDGEDESK_TEST_TODAY (local time), else the moment the run began."""
import datetime as dt
import os

# Set once in the controlling process so that every xdist worker inherits the same moment.
os.environ.setdefault("PLEDGEDESK_TEST_TODAY", dt.datetime.now().replace(microsecond=0).isoformat(" "))

NOW = dt.datetime.fromisoformat(os.environ["PLEDGEDESK_TEST_TODAY"]).astimezone()
TODAY = NOW.date()
YEAR = TODAY.year
