"""Scoping that must not get in the way: shared evaluation schemes, bulk PDF of nothing (the picker: test_picker.py)."""
from documents import Pledge
from documents.evaluation import EvaluationRound, EvaluationScheme
from tests.clock import YEAR
from tests.conftest import csrf_from
from tests.factories import org


def test_a_clerk_creates_an_evaluation_round_with_a_shared_scheme(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        scheme, sq = EvaluationScheme.objects.first(), org("SQ01")
    page = clerk.get("/admin/evaluation/new/").get_data(as_text=True)
    assert f'value="{scheme.pk}"' in page, "the scheme drop-down offers the administrator's schemes"
    response = clerk.client.post("/admin/evaluation/new/", data={
        "csrf_token": csrf_from(page), "organisation": str(sq.pk), "year": str(YEAR), "period": "年度",
        "scheme": str(scheme.pk)})
    assert response.status_code == 302
    with seeded.app_context():
        created = EvaluationRound.objects(organisation=sq.pk, year=YEAR).first()
        assert created is not None and created.scheme.pk == scheme.pk
    details = clerk.get(f"/admin/evaluation/details/?id={created.pk}")
    assert details.status_code == 200 and scheme.name in details.get_data(as_text=True)


def test_schemes_stay_the_administrators_to_change(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        scheme = EvaluationScheme.objects.first()
    assert clerk.get("/admin/scheme/").status_code == 403
    assert clerk.get(f"/admin/scheme/edit/?id={scheme.pk}").status_code == 403


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
