"""No 500 from bad input: every rule of app.url_map, GET and POST, every bulk action, every parameter made hostile."""
import time
import zlib

import pytest
from werkzeug.datastructures import MultiDict

from documents import Member, Organisation, Pledge, User, access, jobs
from documents.evaluation import EvaluationRound, EvaluationScheme, issue_ballots
from documents.pledge import State
from tests.clock import YEAR
from tests.conftest import csrf_from
from tests.routes import HOSTILE, admin_views, build, read_page, routes

# URL arguments and the parameters that carry ids and versions get every hostile value (split between the two
# users); every other one gets one, picked by a stable hash of where it is, so each value meets every kind of parameter.
# Long forms (a template's dozens of fields) are sampled: at most FIELDS_PER_FORM other fields per user.
KEY_PARAMS = {"id", "rowid", "ids", "expected_version", "days"}
FIELDS_PER_FORM = 8
USERS = ("admin", "sq_clerk")
# Each user's matrix runs in three parts of similar measured cost (300-550 requests): the first two take these
# endpoint prefixes (views), the last every other one, so a view added tomorrow is still covered. A user's parts run on
# one xdist worker (tests/conftest.py SAME_WORKER), which crawls that user's pages once for all three.
NAMED_PARTS = ({"organisation", "member", "evaluation", "pledge", "template"},
               {"modelpost", "zone", "membercard", "activityscheme", "user", "scheme", "leadercomment"})
PARTS = tuple("-".join(sorted(views)) for views in NAMED_PARTS) + ("every-other-endpoint",)


def _pick(*parts):
    return zlib.crc32(" ".join(parts).encode())


def hostile_values(username, where, key):
    if key in KEY_PARAMS:
        return HOSTILE[USERS.index(username)::len(USERS)]
    return (HOSTILE[_pick(username, where, key) % len(HOSTILE)],)


def sampled(username, where, keys):
    """The key fields and a stable sample of the others."""
    keys = list(dict.fromkeys(keys))
    others = sorted((k for k in keys if k not in KEY_PARAMS), key=lambda k: _pick(username, where, k))
    return [k for k in keys if k in KEY_PARAMS] + others[:FIELDS_PER_FORM]


def sample_ids(app, username):
    """The id of one record of each model view's kind that the user may see, plus the public extras."""
    with app.app_context():
        user = User.objects(username=username).first()
        samples = {}
        for view in admin_views(app).values():
            model = getattr(view, "model", None)
            if model is None:
                continue
            queryset = access.scope(model.objects, user)
            if model is User:
                queryset = queryset.filter(username="jd_reviewer")
            first = queryset.first()
            if first is not None:
                samples[model.__name__] = str(first.pk)
        sq = Organisation.objects(code="SQ01").first()
        round_ = EvaluationRound.objects(organisation=sq).first()
        if round_ is None:
            round_ = EvaluationRound(organisation=sq, year=YEAR, scheme=EvaluationScheme.objects.first())
            round_.save_checked(None)
        samples["EvaluationRound"] = str(round_.pk)
        samples["ballot_token"] = issue_ballots(User.objects(username="admin").first(), round_, 1)[0].token
        published = Pledge.objects(organisation=sq, state=State.PUBLISHED.value).first()
        samples["published_pledge"] = str(published.pk) if published else HOSTILE[2]
        member = Member.objects(organisation=sq).first()
        samples.setdefault("Member", str(member.pk))
        return samples


def crawl(browser, app, samples):
    """GET every page once; gather the forms found per (path, method) and the query keys of links per path."""
    forms, links = {}, {}
    for rule, method, url_args, query, _form in routes(app, samples):
        path = build(app, rule, url_args)
        if method != "GET" or path is None:
            continue
        try:
            response = browser.get(path, query_string=query)
        except Exception:  # noqa: BLE001 - the matrix below counts it
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page_forms, page_links = read_page(response.get_data(as_text=True), path)
        for form_path, form_method, form_query, fields in page_forms:
            forms.setdefault((form_path, form_method), (form_query, fields))
        for link_path, link_query in page_links:
            seen = links.setdefault(link_path, {})
            for key, value in link_query:
                seen.setdefault(key, value)
    return forms, links


_crawled = {}  # username: (samples, forms, links) of the first crawl in this worker


def crawled(browser, app, username, samples):
    """crawl() once per user and worker: each part of a user's matrix starts from the same restored demo copy, so the
    pages are the same but for the ids sample_ids() made anew (a ballot), which replace the first crawl's."""
    if username not in _crawled:
        _crawled[username] = (samples, *crawl(browser, app, samples))
    first, forms, links = _crawled[username]
    renamed = {old: samples[key] for key, old in first.items() if samples[key] != old}

    def swap(text):
        for old, new in renamed.items():
            text = text.replace(old, new)
        return text

    def pairs(items):
        return [(key, swap(value)) for key, value in items]

    return ({(swap(path), method): (pairs(query), pairs(fields)) for (path, method), (query, fields) in forms.items()},
            {swap(path): dict(pairs(keys.items())) for path, keys in links.items()})


def in_part(rule, part):
    view = rule.endpoint.partition(".")[0]
    named = dict(zip(PARTS, NAMED_PARTS))
    return view in named[part] if part in named else not any(view in views for views in NAMED_PARTS)


def cases(app, samples, forms, links, username, part):
    """(label, method, path, query, form pairs) with one parameter at a time replaced by a hostile value."""
    for rule, method, url_args, route_query, route_form in routes(app, samples):
        path = build(app, rule, url_args)
        if path is None or not in_part(rule, part):
            continue
        form_query, fields = forms.get((path, method), ([], []))
        query = {**links.get(path, {}), **dict(form_query), **route_query}
        if method == "GET":
            query.update({k: v for k, v in fields if k != "csrf_token"})
            form = None
        else:
            form = route_form or [(k, v) for k, v in fields if k != "csrf_token"]
        label = f"{method} {rule.rule}" + (f" [{dict(route_form)['action']}]" if route_form else "")
        for arg in url_args:
            for value in HOSTILE[USERS.index(username)::len(USERS)]:
                hostile_path = build(app, rule, {**url_args, arg: value})
                if hostile_path:
                    yield f"{label} <{arg}>={value[:12]!r}", method, hostile_path, query, form
        for key in query:
            for value in hostile_values(username, label, key):
                yield f"{label} ?{key}={value[:12]!r}", method, path, {**query, key: value}, form
        for key in sampled(username, label, [k for k, _v in form or ()]):
            for value in hostile_values(username, label, key):
                changed = [(k, v) for k, v in form if k != key] + [(key, value)]
                yield f"{label} {key}={value[:12]!r}", method, path, query, changed


def destructive(case):
    return "delete" in case[0]


def run_matrix(browser, app, username, part):
    samples = sample_ids(app, username)
    forms, links = crawled(browser, app, username, samples)
    token = csrf_from(browser.get("/admin/").get_data(as_text=True))
    failures, tried = [], 0
    for label, method, path, query, form in sorted(cases(app, samples, forms, links, username, part), key=destructive):
        data = None if form is None else MultiDict(form + [("csrf_token", token)])
        tried += 1
        try:
            response = browser.client.open(path, method=method, query_string=query, data=data)
        except Exception as exc:  # noqa: BLE001 - an exception escaping the app is what we count
            failures.append(f"{username}: {label}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        if response.status_code >= 500:
            failures.append(f"{username}: {label}: HTTP {response.status_code}")
    assert browser.get("/admin/member/").status_code == 200, "the matrix must run logged in to the end"
    return tried, failures


@pytest.mark.parametrize("part", PARTS)
@pytest.mark.parametrize("username", USERS)
def test_no_hostile_value_anywhere_answers_500(login_as, seeded, monkeypatch, username, part):
    # The matrix checks what each request answers. The jobs its requests start (4 archives, 4 card sheets, 2 rollover
    # previews, a PDF export) are stored as they would be, but not run: their processes (each a pool of renderers)
    # outlived the test and took a minute of CPU from the tests after it. tests/test_jobs.py runs real ones.
    monkeypatch.setattr(jobs, "launch", lambda job_id, attempt: None)
    started, cpu = time.monotonic(), time.process_time()
    tried, report = run_matrix(login_as(username), seeded, username, part)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    print(f"\nmalformed-input matrix, {username}, {part}: {tried} requests, {len(report)} answered 500, "
          f"{elapsed:.0f} s ({cpu:.0f} s CPU)")
    assert tried > 250
    assert not report, f"{len(report)} of {tried} requests answered 500:\n" + "\n".join(report[:60])


def test_a_member_with_pledges_is_kept_so_the_pledge_list_still_opens(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        member = Pledge.objects(organisation=Organisation.objects(code="SQ01").first(), member__ne=None).first().member
    response = clerk.post("/admin/member/delete/", {"id": str(member.pk), "url": "/admin/member/"},
                          token_from="/admin/member/", follow_redirects=True)
    assert "已有承诺或点评记录，不能删除" in response.get_data(as_text=True)
    with seeded.app_context():
        assert Member.objects(pk=member.pk).first() is not None
    assert clerk.get("/admin/pledge/").status_code == 200
