"""Background jobs: the roster import and a year's archive run in their own process, once, and survive a reload or a crash."""
import datetime as dt
import hashlib
import io
import threading
import zipfile

import pytest

from documents import ImportBatch, Member, Pledge, User, jobs, roster
from documents.jobs import Job
from tests.clock import YEAR
from tests.factories import make_id_number, org
from tests.test_races import TRIALS
from tests.test_roster import confirm, preview_of, row, upload, wait_for, xlsx


def roster_of(n, birth="19810101", **kw):
    return xlsx([row(f"任务党员{i}", make_id_number(birth), **kw) for i in range(n)])


def test_double_click_on_confirm_finds_the_same_job(login_as, seeded):
    clerk = login_as("sq_clerk")
    url, _html = preview_of(clerk, upload(clerk, roster_of(30)))
    token = clerk.token(url)
    first = clerk.client.post(url, data={"choice": "commit", "csrf_token": token})
    second = clerk.client.post(url, data={"choice": "commit", "csrf_token": token})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    job = wait_for(clerk, first.headers["Location"])
    third = clerk.client.post(url, data={"choice": "commit", "csrf_token": token})
    assert third.status_code == 302 and third.headers["Location"] == first.headers["Location"]
    page = clerk.get(first.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新增 30 人，更新 0 人，拒绝 0 行" in page and 'href="/admin/member/"' in page
    assert 'class="progress-bar' in page and "30 / 30" in page
    assert "查看导入进度和结果" in clerk.get(url).get_data(as_text=True), "the preview now leads to the job"
    with seeded.app_context():
        assert Member.objects(__raw__={"name": {"$regex": "^任务党员"}}).count() == 30
        assert Job.objects(kind="import").count() == 1 and job["state"] == "done"


def test_concurrent_confirmations_start_one_job(seeded, monkeypatch):
    """Eight clicks on 确认导入 released together on a barrier, twenty times: each batch starts exactly one job."""
    with seeded.test_request_context():
        clerk = User.objects(username="sq_clerk").first()
        launched = []
        monkeypatch.setattr(jobs, "launch", lambda job_id, attempt: launched.append((job_id, attempt)))
        for trial in range(TRIALS):
            batch = roster.prepare(clerk, "r.xlsx", roster_of(2, birth=f"198101{trial + 1:02d}"),
                                   roster.Limits(10 ** 7, 10 ** 8, 1000))
            started, barrier = [], threading.Barrier(8)

            def click():
                with seeded.test_request_context():
                    barrier.wait()
                    started.append(roster.confirm(batch, clerk).id)
            threads = [threading.Thread(target=click) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert launched.count((f"import:{batch.pk}", 1)) == 1 and set(started) == {f"import:{batch.pk}"}, trial
        assert len(launched) == TRIALS
        jobs.run(f"import:{batch.pk}")
        assert Member.objects(__raw__={"name": {"$regex": "^任务党员"}}).count() == 2


def test_job_page_and_json_are_scoped_to_the_owner_organisation(login_as, seeded):
    clerk = login_as("sq_clerk")
    url, _html = preview_of(clerk, upload(clerk, roster_of(3)))
    job = confirm(clerk, url)
    job_url = f"/admin/job/{job['id']}/"
    other = login_as("qy_clerk")
    for path in (job_url, job_url + "status.json", job_url + "download"):
        assert other.get(path).status_code == 404
    assert login_as("jd_reviewer").get(job_url + "status.json").get_json()["result"]["created"] == 3
    assert login_as("admin").get(job_url).status_code == 200
    assert other.get("/admin/job/import:nothing/").status_code == 404


def test_reimport_shows_updates_and_a_cancelled_batch_cannot_start(login_as, seeded):
    clerk = login_as("sq_clerk")
    numbers = [make_id_number("19690909") for _ in range(4)]
    for post in ("楼院长", "网格员"):
        url, _html = preview_of(clerk, upload(clerk, xlsx([row(f"再导{i}", n, post=post) for i, n in enumerate(numbers)])))
        job = confirm(clerk, url)
    assert (job["result"]["created"], job["result"]["updated"]) == (0, 4)
    with seeded.app_context():
        assert [m.post for m in Member.objects(id_number__in=numbers)] == ["网格员"] * 4
        assert {m.version for m in Member.objects(id_number__in=numbers)} == {2}
    url, _html = preview_of(clerk, upload(clerk, roster_of(2, birth="19720202")))
    clerk.post(url, {"choice": "cancel"}, token_from=url)
    assert "已取消" in clerk.post(url, {"choice": "commit"}, token_from=url).get_data(as_text=True)
    with seeded.app_context():
        assert Job.objects(kind="import").count() == 3 and Job.objects(result__cancelled=True).count() == 1


@pytest.mark.parametrize("crash_in", ["creates", "updates"])
def test_a_job_whose_worker_died_is_resumed_by_the_next_visit(login_as, seeded, monkeypatch, crash_in):
    """Kill the work midway (after the first chunk of new members, or after the old versions were deleted), then reload."""
    clerk = login_as("sq_clerk")
    rows = roster.CHUNK + 500 if crash_in == "creates" else 200  # more than a chunk only where the crash needs it
    numbers = [make_id_number(f"198808{day:02d}") for day in (1, 2) for _ in range(rows // 2)]
    if crash_in == "updates":
        # A finished first import, done in this process, for the crashing re-import below to update.
        url, _html = preview_of(clerk, upload(clerk, xlsx([row(f"续{i}", n) for i, n in enumerate(numbers)])))
        with seeded.test_request_context():
            first = ImportBatch.objects(pk=url.split("/")[-2]).first()
            roster.commit(first.pk, User.objects(username="sq_clerk").first())
    url, _html = preview_of(clerk, upload(clerk, xlsx([row(f"续{i}", n, post="新岗位") for i, n in enumerate(numbers)])))
    with seeded.test_request_context():
        roster_size = Member.objects(organisation=org("SQ01")).count()
        user = User.objects(username="sq_clerk").first()
        batch = ImportBatch.objects(pk=url.split("/")[-2]).first()
        real_launch = jobs.launch
        monkeypatch.setattr(jobs, "launch", lambda job_id, attempt: None)
        job = roster.confirm(batch, user)
        if crash_in == "creates":
            def report(done=None, **_kw):
                if done:
                    raise SystemExit("killed after the first chunk")
        else:
            monkeypatch.setattr(roster, "_insert_new", lambda *_a: (_ for _ in ()).throw(SystemExit("killed")))
            report = None
        with pytest.raises(SystemExit):
            roster.commit(batch.pk, user, report)
        monkeypatch.undo()
        assert real_launch is jobs.launch
        present = Member.objects(id_number__in=numbers).count()
        assert present == (roster.CHUNK if crash_in == "creates" else 0), "the crash left the work half done"
        Job.objects(pk=job.id).update_one(set__heartbeat=dt.datetime.utcnow() - dt.timedelta(minutes=5))
    assert "上次处理中断，正在继续" in clerk.get(f"/admin/job/{job.id}/").get_data(as_text=True)
    assert wait_for(clerk, f"/admin/job/{job.id}/", timeout=120)["state"] == "done"
    with seeded.app_context():
        assert Member.objects(id_number__in=numbers).count() == rows
        assert Member.objects(id_number__in=numbers, post="新岗位").count() == rows
        assert Member.objects(organisation=org("SQ01")).count() == roster_size + (rows if crash_in == "creates" else 0)
        assert Job.objects(pk=job.id).first().attempt == 2
        assert ImportBatch._get_db()[f"import_staging_{batch.pk}"].count_documents({}) == 0


def test_archive_job_from_the_organisation_page(login_as, seeded, tmp_path):
    seeded.config["JOB_DIR"] = str(tmp_path)
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        letters = Pledge.objects(organisation__in=sq.subtree_ids, year=YEAR).count()
    details = f"/admin/organisation/details/?id={sq.pk}"
    assert "年度归档包" in clerk.get(details).get_data(as_text=True)
    form = {"id": str(sq.pk), "year": str(YEAR), "key": "abc123"}
    first = clerk.post("/admin/job/archive/", form, token_from=details)
    again = clerk.post("/admin/job/archive/", form, token_from=details)
    assert first.headers["Location"] == again.headers["Location"]
    job = wait_for(clerk, first.headers["Location"], timeout=300)
    assert job["state"] == "done", job
    page = clerk.get(first.headers["Location"]).get_data(as_text=True)
    assert "下载归档包" in page
    response = clerk.get(first.headers["Location"] + "download")
    assert response.status_code == 200 and f"SQ01_{YEAR}" in response.headers["Content-Disposition"].replace("%5F", "_")
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        lines = bundle.read("MANIFEST.sha256").decode().split("\n")
        listed = dict(reversed(line.split("  ", 1)) for line in lines if line)
        assert set(listed) == set(bundle.namelist()) - {"MANIFEST.sha256"}
        assert all(hashlib.sha256(bundle.read(n)).hexdigest() == d for n, d in listed.items())
        assert len([n for n in listed if n.startswith("承诺书/")]) == letters
    assert login_as("qy_clerk").get(first.headers["Location"] + "download").status_code == 404
    assert login_as("qy_clerk").post("/admin/job/archive/", form, token_from="/admin/").status_code == 404


def test_a_job_runs_on_the_database_settings_of_the_app_that_started_it(app, monkeypatch, tmp_path):
    """A job process given the environment's PostgreSQL, under an app that does not own one, made tables and indexes
    in it at start-up (every job of the test suite did): it gets the app's settings, with or without PostgreSQL."""
    started = []
    monkeypatch.setattr(jobs.subprocess, "Popen", lambda args, env, **_kw: started.append(env))
    monkeypatch.setenv("PLEDGEDESK_POSTGRES_URL", "postgresql://someone@/elsewhere")
    app.config["JOB_DIR"] = str(tmp_path)
    with app.app_context():
        jobs.launch("a job", 1)
        app.config["POSTGRES_URL"] = "postgresql://pledgedesk@/ours"
        jobs.launch("a job", 2)
    assert [env.get("PLEDGEDESK_POSTGRES_URL") for env in started] == [None, "postgresql://pledgedesk@/ours"]
    assert {env["MONGODB_URI"] for env in started} == {app.config["MONGODB_URI"]}
