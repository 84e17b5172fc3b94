"""Spreadsheets clerks open in Excel or WPS: Chinese headers, frozen header row, real dates."""
import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")


def _cell_width(value):
    if isinstance(value, dt.date):
        text = value.strftime("%Y-%m-%d %H:%M" if isinstance(value, dt.datetime) else "%Y-%m-%d")
    else:
        text = str(value or "")
    return max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in text.split("\n"))


def workbook_bytes(title, headers, rows, text_columns=()):
    """Write one sheet; text is always stored as text, so '=…' never becomes a formula.

    `text_columns` (header names) are formatted as text for the whole column, so what a clerk
    types or pastes there later (an ID number) is not turned into a number by Excel.
    """
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headers)
    widths = [_cell_width(h) for h in headers]
    for row in rows:
        sheet.append([None] * len(row))
        r = sheet.max_row
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
                if headers[c - 1] in text_columns:
                    cell.number_format = "@"
                if "\n" in value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            widths[c - 1] = max(widths[c - 1], _cell_width(value))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F2DCDB")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, width in enumerate(widths, start=1):
        column = sheet.column_dimensions[get_column_letter(i)]
        column.width = min(max(width + 2, 8), 60)
        if headers[i - 1] in text_columns:
            column.number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headers, rows):
    """CSV with a BOM so Excel reads the Chinese, and formula-looking text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
