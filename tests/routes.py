"""Every URL rule of the app with sample arguments, and the forms and links its pages offer.

The malformed-input matrix is generated from this, so a view added tomorrow is covered without
touching the test: its rules come from `app.url_map`, its bulk actions from `view._actions`, and its
form fields and query parameters from the pages that link to it.
"""
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from werkzeug.routing import BuildError

HOSTILE = ("zzz", "", "5f5f5f5f5f5f5f5f5f5f5f5f", "x" * 10240, "王𠀀", "-1", "99999999999999999999999")

# Model-view endpoints that act on one record named by ?id=.
ONE_RECORD = {"details_view", "edit_view", "delete_view", "pdf_view", "progress_view", "scores_view", "ballots_view",
              "publish_view", "reopen_view"}
# Endpoints never exercised: they would end the session the matrix runs in.
SKIPPED = {"auth.logout"}


def url_samples(samples):
    """A valid value for each URL argument, by (endpoint, name) or by name."""
    return {
        ("set_language", "code"): "zh_Hans_CN",
        ("admin.static", "filename"): "vendor/jquery.min.js",
        ("static", "filename"): "robots.txt",
        "code": "SQ01",
        "export_type": "csv",
        "ext": "xlsx",
        "step_name": "submit",
        "batch_id": samples.get("ImportBatch", HOSTILE[2]),
        "attachment_id": samples.get("Attachment", HOSTILE[2]),
        "pledge_id": samples.get("published_pledge", HOSTILE[2]),
        "token": samples.get("ballot_token", "none"),
    }


def admin_views(app):
    return {view.endpoint: view for view in app.extensions["admin"][0]._views}


def routes(app, samples):
    """Yield (rule, method, url_args, query, form) for every rule and method; form is None for GET.

    `samples` maps a model name to the id of a record the user may see (and a few named extras).
    Every bulk action of every model view is its own POST to action_view.
    """
    views, by_name = admin_views(app), url_samples(samples)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED:
            continue
        url_args = {a: by_name.get((rule.endpoint, a), by_name.get(a, "x")) for a in rule.arguments}
        view_name, _dot, method_name = rule.endpoint.partition(".")
        view, query = views.get(view_name), {}
        model = getattr(view, "model", None)
        if model is not None and method_name in ONE_RECORD:
            query = {"id": samples.get(model.__name__, HOSTILE[2]), "url": "/admin/"}
        elif model is not None and method_name == "index_view":
            query = {"page": "0", "sort": "0"}
            query.update({f"flt{k}_{view.get_filter_arg(k, flt)}": "x" for k, flt in enumerate(view._filters or ())})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method_name == "action_view" and view is not None:
                for name, _title in view._actions:
                    yield rule, method, url_args, {}, [("action", name), ("url", "/admin/"),
                                                       ("rowid", samples.get(model.__name__, HOSTILE[2]))]
                continue
            yield rule, method, url_args, dict(query), None if method == "GET" else []


def build(app, rule, url_args):
    """The path of a rule with its arguments, or None when they cannot be built into it."""
    with app.test_request_context():
        try:
            return app.url_for(rule.endpoint, **url_args)
        except BuildError:
            return None


class _PageReader(HTMLParser):
    """The forms (action path, method, query, fields) and links (path, query) of one page."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select, self._textarea = [], [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            parts = urlsplit(a["href"])
            if not parts.netloc and parts.path.startswith("/"):
                self.links.append((parts.path, parse_qsl(parts.query, keep_blank_values=True)))
        elif tag == "form":
            parts = urlsplit(a.get("action") or "")
            self._form = {"path": parts.path, "method": (a.get("method") or "get").upper(),
                          "query": parse_qsl(parts.query, keep_blank_values=True), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form["fields"].append((a["name"], a.get("value", "y" if a.get("type") == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
        elif tag == "option" and self._select:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and self._form is not None:
            self._form["fields"].append((self._select[0], self._select[1] or ""))
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            self._form["fields"].append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data


def read_page(html, base_path):
    """[(path, method, query pairs, field pairs)] of the page's forms, and [(path, query pairs)] of its links."""
    reader = _PageReader()
    reader.feed(html)
    forms = [(f["path"] or base_path, f["method"], f["query"], f["fields"]) for f in reader.forms]
    return forms, reader.links
