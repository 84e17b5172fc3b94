"""Put on PYTHONPATH by tests/conftest.py: a process a test starts, the app's job runner included, runs on the test's clock."""
import os

if os.environ.get("PLEDGEDESK_TEST_CLOCK"):
    from tests import clock
    clock.follow(*os.environ["PLEDGEDESK_TEST_CLOCK"].split("|"))
