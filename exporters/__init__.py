"""Output for paper and spreadsheets: PDF forms and .xlsx ledgers."""
import datetime as dt

from exporters.pdf import cn_date


def init_app(app):
    """Template helpers the printed forms use."""
    app.add_template_filter(cn_date, "cn_date")
    app.jinja_env.tests["date"] = lambda value: isinstance(value, dt.date)
