"""Language: Chinese by default, English on request, remembered in the session."""
from flask import current_app, has_request_context, redirect, request, session, url_for
from flask_babel import Babel


def select_locale():
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_babel(app):
    Babel(app, locale_selector=select_locale)

    @app.route("/lang/<code>")
    def set_language(code):
        if code in app.config["LANGUAGES"]:
            session["lang"] = code
        target = request.referrer or url_for("admin.index")
        if not target.startswith(request.host_url):
            target = url_for("admin.index")
        return redirect(target)
