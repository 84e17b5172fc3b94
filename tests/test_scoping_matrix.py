"""Scoping as a matrix generated from app.url_map: every admin URL (GET and POST) and every bulk action of
every model view, for a clerk and a reviewer of 幸福里社区 (SQ01), aimed at records of 城东机械 (QY01).

Each request must be refused (403/404), sent to the login page, or answered without showing the foreign
record; and the database must not change. A view added tomorrow joins the matrix by itself; a view whose
model has no QY01 record below fails until one is added to `foreign_records`.
"""
import datetime as dt
import re

import pytest
from flask_admin.contrib.mongoengine import ModelView

from adminapp import create_app
from adminapp import config as app_config
from documents import Member, Pledge, User
from documents.calendar import PublicationDeadline, YearClosing
from documents.evaluation import EvaluationRound, EvaluationScheme
from documents.activity import scheme_for
from documents.importbatch import ImportBatch
from documents.card import MemberCard
from documents.modelpost import ModelPost, not_party_members
from documents.zone import Duty, ResponsibilityZone
from documents.opinion import Opinion
from documents.progress import Attachment, ProgressEntry
from documents.supervision import LeaderComment, Rectification, SupervisionNote, SupervisionRound
from documents.window import WorkWindow
from tests.clock import TODAY, YEAR
from tests.factories import org

ROLES = ("sq_clerk", "sq_reviewer")
REFUSED = (403, 404)
# Path arguments that name a record of a model other than the view's own.
ARG_MODELS = {"attachment_id": "Attachment", "batch_id": "ImportBatch"}
ARG_VALUES = {"export_type": ("csv",), "ext": ("csv", "xlsx")}
SKIPPED_ENDPOINTS = {"admin.static"}  # files shipped with Flask-Admin, no records
RECORD_PAGE = re.compile(r"/(details|edit)/$")  # pages of one record: the foreign id must be refused outright
# Each role's views run in two parts of similar measured cost, so that both xdist workers share them: the first
# takes these endpoints, the second every other one, so a view added tomorrow is still covered.
FIRST_PART = {"pledge", "member", "organisation", "modelpost", "zone", "evaluation"}
PARTS = ("pledge-member-organisation-modelpost-zone-evaluation", "every-other-view")


def _routes_app():
    """An app to read the URL map and the views from; it never touches its database."""
    config = app_config.TestConfig()
    config.MONGODB_URI, config.POSTGRES_URL = "mongodb://127.0.0.1:9/never_used", None
    return create_app(config)


def admin_views(app):
    return {view.endpoint: view for view in app.extensions["admin"][0]._views}


def view_requests(app, endpoint):
    """(method, rule, path arguments) for every URL of one admin view, one per value of each path argument."""
    requests = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] != endpoint or rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            for args in _argument_sets(app, endpoint, rule):
                requests.append((method, rule.rule, args))
    return requests


def _argument_sets(app, endpoint, rule):
    sets = [{}]
    for name in sorted(rule.arguments):
        if name in ARG_VALUES:
            values = ARG_VALUES[name]
        elif name.endswith("_id"):
            values = (f"<{ARG_MODELS.get(name, 'view')}>",)
        else:  # a named step, such as pledge/act/<step_name>: every bulk action of the view
            values = tuple(name for name, *_ in admin_views(app)[endpoint]._actions) or ("x",)
        sets = [{**s, name: v} for s in sets for v in values]
    return sets


ROUTES_APP = _routes_app()


def in_part(endpoint, part):
    return (endpoint in FIRST_PART) == (part == PARTS[0])


def matrix(app):
    """One case per role and part: the views' requests, and their bulk actions, in one logged-in session."""
    cases = []
    for role in ROLES:
        for part in PARTS:
            views = [(endpoint, view_requests(app, endpoint), [name for name, *_ in getattr(view, "_actions", [])])
                     for endpoint, view in admin_views(app).items() if in_part(endpoint, part)]
            cases.append(pytest.param(role, views, id=f"{role}-{part}"))
    return cases


CASES = matrix(ROUTES_APP)


def test_the_matrix_covers_every_admin_view_and_action():
    views = admin_views(ROUTES_APP)
    covered = [view for case in CASES for view in case.values[1]]
    assert sorted(endpoint for endpoint, *_ in covered) == sorted(list(views) * len(ROLES)) and len(views) >= 17
    for endpoint, requests, actions in covered:
        if isinstance(views[endpoint], ModelView):
            rules = {rule.rsplit("/", 2)[-2] for _method, rule, _args in requests}
            assert {"details", "edit", "delete", "action", "new"} <= rules and "delete" in actions, endpoint
    pledge_actions = next(actions for endpoint, _requests, actions in covered if endpoint == "pledge")
    assert {"submit", "approve", "late", "evaluate", "reopen", "pdf", "delete"} <= set(pledge_actions)
    print(f"\nscoping matrix: {len(CASES)} cases, {len(covered)} views × roles, "
          f"{sum(len(r) + len(a) for _e, r, a in covered)} requests")


def foreign_records(app):
    """One record of each model that lies in QY01's subtree (or, for global models, any record)."""
    qy = org("QY01")
    qy_clerk = User.objects(username="qy_clerk").first()
    pledge = Pledge.objects(organisation=qy, scope="member").first()
    member = Member.objects(organisation=qy, residential_org=None).first()
    party = next(m for m in Member.objects(organisation=qy) if not not_party_members([m]))
    round_ = SupervisionRound(organisation=qy, year=YEAR, quarter=1, held_on=TODAY, summary="机械厂督诺",
                              notes=[SupervisionNote(pledge=pledge, comment="好")])
    round_.save_checked(None)
    attachment = Attachment(organisation_id=qy.pk, filename="机械厂.png", content_type="image/png", size=3,
                            data=b"PNG")
    attachment.save()
    ProgressEntry(pledge=pledge, organisation_id=qy.pk, item_index=0, on=TODAY, status="进行中", percent=10,
                  note="机械厂进度", attachment=attachment.pk).save_checked(None)
    records = {
        "Organisation": qy, "Member": member, "Pledge": pledge, "User": qy_clerk,
        "SupervisionRound": round_, "Attachment": attachment,
        "Opinion": Opinion(pledge=pledge, organisation_id=qy.pk, text="机械厂的意见"),
        "PublicationDeadline": PublicationDeadline(organisation=qy, year=YEAR, deadline=TODAY),
        "WorkWindow": WorkWindow(organisation=qy, year=YEAR, propose_from=TODAY, propose_until=TODAY),
        "YearClosing": YearClosing(organisation=qy, year=YEAR - 1, note="机械厂归档", closed_by="管理员"),
        "Rectification": Rectification(organisation=qy, pledge=pledge, round=round_, problem="机械厂整改",
                                       deadline=TODAY + dt.timedelta(days=30)),
        "LeaderComment": LeaderComment(organisation=qy, member=member, commenter="王建国", on=TODAY,
                                       method="现场点评", content="机械厂点评"),
        "EvaluationRound": EvaluationRound(organisation=qy, year=YEAR, scheme=EvaluationScheme.objects.first()),
        "ImportBatch": ImportBatch(created_by=qy_clerk.pk, filename="机械厂.csv"),
        "ModelPost": ModelPost(organisation=qy, scheme=scheme_for("modelpost"), title="机械厂示范岗", members=[party]),
        "ResponsibilityZone": ResponsibilityZone(organisation=qy, scheme=scheme_for("zone"), section="金工车间",
                                                 name="机械厂责任区", head=party, tasks="安全生产",
                                                 duties=[Duty(member=party, duty="机械厂责任")]),
        "MemberCard": MemberCard(organisation=qy, member=party, year=YEAR, scheme=scheme_for("card"),
                                 proposed="机械厂标准"),
    }
    for record in records.values():
        if record.pk is None:
            record.save()
    for model in ("PledgeTemplate", "Vocabulary", "EvaluationScheme", "AuditEntry", "ActivityScheme"):
        document = next(v.model for v in admin_views(app).values()
                        if getattr(v, "model", None) and v.model.__name__ == model)
        records[model] = document.objects.first()
    return records


def dump(app):
    """Every document of every collection, as comparable text."""
    with app.app_context():
        db = User._get_db()
        return {name: sorted(repr(sorted(d.items())) for d in db[name].find()) for name in db.list_collection_names()}


def changes(before, after):
    """Collections whose documents differ; one that a read merely created, still empty, is no change."""
    return {name: (len(before.get(name, [])), len(after.get(name, [])))
            for name in set(before) | set(after) if before.get(name, []) != after.get(name, [])}


@pytest.mark.parametrize("role,views", CASES)
def test_another_subtrees_records_are_out_of_reach(seeded, login_as, may_have_written, role, views):
    with seeded.app_context():
        records = {name: str(record.pk) for name, record in foreign_records(seeded).items()}
    browser = login_as(role)
    token = browser.token("/admin/")
    before, problems = dump(seeded), []
    for endpoint, requests, actions in views:
        view = admin_views(seeded)[endpoint]
        model = view.model.__name__ if isinstance(view, ModelView) else "Organisation"
        assert model in records, f"add a QY01 {model} to foreign_records() so that /admin/{endpoint}/ is checked"
        problems += reach_foreign(browser, seeded, may_have_written, before, token, records, endpoint, requests, actions)
    assert not problems, "\n".join(problems)
    assert not changes(before, dump(seeded)), "a GET or a refused request changed the database"


def reach_foreign(browser, app, may_have_written, before, token, records, endpoint, requests, actions):
    """Every request of one view aimed at its QY01 record; what each one showed or changed that it must not."""
    view = admin_views(app)[endpoint]
    foreign = records[view.model.__name__ if isinstance(view, ModelView) else "Organisation"]
    qy_org = records["Organisation"]
    ids = {"id": foreign, "ids": foreign, "organisation": qy_org, "year": str(YEAR)}
    form = {**ids, "rowid": foreign, "csrf_token": token, "url": f"/admin/{endpoint}/", "member": records["Member"],
            "pledge": records["Pledge"], "parent": qy_org, "notes-0-pledge": records["Pledge"], "reason": "越权",
            "guidance": "越权", "note": "越权", "name": "越权", "text": "越权"}
    problems = []

    def shows_foreign(response):
        """True when the page links to or lists the record (list pages echo the query string, so no bare id)."""
        if response.status_code in REFUSED:
            return False
        body = response.get_data().decode("utf-8", "replace")
        return f"details/?id={foreign}" in body or f"edit/?id={foreign}" in body or bool(
            re.search(rf'name="rowid"[^>]*value="{foreign}"|value="{foreign}"[^>]*name="rowid"', body))

    def check(label, send, must_refuse=False):
        sent_before = may_have_written()
        response = send()
        shown = shows_foreign(response)
        if response.status_code == 302 and "/login" not in response.headers["Location"]:
            shown = shows_foreign(browser.get(response.headers["Location"]))
        elif response.status_code not in (*REFUSED, 200, 302) or must_refuse and response.status_code == 200:
            problems.append(f"{label}: answered {response.status_code}")
        if shown:
            problems.append(f"{label}: answered {response.status_code} showing {foreign}")
        # Dumped only after a request that sent a write (or started a process): a dump costs as much as ten requests.
        # A refused request is left to the final comparison.
        changed = (response.status_code not in REFUSED and may_have_written() != sent_before
                   and changes(before, dump(app)))
        if changed:
            problems.append(f"{label}: changed {changed}")

    for method, rule, args in requests:
        path = rule
        for name, value in args.items():
            value = records.get(value[1:-1], foreign) if value.startswith("<") else value
            path = path.replace(f"<{name}>", value)
        if method == "GET":
            check(f"GET {path}", lambda: browser.get(path, query_string=ids), must_refuse=RECORD_PAGE.search(path))
        else:
            check(f"POST {path}", lambda: browser.client.post(path, query_string=ids, data=form))
    for action in actions:
        check(f"action {action}", lambda: browser.client.post(f"/admin/{endpoint}/action/",
                                                              data={**form, "action": action}))
    return problems
