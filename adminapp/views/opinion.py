"""群众意见 in the admin."""
from adminapp.views.base import ScopedModelView
from documents import suggestion


class OpinionView(ScopedModelView):
    """群众意见 for the organisation's clerk and reviewer to read and mark as handled."""
    column_list = ("at", "pledge_label", "text", "contact", "state", "reply")
    column_searchable_list = ("text",)
    form_columns = ("state", "reply")
    can_create = False
    details_template = "admin/opinion_details.html"

    def suggestion_of(self, opinion):
        """The 居民点单 made from this opinion, if any, for its page."""
        return suggestion.of_opinion(opinion)
