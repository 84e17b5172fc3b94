"""The public board of a large tree: branches listed with counts, pledges paged, every page light for a phone."""
import datetime as dt
import re

import pytest
from bson import ObjectId

from documents import Member, Pledge, summary
from documents.board import PAGE_SIZE, PUBLIC_STATES
from tests.commands import recorded
from tests.clock import YEAR
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


def test_the_board_reads_published_pledges_by_equality_only(crowded, client):
    with recorded() as commands:
        client.get(f"/board/SQ01?year={YEAR}&page=2")
        client.get(f"/board/JD01?year={YEAR}")
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
