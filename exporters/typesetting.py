"""What we change in ReportLab and xhtml2pdf, and the resource policy they render under.

Imported by exporters.pdf on the first render only: the two libraries cost about 0.5 s of CPU to import, which every
job and CLI command would pay at start-up, most of them never printing anything.
"""
import re
from dataclasses import replace

from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase import ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.rl_settings import _FUZZ
from xhtml2pdf import default as xhtml2pdf_default, pisa, reportlab_paragraph
from xhtml2pdf.config.resources import ResourceAccessPolicy

from exporters.pdf import ASSETS, PDFError

POLICY = ResourceAccessPolicy.server(base_dir=ASSETS, allow_remote=False)
# An archive worker renders a big organisation's year-long ledgers in the background (one took 52 s alone, and over the
# web limit of 60 s with both cores busy): batch processes get this longer limit, web workers never do.
BATCH_POLICY = replace(POLICY, max_render_seconds=600)


def register(faces):
    """Register faces with ReportLab and xhtml2pdf (bold and italic are the same face); return their cmaps."""
    coverage = {}
    for css_name, (name, path, package) in faces.items():
        if not path.exists():
            raise PDFError(f"缺少字体 {path}：请运行 scripts/bootstrap.sh 安装 {package}")
        font = TTFont(name, str(path), subfontIndex=0)
        pdfmetrics.registerFont(font)
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
        xhtml2pdf_default.DEFAULT_FONT[css_name] = name
        coverage[css_name] = frozenset(font.face.charToGlyph)
    return coverage


_reportlab_to_unicode = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname, subset):
    """ReportLab's map from glyphs back to text, with characters beyond U+FFFF (𠀀, 𡒄) written as UTF-16 pairs.

    ReportLab writes them as five hex digits, which readers take as another character: copying
    王𠀀 from the PDF, or finding it with pdftotext, gave 王 and a stray letter.
    """
    return re.sub(r"<([0-9A-F]{5,6})>$", lambda m: f"<{chr(int(m.group(1), 16)).encode('utf-16-be').hex().upper()}>",
                  _reportlab_to_unicode(fontname, subset), flags=re.M)


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


# Chinese punctuation may not start a line (ReportLab's list lacks the full-width ，；：！？》” …), nor may an
# opening bracket end one; runs of Latin letters and digits (2026, 31, 85%) are never broken, nor cut from the
# 年, 月 or 日 after them.
_NO_LINE_START = frozenset(ALL_CANNOT_START) | frozenset("，；：！？》〉”’…％")
_NO_LINE_END = frozenset(ALL_CANNOT_END)
_GLUED = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.%")


def _may_break(chars, at):
    """Whether a line may end between chars[at - 1] and chars[at]."""
    before, after = chars[at - 1], chars[at]
    return (after not in _NO_LINE_START and before not in _NO_LINE_END
            and not (before in _GLUED and (after in _GLUED or after in "年月日")))


def _break_cjk_lines(frags, maxWidths, calcBounds, encoding="utf8"):
    """Break CJK text between any two characters where Chinese typesetting allows it.

    Replaces xhtml2pdf's breaker, which splits a date inside its digits (2026年12月3 / 1日) and lets a
    line-end 、 hang past the cell's border: the line ends instead at the last place `_may_break`
    allows, or where it overflows when the whole line is one unbreakable run.
    """
    chars = []
    for frag in frags:
        text = frag.text if isinstance(frag.text, str) else frag.text.decode(encoding)
        chars.extend(reportlab_paragraph.cjkU(t, frag, encoding) for t in (text or [""]))
    lines, start, used, max_width = [], 0, 0, maxWidths[0]
    for i, char in enumerate(chars):
        used += char.width
        if used > max_width + _FUZZ and i > start:
            cut = next((at for at in range(i, start, -1) if _may_break(chars, at)), i)
            width = sum(c.width for c in chars[start:cut])
            lines.append(reportlab_paragraph.makeCJKParaLine(chars[start:cut], max_width - width, calcBounds))
            max_width = maxWidths[min(len(lines), len(maxWidths) - 1)]
            start, used = cut, used - width
    if used > 0:
        lines.append(reportlab_paragraph.makeCJKParaLine(chars[start:], max_width - used, calcBounds))
    return reportlab_paragraph.ParaLines(kind=1, lines=lines)


reportlab_paragraph.cjkFragSplit = _break_cjk_lines


def create_pdf(html, out, link_callback, batch):
    """One xhtml2pdf render into `out`; its status."""
    return pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=link_callback,
                          resource_policy=BATCH_POLICY if batch else POLICY)
