"""The public board of a large tree: branches listed with counts, pledges paged, every page light for a phone."""
import datetime as dt
import re

import pytest
from bson import ObjectId

from documents import Member, Pledge, User, summary
from documents.board import PAGE_SIZE, PUBLIC_STATES
from documents.progress import record
from tests.commands import recorded
from tests.clock import TODAY, YEAR
from tests.test_exports import pdf_text
from tests.factories import make_id_number, org

EXTRA = 2 * PAGE_SIZE + 7
LIGHT = 300 * 1024
ITEM = "组织党员志愿者为辖区独居老人、困难家庭每月上门走访一次，帮助解决买菜就医、家电维修、邻里矛盾调解等实际困难"


@pytest.fixture
def crowded(seeded):
    """SQ01 with EXTRA more published pledges of three long items each, all open for opinions today."""
    with seeded.app_context():
        sq = org("SQ01")
        base = Pledge.objects(organisation=sq, state="published", scope="member").first().to_mongo().to_dict()
        members = [{"_id": ObjectId(), "name": f"公示党员{n:03d}", "id_number": make_id_number("19700101"),
                    "phone": f"1390000{n:04d}", "organisation": sq.pk, "status": "在册", "categories": [],
                    "post": "网格员", "version": 1} for n in range(EXTRA)]
        Member._get_collection().insert_many(members)
        items = [{"content": f"{n + 1}. {ITEM}", "owner": "本人及楼院党员志愿者", "deadline": dt.datetime(YEAR, 12, 31),
                  "expected": "独居老人、困难家庭有人问、有人帮，群众满意", "extra": {}} for n in range(3)]
        Pledge._get_collection().insert_many([
            {**base, "_id": ObjectId(), "member": m["_id"], "items": items, "published_on": dt.datetime.combine(
                dt.date.today(), dt.time()), "publish_days": 7} for m in members])
        summary.refresh(sq.pk)
        public = {str(p.pk) for p in Pledge.objects(organisation=sq, year=YEAR, state__in=PUBLIC_STATES)}
        return sq, public, members


def pledge_ids(html):
    return re.findall(r'class="pledge" id="p([0-9a-f]{24})"', html)


def test_a_large_branch_is_paged_and_every_page_stays_light(crowded, client):
    sq, public, members = crowded
    seen, pages = [], (len(public) + PAGE_SIZE - 1) // PAGE_SIZE
    for page in range(1, pages + 1):
        html = client.get(f"/board/SQ01?year={YEAR}&page={page}").get_data(as_text=True)
        ids = pledge_ids(html)
        assert len(ids) == min(PAGE_SIZE, len(public) - (page - 1) * PAGE_SIZE)
        assert f"第 {page} 页 / 共 {pages} 页" in html
        size = len(html.encode())
        assert size <= LIGHT and size / len(ids) * PAGE_SIZE <= LIGHT, f"page {page}: {size} bytes"
        assert not any(m["id_number"] in html or m["phone"] in html for m in members)
        seen += ids
    assert sorted(seen) == sorted(public), "every published pledge on exactly one page"
    assert "公示党员000" in client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)


def test_a_street_lists_its_branches_with_counts_instead_of_every_pledge(crowded, client):
    sq, public, _members = crowded
    html = client.get(f"/board/JD01?year={YEAR}").get_data(as_text=True)
    assert pledge_ids(html) == [] and len(html.encode()) < 20 * 1024
    assert re.search(rf'href="/board/SQ01\?year={YEAR}">幸福里社区党支部<span class="count">(\d+) 份承诺', html).group(1) \
        == str(len(public))
    assert f'href="/board/QY01?year={YEAR}"' in html


def test_the_board_reads_published_pledges_by_equality_only(crowded, client, monkeypatch):
    built, make = [], Pledge._from_son.__func__
    monkeypatch.setattr(Pledge, "_from_son", classmethod(lambda cls, son, *a, **k: built.append(son["_id"]) or
                                                        make(cls, son, *a, **k)))
    with recorded() as commands:
        html = client.get(f"/board/SQ01?year={YEAR}&page=2").get_data(as_text=True)
        client.get(f"/board/JD01?year={YEAR}")
    # Only the page's pledges become documents (1-2 ms each): SQ01 publishes over twice as many.
    assert len(pledge_ids(html)) == PAGE_SIZE and sorted(map(str, built)) == sorted(pledge_ids(html))
    pledge_reads = [f for command, collection, f in commands if collection == "pledge"]
    assert pledge_reads and all(f["state"] in PUBLIC_STATES for f in pledge_reads)
    assert "$" not in str(pledge_reads), pledge_reads
    assert len(commands) < 20, commands


def test_an_opinion_left_on_page_two_returns_to_page_two(crowded, client):
    html = client.get(f"/board/SQ01?year={YEAR}&page=2").get_data(as_text=True)
    target = pledge_ids(html)[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/board/SQ01/opinion/{target}?page=2", data={"csrf_token": token, "text": "希望多走访几次"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"page=2#p{target}")
    # The answer opens the card the page returns to (a phone shows it without scrolling), not the top of the page.
    card = client.get(response.headers["Location"]).get_data(as_text=True).split(f'id="p{target}">', 1)[1]
    assert card.split("<ol>", 1)[0].count("意见已转给该党组织") == 1
    for _n in range(3):
        response = client.post(f"/board/SQ01/opinion/{target}?page=2", data={"csrf_token": token, "text": "再提一条"})
    card = client.get(response.headers["Location"]).get_data(as_text=True).split(f'id="p{target}">', 1)[1]
    assert "提交太频繁，请稍后再试" in card.split("<ol>", 1)[0]


def test_the_board_and_its_sheet_show_each_items_latest_progress_but_not_its_note(seeded, client, login_as):
    with seeded.app_context():
        sq, clerk = org("SQ01"), User.objects(username="sq_clerk").first()
        pledge = Pledge.objects(organisation=sq, state="published", scope="member").first()
        record(clerk, pledge, 0, TODAY - dt.timedelta(days=3), "进行中", 30, note="已走访3户")
        record(clerk, pledge, 0, TODAY, "进行中", 60, note="已走访5户，联系电话13900001111")
        record(clerk, pledge, 1, TODAY, "已完成", 10)
    today = f"{TODAY.year}年{TODAY.month}月{TODAY.day}日"
    page = client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)
    card = page[page.index(f'id="p{pledge.pk}"'):]
    card = card[:card.index('<div class="pledge"') if '<div class="pledge"' in card else len(card)]
    assert f"进度：进行中 60%（{today}）" in card and f"进度：已完成 100%（{today}）" in card
    assert "30%" not in card, "only the latest entry of an item"
    assert "进度：尚未登记" in page and "已走访" not in page and "13900001111" not in page
    sheet = login_as("sq_clerk").get(f"/admin/organisation/export/?id={sq.pk}&kind=board&year={YEAR}")
    text = pdf_text(sheet.data).replace("\n", "").replace(" ", "")
    assert f"进行中60%（{today}）" in text and f"已完成100%（{today}）" in text and "尚未登记" in text
    assert "已走访" not in text
