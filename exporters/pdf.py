"""PDF forms that look official: A4, CJK fonts embedded, page numbers, and a locked-down resource loader.

User text reaches the PDF only through autoescaped templates, and the renderer may load
nothing but the project's own assets and inline data: URIs; anything else a document names
becomes a blank image, and the resource policy refuses the network and other files as well.
"""
import base64
import io
import threading
from pathlib import Path

import qrcode
from flask import render_template
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as xhtml2pdf_default, pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

ASSETS = (Path(__file__).resolve().parent / "assets").resolve()
FONT_DIR = Path("/usr/share/fonts/truetype/wqy")
FONTS = {"pdsong": ("PDSong", FONT_DIR / "wqy-zenhei.ttc"), "pdhei": ("PDHei", FONT_DIR / "wqy-microhei.ttc")}
BLANK = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="
POLICY = ResourceAccessPolicy.server(base_dir=ASSETS, allow_remote=False)
_lock = threading.Lock()
_registered = False


class PDFError(RuntimeError):
    """The renderer reported errors."""


def register_fonts():
    """Register the CJK fonts with ReportLab and xhtml2pdf once per process."""
    global _registered
    if _registered:
        return
    for css_name, (name, path) in FONTS.items():
        if not path.exists():
            raise PDFError(f"缺少中文字体 {path}，请运行 scripts/bootstrap.sh 安装 fonts-wqy-zenhei 和 fonts-wqy-microhei")
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        xhtml2pdf_default.DEFAULT_FONT[css_name] = name
    _registered = True


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

