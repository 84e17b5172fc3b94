"""The chase list (催办清单) on paper and in Excel, grouped by the person to phone."""
import datetime as dt

from documents import chasing
from exporters import spreadsheet
from exporters.pdf import render

HEADERS = ["联系人", "联系电话", "党组织", "事项", "情况", "涉及", "内容", "期限"]


def rows(dues):
    return [[d.contact, d.phone, d.org_name, chasing.KINDS[d.kind], chasing.BUCKETS[d.bucket], d.whose, d.text, d.when]
            for d in dues]


def chase_pdf(organisation, year, dues):
    return render("chase_list.html", organisation=organisation, year=year, groups=chasing.groups(dues),
                  counts=chasing.counts(dues), buckets=chasing.BUCKETS, kinds=chasing.KINDS, today=dt.date.today(),
                  header=f"{organisation.name} · 催办清单")


def chase_xlsx(dues):
    return spreadsheet.workbook_bytes("催办清单", HEADERS, rows(dues))
