"""PDF forms that look official: A4, CJK fonts embedded, page numbers, and a locked-down resource loader.

User text reaches the PDF only through autoescaped templates, and the renderer may load
nothing but the project's own assets and inline data: URIs; anything else a document names
becomes a blank image, and the resource policy refuses the network and other files as well.
"""
import base64
import io
import itertools
import re
import threading
from pathlib import Path

import qrcode
from flask import render_template
from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase import ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.rl_settings import _FUZZ
from xhtml2pdf import default as xhtml2pdf_default, pisa, reportlab_paragraph
from xhtml2pdf.config.resources import ResourceAccessPolicy

ASSETS = (Path(__file__).resolve().parent / "assets").resolve()
FONT_DIR = Path("/usr/share/fonts/truetype")
# CSS name: (ReportLab name, file, Debian package). Body in a 宋体-style serif, titles and labels in 黑体.
FONTS = {"pdsong": ("PDSong", FONT_DIR / "arphic/uming.ttc", "fonts-arphic-uming"),
         "pdhei": ("PDHei", FONT_DIR / "wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei")}
# Faces for the characters the main faces lack (CJK Extension A and B in real names), tried in this order.
FALLBACK_FONTS = {"pdfallbacka": ("PDHanaMinA", FONT_DIR / "hanazono/HanaMinA.ttf", "fonts-hanazono"),
                  "pdfallbackb": ("PDHanaMinB", FONT_DIR / "hanazono/HanaMinB.ttf", "fonts-hanazono")}
BLANK = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
POLICY = ResourceAccessPolicy.server(base_dir=ASSETS, allow_remote=False)
_lock = threading.Lock()
_registered = False
_font_lock = threading.Lock()
_main_coverage = None  # code points every main face has
_fallbacks = None  # [(CSS name, code points)] once a character needed them
_face_of = {}  # character -> CSS name of the fallback face that prints it, or None


class PDFError(RuntimeError):
    """The renderer reported errors."""


def _register(faces):
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


def register_fonts():
    """Register the main CJK faces once per process; the fallback faces wait until a character needs them."""
    global _registered, _main_coverage
    with _font_lock:
        if _registered:
            return
        _main_coverage = frozenset.intersection(*_register(FONTS).values())
        _registered = True


def _fallback_face(char):
    """The CSS name of the first fallback face that has `char`, or None when the main faces have it (or none does)."""
    global _fallbacks
    if char not in _face_of:
        face = None
        if ord(char) not in _main_coverage:
            with _font_lock:
                if _fallbacks is None:
                    _fallbacks = list(_register(FALLBACK_FONTS).items())
            face = next((css for css, points in _fallbacks if ord(char) in points), None)
        _face_of[char] = face
    return _face_of[char]


_TAG = re.compile(r"(<[^>]*>)")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _wrap_run(match):
    """Put each stretch of characters needing a fallback face in a span of that face."""
    out = []
    for face, chars in itertools.groupby(match.group(0), _fallback_face):
        text = "".join(chars)
        out.append(f'<span style="font-family: {face}">{text}</span>' if face else text)
    return "".join(out)


def with_fallback_fonts(html):
    """Make every character print: xhtml2pdf drops glyphs its face lacks, so such runs get a face that has them.

    Only text between tags changes, and only by wrapping characters that are not markup
    (the template has already escaped `<`, `&` and quotes), so user text stays data.
    """
    parts = _TAG.split(html)
    for i in range(0, len(parts), 2):
        if i and parts[i - 1].lower().startswith("<style"):
            continue
        parts[i] = _NON_ASCII.sub(_wrap_run, parts[i])
    return "".join(parts)


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


def link_callback(uri, rel):
    """Allow only inline images and files inside exporters/assets; everything else becomes a blank pixel."""
    if uri.startswith("data:image/"):
        return uri
    candidate = (ASSETS / uri.split("?", 1)[0].lstrip("/")).resolve()
    if "://" not in uri and candidate.is_relative_to(ASSETS) and candidate.is_file():
        return str(candidate)
    return BLANK


def html_to_pdf(html):
    """Render HTML that came from our own autoescaped templates; one render at a time per process."""
    register_fonts()
    html = with_fallback_fonts(html)
    out = io.BytesIO()
    with _lock:
        status = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=link_callback,
                                resource_policy=POLICY)
    if status.err:
        raise PDFError(f"PDF 生成失败（{status.err} 处错误）")
    return out.getvalue()


def render(template, **context):
    return html_to_pdf(render_template(f"pdf/{template}", **context))


def qr_data_uri(text):
    """A QR code as an inline PNG, so the renderer fetches nothing."""
    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

