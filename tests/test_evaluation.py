"""评诺: scores per rater type, weights and grades from settings, the cap, single-use public ballots."""
import datetime as dt
import re

import pytest
from mongoengine.errors import ValidationError

from documents import AuditEntry, User
from documents.evaluation import (BallotToken, EvaluationRound, EvaluationScheme, Score, issue_ballots, members_of,
                                  record_scores, results)
from tests.clock import YEAR
from tests.factories import org


@pytest.fixture
def round_(seeded):
    with seeded.app_context():
        r = EvaluationRound(organisation=org("SQ01"), year=YEAR, scheme=EvaluationScheme.objects.first())
        r.save_checked(None)
        return r.pk


def test_scores_are_combined_by_weights_and_the_top_grade_is_capped(seeded, round_):
    with seeded.app_context():
        clerk = User.objects(username="sq_clerk").first()
        r = EvaluationRound.objects(pk=round_).first()
        members = members_of(r)
        n = len(members)
        high = {str(m.pk): "95" for m in members}
        for rater_type in ("self", "peer", "org", "public"):
            record_scores(clerk, r, rater_type, "测试", high)
        record_scores(clerk, r, "peer", "第二人", {str(members[0].pk): "55"})
        table = results(r)
        grades = [row[3] for row in table]
        assert grades.count("优秀") == n // 3, "优秀 is capped at a third"
        assert set(grades) <= {"优秀", "合格"}
        first = next(row for row in table if row[0].pk == members[0].pk)
        assert first[1]["peer"] == (150.0, 2), "rater types are kept separately"
        assert first[2] == round(0.2 * 95 + 0.3 * 75 + 0.3 * 95 + 0.2 * 95, 1)


def test_weights_and_grade_lines_are_settings(seeded, round_):
    with seeded.app_context():
        scheme = EvaluationScheme.objects.first()
        scheme.weight_self, scheme.weight_peer, scheme.weight_public, scheme.weight_org = 0, 0, 0, 1
        scheme.top_cap = 1
        scheme.save_checked(scheme.version)
        r = EvaluationRound.objects(pk=round_).first()
        member = members_of(r)[0]
        record_scores(User.objects(username="admin").first(), r, "self", "", {str(member.pk): "10"})
        record_scores(User.objects(username="admin").first(), r, "org", "", {str(member.pk): "92"})
        row = next(row for row in results(r) if row[0].pk == member.pk)
        assert row[2] == 92 and row[3] == "优秀"


def test_bad_scores_are_refused_whole(seeded, round_):
    with seeded.app_context():
        r = EvaluationRound.objects(pk=round_).first()
        a, b = members_of(r)[:2]
        with pytest.raises(ValidationError, match="不是数字"):
            record_scores(User.objects(username="admin").first(), r, "org", "", {str(a.pk): "90", str(b.pk): "九十"})
        with pytest.raises(ValidationError, match="0到100"):
            record_scores(User.objects(username="admin").first(), r, "org", "", {str(a.pk): "101"})
        assert Score.objects.count() == 0


def test_ballot_token_accepts_exactly_one_ballot(seeded, round_, client, login_as):
    with seeded.app_context():
        r = EvaluationRound.objects(pk=round_).first()
        token = issue_ballots(User.objects(username="sq_clerk").first(), r, 2)[0].token
        member = members_of(r)[0]
    page = client.get(f"/ballot/{token}").get_data(as_text=True)
    assert member.name in page and member.id_number not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post(f"/ballot/{token}", data={"csrf_token": csrf, f"choice_{member.pk}": "满意"})
    assert ok.status_code == 200 and "感谢您的参与" in ok.get_data(as_text=True)
    again = client.post(f"/ballot/{token}", data={"csrf_token": csrf, f"choice_{member.pk}": "满意"})
    assert again.status_code == 410 and "已经使用过" in again.get_data(as_text=True)
    assert "无效" in client.get("/ballot/not-a-real-token").get_data(as_text=True)
    with seeded.app_context():
        assert Score.objects(rater_type="public").count() == 1
        other = BallotToken.objects(token__ne=token).first()
        BallotToken.objects(pk=other.pk).update_one(set__expires_at=dt.datetime(2020, 1, 1))
    assert "已过有效期" in client.get(f"/ballot/{other.token}").get_data(as_text=True)


def test_admin_pages_enter_scores_print_slips_and_publish(seeded, round_, login_as):
    clerk = login_as("sq_clerk")
    details = f"/admin/evaluation/details/?id={round_}"
    with seeded.app_context():
        member = members_of(EvaluationRound.objects(pk=round_).first())[0]
    clerk.post(f"/admin/evaluation/scores/?id={round_}", {"rater_type": "org", "rater": "支委会",
               f"score_{member.pk}": "88"}, token_from=details)
    page = clerk.get(details).get_data(as_text=True)
    assert "已录入 1 个分数" in page and "88.0" in page
    slips = clerk.post(f"/admin/evaluation/ballots/?id={round_}", {"count": "3", "days": "7"}, token_from=details)
    assert slips.get_data(as_text=True).count("<svg") == 3
    clerk.post(f"/admin/evaluation/publish/?id={round_}", {}, token_from=details)
    with seeded.app_context():
        assert EvaluationRound.objects(pk=round_).first().published
        assert AuditEntry.objects(record_id=round_, action="公布评诺结果").count() == 1
    assert login_as("qy_clerk").get(details).status_code == 404
