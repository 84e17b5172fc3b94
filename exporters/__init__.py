"""Output for paper and spreadsheets: PDF forms and .xlsx ledgers."""
import datetime as dt

from documents.base import cn_date, cn_minute


def init_app(app):
    """Template helpers the printed forms use."""
    app.add_template_filter(cn_date, "cn_date")
    app.add_template_filter(cn_minute, "cn_minute")
    app.jinja_env.tests["date"] = lambda value: isinstance(value, dt.date)
