"""Scoping that must not get in the way: shared evaluation schemes, the pledge picker, bulk PDF of nothing."""
import html as html_lib
import re

from documents import Organisation, Pledge
from documents.evaluation import EvaluationRound, EvaluationScheme
from tests.conftest import csrf_from
from tests.factories import org


def test_a_clerk_creates_an_evaluation_round_with_a_shared_scheme(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        scheme, sq = EvaluationScheme.objects.first(), org("SQ01")
    page = clerk.get("/admin/evaluation/new/").get_data(as_text=True)
    assert f'value="{scheme.pk}"' in page, "the scheme drop-down offers the administrator's schemes"
    response = clerk.client.post("/admin/evaluation/new/", data={
        "csrf_token": csrf_from(page), "organisation": str(sq.pk), "year": "2026", "period": "年度",
        "scheme": str(scheme.pk)})
    assert response.status_code == 302
    with seeded.app_context():
        created = EvaluationRound.objects(organisation=sq.pk, year=2026).first()
        assert created is not None and created.scheme.pk == scheme.pk
    details = clerk.get(f"/admin/evaluation/details/?id={created.pk}")
    assert details.status_code == 200 and scheme.name in details.get_data(as_text=True)


def test_schemes_stay_the_administrators_to_change(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        scheme = EvaluationScheme.objects.first()
    assert clerk.get("/admin/scheme/").status_code == 403
    assert clerk.get(f"/admin/scheme/edit/?id={scheme.pk}").status_code == 403


def test_the_pledge_picker_offers_only_pledges_the_clerk_can_open(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        hidden = [o.name for o in Organisation.objects if o.code not in ("SQ01",)]
    page = clerk.get("/admin/pledge/new/").get_data(as_text=True)
    member_form = page[page.index('name="pick"'):]
    member_form = member_form[:member_form.index("</select>")]
    labels = [html_lib.unescape(t) for t in re.findall(r"<option[^>]*>([^<]+)</option>", member_form)]
    assert len(labels) > 5
    offered = [label for label in labels if any(name in label for name in hidden)]
    assert not offered, f"the picker offers organisations the clerk cannot open: {offered[:3]}"
    for value in re.findall(r'<option value="([0-9a-f]{24}:[0-9a-f]{24})"', member_form)[:8]:
        assert clerk.get(f"/admin/pledge/new/?pick={value}&year=2026").status_code == 200, value


def test_bulk_pdf_of_rows_the_user_cannot_see_says_so(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        other = Pledge.objects(organisation=org("QY01")).first()
    response = clerk.post("/admin/pledge/action/", {"action": "pdf", "rowid": [str(other.pk), "zzz"],
                                                    "url": "/admin/pledge/"}, token_from="/admin/pledge/")
    assert response.headers.get("Content-Type", "").startswith("text/html") or response.status_code == 302
    assert "zip" not in response.headers.get("Content-Type", "")
    html = clerk.get("/admin/pledge/").get_data(as_text=True)
    assert "没有可导出的承诺书" in html
