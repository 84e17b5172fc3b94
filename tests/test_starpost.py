"""星级党员示范岗: declared by the branch, approved above, stars month by month under the scheme, the public board."""
import datetime as dt
import io

from documents import AuditEntry, User, modelpost
from documents.activity import ActivityScheme
from documents.base import cn_date
from documents.modelpost import ModelPost, approve, star_state
from documents.opinion import Opinion
from exporters import archive
from tests.clock import TODAY, YEAR
from tests.test_exports import pdf_text
from tests.factories import org
from tests.htmlform import as_multidict
from tests.test_modelpost import send, sq_people

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def assess(clerk, post, day, score):
    return clerk.post(f"/admin/modelpost/assess/?id={post.pk}", {
        "assessed_on": day.isoformat(), "year": str(day.year), "number": str(day.month),
        **{f"score_{rater}_{i}": str(score) for rater in ("self", "public", "org") for i in range(4)}},
        token_from=f"/admin/modelpost/details/?id={post.pk}")


def test_star_post_declared_approved_assessed_monthly_and_on_the_public_board(seeded, login_as, client):
    with seeded.app_context():
        scheme = ActivityScheme.objects(kind="starpost").first()
        (member, _other), _activist = sq_people()
    clerk = login_as("sq_clerk")
    form = as_multidict([("organisation", str(org("SQ01").pk)), ("scheme", str(scheme.pk)), ("title", "党员服务窗口"),
                         ("motto", "一张笑脸迎群众，一片真心办实事"), ("v_window", "社区服务大厅1号窗口"),
                         ("members", str(member.pk))])
    assert send(clerk, "/admin/modelpost/new/", form).status_code == 302
    with seeded.app_context():
        post = ModelPost.objects(title="党员服务窗口").get()
        assert (post.kind, post.state, post.values["window"]) == ("starpost", "declared", "社区服务大厅1号窗口")
    details = f"/admin/modelpost/details/?id={post.pk}"
    # The declaring branch cannot approve its own post; the street above it can.
    page = clerk.post(f"/admin/modelpost/approve/?id={post.pk}", {"on": TODAY.isoformat()}, token_from=details,
                      follow_redirects=True).get_data(as_text=True)
    assert "星级党员示范岗须由上级党组织批复" in page
    login_as("jd_reviewer").post(f"/admin/modelpost/approve/?id={post.pk}", {"on": TODAY.isoformat(), "note": "同意"},
                                 token_from=details)
    assert "已批复" in clerk.get(details).get_data(as_text=True)
    # Six passed months give five stars (the cap), a failed month takes one away.
    for k in range(7, 1, -1):
        assert assess(clerk, post, TODAY - dt.timedelta(days=31 * k), 90).status_code == 302
    with seeded.app_context():
        post.reload()
        assert star_state(post) == (5, False)
    assess(clerk, post, TODAY - dt.timedelta(days=31), 60)
    # Today's pass is only published: it stands after the scheme's five days.
    assess(clerk, post, TODAY, 95)
    with seeded.app_context():
        assert star_state(post) == (4, False)
        assert star_state(post, TODAY + dt.timedelta(days=5)) == (5, False)
    clerk.post(f"/admin/modelpost/photo/?id={post.pk}", {"photo": (io.BytesIO(PNG), "照片.png")}, token_from=details,
               content_type="multipart/form-data")
    # The public board: name, post, motto, stars and the result under publication; no phone or ID number.
    board = client.get("/board/JD01/stars").get_data(as_text=True)
    assert member.name in board and "党员服务窗口" in board and "一张笑脸迎群众" in board and "★★★★☆" in board
    assert "公示至" in board and member.phone not in board and member.id_number not in board
    photo = client.get(f"/board/SQ01/stars/{post.pk}/photo")
    assert photo.status_code == 200 and photo.data == PNG
    assert client.get(f"/board/QY01/stars/{post.pk}/photo").status_code == 404
    # An opinion from the board reaches 幸福里's clerk, not another branch's.
    client.post(f"/board/SQ01/stars/{post.pk}/opinion", data={"text": "窗口中午也有人，很方便",
                                                              "csrf_token": _token(client, "/board/SQ01/stars")})
    with seeded.app_context():
        assert Opinion.objects(post=post.pk).first().text == "窗口中午也有人，很方便"
    assert "窗口中午也有人" in clerk.get("/admin/opinion/").get_data(as_text=True)
    other = login_as("qy_clerk")
    assert "窗口中午也有人" not in other.get("/admin/opinion/").get_data(as_text=True)
    assert other.get(details).status_code == 404
    # The rule is a setting: with "摘牌" the failed month takes the plaque down and the post leaves the board.
    with seeded.app_context():
        scheme.on_fail = "take_down"
        scheme.save_checked(scheme.version)
    assert "已摘牌" in clerk.get("/admin/modelpost/").get_data(as_text=True)
    assert "党员服务窗口" not in client.get("/board/SQ01/stars").get_data(as_text=True)


def _token(client, url):
    from tests.conftest import csrf_from
    return csrf_from(client.get(url).get_data(as_text=True))


def test_year_end_names_five_star_posts_and_marks_the_others_for_reassessment(seeded, login_as, client):
    with seeded.app_context():
        scheme = ActivityScheme.objects(kind="starpost").first()
        (full, short), _activist = sq_people()
        admin = User.objects(username="admin").first()
        posts = []
        for member, title, passes in ((full, "户籍窗口", 5), (short, "社保窗口", 3)):
            post = ModelPost(organisation=org("SQ01"), scheme=scheme, title=title, members=[member])
            post.save_checked(None)
            approve(admin, post, TODAY - dt.timedelta(days=250))
            for k in range(passes + 1, 1, -1):
                day = TODAY - dt.timedelta(days=31 * k)
                modelpost.assess(admin, post, day.year, day.month, day,
                                 {(r.rater, c.label): "90" for r in scheme.raters for c in scheme.criteria})
            posts.append(post)
    awards = f"/admin/modelpost/awards/?org={org('SQ01').pk}&year={YEAR}"
    # The branch itself cannot name its own posts; the street above it can.
    clerk = login_as("sq_clerk")
    page = clerk.post(awards, {"on": TODAY.isoformat()}, follow_redirects=True).get_data(as_text=True)
    assert "年终授牌命名须由上级党组织办理" in page and "授牌命名（0 个）" in page
    street = login_as("jd_reviewer")
    page = street.post(awards, {"on": TODAY.isoformat()}, follow_redirects=True).get_data(as_text=True)
    assert "年终授牌命名已完成" in page and "授牌命名（1 个）" in page and "年底复评（1 个）" in page
    named, later = page.split("年底复评（1 个）")
    assert "户籍窗口" in named and cn_date(TODAY) in named and "张明" in named and "社保窗口" in later
    # Recorded with date and who, in the post's timeline; running it again changes nothing.
    street.post(awards, {"on": TODAY.isoformat()})
    with seeded.app_context():
        entries = AuditEntry.objects(record_id=posts[0].pk, action="年终授牌命名")
        assert entries.count() == 1 and entries.first().actor.startswith("张明")
        assert AuditEntry.objects(record_id=posts[1].pk, action="列入年底复评").count() == 1
        assert posts[0].reload().awarded_on == TODAY and posts[1].reload().reassess_year == YEAR
    details = clerk.get(f"/admin/modelpost/details/?id={posts[0].pk}").get_data(as_text=True)
    assert f"{YEAR}年挂满星，授牌命名" in details and "年终授牌命名" in details
    assert f"{YEAR}年未挂满星，年底复评" in clerk.get(f"/admin/modelpost/details/?id={posts[1].pk}").get_data(as_text=True)
    # The public board says which post was named; the printed list names both, each under its heading.
    board = client.get("/board/SQ01/stars").get_data(as_text=True)
    named_card = board.split(f'id="p{posts[0].pk}"')[1].split('class="post"')[0]
    assert "授牌命名" in named_card and "授牌命名" not in board.split(f'id="p{posts[1].pk}"')[1].split("</details>")[0]
    text = pdf_text(clerk.get(f"/admin/modelpost/awards/pdf/?org={org('SQ01').pk}&year={YEAR}").data)
    named, later = text.split("未挂满五星，年底复评")
    assert "户籍窗口" in named and full.name in named and cn_date(TODAY) in named
    assert "社保窗口" in later and short.name in later
    with seeded.app_context():
        tasks = [t for t in archive.archive_tasks(org("SQ01"), YEAR, "") if t[0] == "awards"]
        name, data = archive.render_task(tasks[0])
        assert name == f"示范岗标牌/SQ01_{YEAR}_星级党员示范岗授牌名单.pdf" and "户籍窗口" in pdf_text(data)
    other = login_as("qy_clerk")
    assert other.get(awards).status_code == 404
    assert other.get(f"/admin/modelpost/awards/pdf/?org={org('SQ01').pk}&year={YEAR}").status_code == 404
