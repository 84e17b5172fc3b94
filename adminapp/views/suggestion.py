"""居民点单 in the admin: from an opinion's page to a suggestion, and from a pledge's page into the pledge."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user

from adminapp.views.base import LoginRequired, object_id_or_404
from documents import access, suggestion
from documents.opinion import Opinion
from documents.pledge import Pledge


class SuggestionView(LoginRequired, BaseView):
    """Two operations reached from the opinion and pledge pages; no menu entry of its own."""
    allowed_roles = ("admin", "clerk")

    def is_visible(self):
        return False

    def _one(self, document, value):
        return access.scope(document.objects, current_user).filter(pk=object_id_or_404(value)).first() or abort(404)

    @expose("/")
    def index(self):
        return redirect(url_for("opinion.index_view"))

    @expose("/from_opinion/", methods=("POST",))
    def from_opinion(self):
        opinion = self._one(Opinion, request.args.get("id"))
        made = suggestion.suggest(current_user, opinion, request.form.get("text"))
        flash(_("已转为%(y)s年居民点单，下一年提诺时可纳入承诺", y=made.year), "success")
        return redirect(url_for("opinion.details_view", id=opinion.pk))

    @expose("/take/", methods=("POST",))
    def take(self):
        pledge = self._one(Pledge, request.args.get("pledge"))
        wanted = self._one(suggestion.Suggestion, request.args.get("id"))
        try:
            suggestion.take(current_user, wanted, pledge)
        except suggestion.SuggestionRefused as exc:
            flash(str(exc), "error")
        else:
            flash(_("已将居民点单纳入承诺事项，请补全履行责任人和完成时限"), "success")
        return redirect(url_for("pledge.details_view", id=pledge.pk))
