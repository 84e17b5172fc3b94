"""统计页: a year's figures on one A4 page for the 党工委 meeting, the bars drawn as table cells (xhtml2pdf runs no JS)."""
from documents import statistics
from exporters.pdf import render


def statistics_pdf(figures):
    """The one-page PDF of figures (documents.statistics.Figures), with the same charts the dashboard draws."""
    return render("statistics.html", f=figures, charts=statistics.series(figures), rate=statistics.rate, soon_days=statistics.SOON_DAYS,
                  header=f"{figures.scope_name} · {figures.year}年度承诺践诺统计")
