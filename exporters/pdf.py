"""PDF forms that look official: A4, CJK fonts embedded, page numbers, and a locked-down resource loader.

User text reaches the PDF only through autoescaped templates, and the renderer may load
nothing but the project's own assets and inline data: URIs; anything else a document names
becomes a blank image, and the resource policy refuses the network and other files as well.
"""
import base64
import contextlib
import io
import itertools
import re
import threading
from pathlib import Path

from flask import render_template

ASSETS = (Path(__file__).resolve().parent / "assets").resolve()
FONT_DIR = Path("/usr/share/fonts/truetype")
# CSS name: (ReportLab name, file, Debian package). Body in a 宋体-style serif, titles and labels in 黑体.
FONTS = {"pdsong": ("PDSong", FONT_DIR / "arphic/uming.ttc", "fonts-arphic-uming"),
         "pdhei": ("PDHei", FONT_DIR / "wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei")}
# Faces for the characters the main faces lack (CJK Extension A and B in real names), tried in this order.
FALLBACK_FONTS = {"pdfallbacka": ("PDHanaMinA", FONT_DIR / "hanazono/HanaMinA.ttf", "fonts-hanazono"),
                  "pdfallbackb": ("PDHanaMinB", FONT_DIR / "hanazono/HanaMinB.ttf", "fonts-hanazono")}
BLANK = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
_batch = False  # an archive worker's longer render limit (exporters.typesetting.BATCH_POLICY)
_lock = threading.Lock()
_registered = False
_font_lock = threading.Lock()
_main_coverage = None  # code points every main face has
_fallbacks = None  # [(CSS name, code points)] once a character needed them
_face_of = {}  # character -> CSS name of the fallback face that prints it, or None


class PDFError(RuntimeError):
    """The renderer reported errors."""


def register_fonts():
    """Register the main CJK faces once per process; the fallback faces wait until a character needs them."""
    global _registered, _main_coverage
    with _font_lock:
        if _registered:
            return
        from exporters import typesetting  # the renderer, imported on first use (see its docstring)
        _main_coverage = frozenset.intersection(*typesetting.register(FONTS).values())
        _registered = True


def _fallback_face(char):
    """The CSS name of the first fallback face that has `char`, or None when the main faces have it (or none does)."""
    global _fallbacks
    if char not in _face_of:
        face = None
        if ord(char) not in _main_coverage:
            with _font_lock:
                if _fallbacks is None:
                    from exporters import typesetting
                    _fallbacks = list(typesetting.register(FALLBACK_FONTS).items())
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


def link_callback(uri, rel):
    """Allow only inline images and files inside exporters/assets; everything else becomes a blank pixel."""
    if uri.startswith("data:image/"):
        return uri
    candidate = (ASSETS / uri.split("?", 1)[0].lstrip("/")).resolve()
    if "://" not in uri and candidate.is_relative_to(ASSETS) and candidate.is_file():
        return str(candidate)
    return BLANK


def for_batches():
    """Give this process (an archive worker, never a web worker) the batch render limit."""
    global _batch
    _batch = True


def html_to_pdf(html):
    """Render HTML that came from our own autoescaped templates; one render at a time per process."""
    register_fonts()
    from exporters import typesetting
    html = with_fallback_fonts(html)
    out = io.BytesIO()
    with _lock:
        status = typesetting.create_pdf(html, out, link_callback, _batch)
    if status.err:
        raise PDFError(f"PDF 生成失败（{status.err} 处错误）")
    return out.getvalue()


# A small page in the shape of the printed forms: both faces, a table with a repeated header, a page-number frame.
_WARM_UP_PAGE = """<html><head><style>
@page { size: a4 portrait; margin: 2cm; @frame footer { -pdf-frame-content: footer; bottom: 1cm; left: 2cm;
  right: 2cm; height: 1cm; } }
body { font-family: pdsong; } h1, th { font-family: pdhei; } td { -pdf-word-wrap: CJK; }
</style></head><body><div id="footer">第 <pdf:pagenumber/> 页</div><h1>承诺书</h1>
<table repeat="1"><tr><th>承诺事项</th></tr><tr><td>2026年3月31日前完成。</td></tr></table></body></html>"""


def warm_up():
    """Import the renderer, read the fonts and print one small page now (1-3 s), before a web worker's first request."""
    # A missing font is reported where a clerk prints, rather than stopping the worker from serving anything.
    with contextlib.suppress(PDFError):
        html_to_pdf(_WARM_UP_PAGE)


def render(template, **context):
    return html_to_pdf(render_template(f"pdf/{template}", **context))


def qr_data_uri(text):
    """A QR code as an inline PNG, so the renderer fetches nothing."""
    import qrcode  # with Pillow, on first use only
    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

