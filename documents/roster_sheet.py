"""The rows of an .xlsx's first worksheet, streamed with lxml as the values openpyxl's read-only mode would give.

openpyxl builds an object per cell and, when a sheet declares no dimension, parses it once more to find one:
most of the time a 10,000-row roster's check spent (5-8 s of 20); this reads the same cells in well under a second.
"""
import posixpath

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601

_DIGITS = "0123456789"


def _parse(source, tag):
    """Elements of this local name, each complete when yielded; the document's entities are never expanded."""
    return etree.iterparse(source, tag=f"{{*}}{tag}", resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False)


def _local(tag):
    return tag[tag.rfind("}") + 1:] if isinstance(tag, str) else ""


def _relations(package, part):
    """{relation id: (type, part path)} of one part of the package."""
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", name + ".rels")
    if path not in package.NameToInfo:
        return {}
    found = {}
    with package.open(path) as source:
        for _event, rel in _parse(source, "Relationship"):
            target = rel.get("Target") or ""
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[rel.get("Id")] = (rel.get("Type") or "", target)
    return found


def _text(element):
    """The text of a string item or inline string: its runs joined, phonetic guides left out."""
    parts = []
    for child in element:
        kind = _local(child.tag)
        if kind == "t":
            parts.append(child.text or "")
        elif kind == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(package, path):
    if path is None:
        return []
    strings = []
    with package.open(path) as source:
        for _event, item in _parse(source, "si"):
            strings.append(_text(item))
            item.clear()
    return strings


def _date_styles(package, path):
    """The indexes of the cell styles whose number format shows a date."""
    if path is None:
        return set()
    formats, styles = dict(BUILTIN_FORMATS), []
    with package.open(path) as source:
        tree = etree.parse(source, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    for fmt in tree.iterfind(".//{*}numFmts/{*}numFmt"):
        formats[int(fmt.get("numFmtId", -1))] = fmt.get("formatCode") or ""
    for xf in tree.iterfind(".//{*}cellXfs/{*}xf"):
        styles.append(formats.get(int(xf.get("numFmtId", 0)), ""))
    return {index for index, code in enumerate(styles) if code and is_date_format(code)}


def _parts(package):
    """(first worksheet, shared strings, styles, epoch) of a package; IndexError when it has no worksheet."""
    book = next((t for kind, t in _relations(package, "").values() if kind.endswith("/officeDocument")), "xl/workbook.xml")
    relations = _relations(package, book)
    with package.open(book) as source:
        tree = etree.parse(source, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    pr = tree.find(".//{*}workbookPr")
    epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
    sheets = [relations.get(s.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"))
              for s in tree.iterfind(".//{*}sheets/{*}sheet")]
    sheet = [target for kind, target in filter(None, sheets) if kind.endswith("/worksheet")][0]
    by_kind = {kind.rsplit("/", 1)[-1]: target for kind, target in relations.values()}
    return sheet, by_kind.get("sharedStrings"), by_kind.get("styles"), epoch


def rows(package):
    """Yield every row of the first worksheet of an opened .xlsx zip, from row 1, as a list of cell values.

    As openpyxl's `iter_rows(values_only=True)` with `data_only=True`: a missing row is an empty list, a missing
    cell None; text, numbers (int or float), booleans, dates (datetime) and a formula's cached value.
    """
    sheet, strings_path, styles_path, epoch = _parts(package)
    strings, dates = _shared_strings(package, strings_path), _date_styles(package, styles_path)
    expected, read = 1, None
    with package.open(sheet) as source:
        for _event, row in _parse(source, "row"):
            if read is None:
                read = _Cells(row.tag[:row.tag.rfind("}") + 1], strings, dates, epoch)
            number = int(row.get("r") or expected)
            if number >= expected:
                for _missing in range(expected, number):
                    yield []
                yield read.row(row)
                expected = number + 1
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]


class _Cells:
    """Reads the cells of rows in one namespace (tags compared whole: this is the loop a 10,000-row sheet runs 120,000 times)."""

    def __init__(self, ns, strings, dates, epoch):
        self.c, self.v, self.inline, self.t = ns + "c", ns + "v", ns + "is", ns + "t"
        self.strings, self.dates, self.epoch = strings, dates, epoch

    def row(self, row):
        values, column = [], 0
        for cell in row.iterchildren(self.c):
            ref = cell.get("r")
            column = column_index_from_string(ref.rstrip(_DIGITS)) if ref else column + 1
            value = self.value(cell)
            if value is not None:
                values.extend([None] * (column - len(values)))
                values[column - 1] = value
        return values

    def value(self, cell):
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(self.inline)
            if inline is None:
                return None
            return inline[0].text if len(inline) == 1 and inline[0].tag == self.t else _text(inline)
        raw = cell.findtext(self.v)
        if not raw:
            return None
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        if kind in ("str", "e"):
            return raw
        number = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
        if int(cell.get("s") or 0) in self.dates:
            try:
                return from_excel(number, self.epoch)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
