"""践诺: progress entries per item, attachment checks, overdue items, scoping of files."""
import datetime as dt
import io

from documents import AuditEntry, Pledge
from documents.progress import Attachment, ProgressEntry, overdue_items
from tests.clock import TODAY
from tests.factories import org

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def published(app, code="SQ01"):
    with app.app_context():
        return Pledge.objects(organisation=org(code), state="published", scope="member").first().pk


def post_progress(clerk, pledge_id, **fields):
    data = {"item": "0", "on": TODAY.isoformat(), "status": "进行中", "percent": "40", "note": "已走访5户", **fields}
    return clerk.post(f"/admin/pledge/progress/?id={pledge_id}", data, token_from=f"/admin/pledge/details/?id={pledge_id}",
                      content_type="multipart/form-data")


def test_progress_with_photo_is_recorded_and_audited(seeded, login_as):
    pledge_id = published(seeded)
    clerk = login_as("sq_clerk")
    response = post_progress(clerk, pledge_id, attachment=(io.BytesIO(PNG), "现场照片.png"))
    assert response.status_code == 302
    page = clerk.get(f"/admin/pledge/details/?id={pledge_id}").get_data(as_text=True)
    assert "已登记进度" in page and "已走访5户" in page and "现场照片.png" in page
    with seeded.app_context():
        entry = ProgressEntry.objects(pledge=pledge_id).first()
        assert entry.percent == 40 and entry.attachment
        assert AuditEntry.objects(record_id=entry.pk, action="登记进度").count() == 1
    assert clerk.get(f"/admin/pledge/attachment/{entry.attachment}").data == PNG
    assert login_as("qy_clerk").get(f"/admin/pledge/attachment/{entry.attachment}").status_code == 404


def test_attachments_are_checked_by_content_and_size(seeded, login_as):
    pledge_id = published(seeded)
    clerk = login_as("sq_clerk")
    page = post_progress(clerk, pledge_id, item="1", status="已完成", percent="100", note="楼道灯已全部更换",
                         attachment=(io.BytesIO(b"MZ\x90\x00 not a picture"), "photo.png")).get_data(as_text=True)
    assert "附件只能是 JPG、PNG 图片或 PDF 文件" in page
    # What the clerk typed is still there; only the file has to be chosen again.
    assert '<option value="1" selected>' in page and "<option selected>已完成</option>" in page
    assert 'name="percent" min="0" max="100" value="100"' in page and ">楼道灯已全部更换</textarea>" in page
    assert "请重新选择" in page
    page = post_progress(clerk, pledge_id, attachment=(io.BytesIO(PNG + b"\x00" * (2 * 1024 * 1024)), "big.png"))
    assert "附件不能超过 2 MB" in page.get_data(as_text=True) and ">已走访5户</textarea>" in page.get_data(as_text=True)
    with seeded.app_context():
        assert ProgressEntry.objects(pledge=pledge_id).count() == 0 and Attachment.objects.count() == 0


def test_bad_percent_and_draft_pledges_are_refused(seeded, login_as):
    clerk = login_as("sq_clerk")
    assert "完成比例请填写0到100之间的整数" in post_progress(clerk, published(seeded), percent="一半").get_data(as_text=True)
    with seeded.app_context():
        draft = Pledge.objects(organisation=org("SQ01"), state="draft").first().pk
    assert "只有已公示或践诺中的承诺可以登记进度" in post_progress(clerk, draft).get_data(as_text=True)


def test_items_past_deadline_and_not_done_are_overdue(seeded, login_as):
    pledge_id = published(seeded)
    with seeded.app_context():
        pledge = Pledge.objects(pk=pledge_id).first()
        pledge.items[0].deadline = TODAY - dt.timedelta(days=1)
        Pledge.objects(pk=pledge_id).update_one(set__items=pledge.items)
        pledge.reload()
        assert 0 in overdue_items(pledge, today=TODAY)
    clerk = login_as("sq_clerk")
    assert "已过完成时限、尚未完成：第 1" in clerk.get(f"/admin/pledge/details/?id={pledge_id}").get_data(as_text=True)
    post_progress(clerk, pledge_id, status="已完成", percent="100")
    with seeded.app_context():
        assert 0 not in overdue_items(Pledge.objects(pk=pledge_id).first(), today=TODAY)
