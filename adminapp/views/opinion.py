"""群众意见 in the admin."""
from adminapp.views.base import ScopedModelView


class OpinionView(ScopedModelView):
    """群众意见 for the organisation's clerk and reviewer to read and mark as handled."""
    column_list = ("at", "pledge_label", "text", "contact", "state", "reply")
    column_searchable_list = ("text",)
    form_columns = ("state", "reply")
    can_create = False
