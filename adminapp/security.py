"""Response headers every page carries (CSP with a per-request nonce, no framing, no sniffing) and ProxyFix."""
import base64
import hashlib
import inspect
import secrets

from flask import g
from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.fields import InlineFieldList
from flask_babel import force_locale
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms.fields.core import UnboundField

# Inline event handlers Flask-Admin's own templates render; a nonce cannot cover them, their hashes can.
STATIC_HANDLERS = ("return false;",)
DELETE_CONFIRM = "Are you sure you want to delete this record?"


def csp_nonce():
    """The nonce of this response, made on first use so every script tag of one page shares it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def handler_hash(source):
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def inline_list_ids(form_class):
    """The ids of the inline lists (a supervision round's notes…) of a form class and of the rows they add."""
    for name, unbound in inspect.getmembers(form_class, lambda v: isinstance(v, UnboundField)):
        if issubclass(unbound.field_class, InlineFieldList):
            yield name
            row = unbound.args[0] if unbound.args else None
            if isinstance(row, UnboundField) and row.args and inspect.isclass(row.args[0]):
                yield from inline_list_ids(row.args[0])


def admin_handlers(app, admin):
    """The onclick sources of the bulk-action menus, the row delete button and the inline lists' add buttons."""
    sources = set(STATIC_HANDLERS)
    for view in admin._views:
        for name in getattr(view, "_actions_data", {}):
            sources.add(f"return modelActions.execute('{name}');")
        for form_class in {getattr(view, "_create_form_class", None), getattr(view, "_edit_form_class", None)} - {None}:
            sources.update(f"faForm.addInlineField(this, '{i}');" for i in inline_list_ids(form_class))
    with app.test_request_context():
        # Flask-Admin caches its catalogue per locale, process-wide, with our own catalogue only when a view is
        # current: look the message up as a view would, or every later page misses our translations.
        g._admin_view = admin.index_view
        for locale in app.config["LANGUAGES"]:
            with force_locale(locale):
                sources.add(f"return faHelpers.safeConfirm('{admin_gettext(DELETE_CONFIRM)}');")
    return sorted(handler_hash(s) for s in sources)


def policy(nonce, hashes):
    # Styles stay 'unsafe-inline': Flask-Admin's widgets (select2, date pickers) set style attributes.
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}' 'unsafe-hashes' {' '.join(hashes)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_security(app, admin):
    """Send the security headers on every response and trust PROXY_FIX_HOPS proxies for the client address."""
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    admin.csp_nonce_generator = csp_nonce
    app.add_template_global(csp_nonce)
    hashes = admin_handlers(app, admin)

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = policy(csp_nonce(), hashes)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

