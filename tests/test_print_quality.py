"""Printing that passes for a party office's: every character prints, body size holds, lines break as typeset."""
import datetime as dt
import re
import subprocess

from PIL import Image

from documents import Pledge, PledgeTemplate
from documents.pledge import PledgeItem
from exporters import archive
from tests.clock import YEAR
from tests.factories import make_member, org
from tests.test_exports import font_names

LONG = ("坚决拥护党的路线方针政策，严守政治纪律和政治规矩，认真学习党的创新理论，按时参加组织生活。" * 120)[:5000]
NAMES = "张三、李四、王五、赵六、孙七、周八、吴九、郑十、钱一、冯二、张三、李四、王五、赵六、孙七"
# The letter's A4 table: 2 cm margins, columns 6% / 38% / 16% / 19% / 21%, 4 pt of padding in each cell.
CM = 72 / 2.54
LEFT, WIDTH, PADDING = 2 * CM, 17 * CM, 4


def strange_letter(app):
    """A letter with Extension A and B names, a 5,000-character field, an empty optional field and lists of names."""
    with app.app_context():
        sq = org("SQ01")
        template = PledgeTemplate.objects(name="社区党员公开承诺", current=True).first()
        member = make_member(name="王𠀀", post="张㛤的楼长", organisation=sq)
        # The prefixes shift the list so that one of its lines would end on a 、 hanging past the cell.
        items = [PledgeItem(content="甲" * n + NAMES, owner="李𡒄", deadline=dt.date(YEAR, 12, 31), expected="居民满意")
                 for n in range(3)]
        pledge = Pledge(scope="member", organisation=sq, member=member, year=YEAR, template=template, items=items,
                        values={"louyuan": "李𡒄家5号楼", "post_duty": "楼院长", "political": LONG})
        pledge.save_checked(None)
    with app.test_request_context():
        return archive.pledge_pdf(Pledge.objects(pk=pledge.pk).first())


def words(path):
    """(text, x_min, y_min, x_max, y_max, page) of every word pdftotext finds."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found, page = [], 0
    for line in out.splitlines():
        page += "<page " in line
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if match:
            found.append((match[5], *map(float, match.group(1, 2, 3, 4)), page))
    return found


def test_a_letter_prints_rare_names_long_text_dates_and_empty_fields_as_typeset(seeded, tmp_path, caplog):
    path = tmp_path / "letter.pdf"
    path.write_bytes(data := strange_letter(seeded))
    # The renderer has nothing to warn about in English on the console of `make run`.
    assert not [r for r in caplog.records if r.name.startswith(("xhtml2pdf", "reportlab"))], caplog.text
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Every character prints, Extension B (𠀀 𡒄) and A (㛤) included, and reads back as itself.
    for name in ("王𠀀", "李𡒄", "张㛤的楼长", "李𡒄家5号楼"):
        assert name in text, name
    fonts = {name.split("+")[-1].removesuffix("-0") for name, embedded in font_names(data) if embedded}
    assert {"UMingCN", "WenQuanYiZenHei", "HanaMinA", "HanaMinB"} <= fonts, fonts
    boxes = words(path)
    # A date is never cut inside its digits (2026年12月3 / 1日): each is one line of its column.
    head = next(w for w in boxes if w[0] == "完成时限")
    dates = [w[0] for w in boxes if w[5] == head[5] and w[2] > head[4] and LEFT + 0.60 * WIDTH < w[1] < LEFT + 0.79 * WIDTH]
    assert dates == [f"{YEAR}年12月31日"] * 3, dates
    # The 5,000-character field flows over pages in body size, not shrunk onto one page.
    long_lines = [w for w in boxes if "严守政治纪律" in w[0] or "坚决拥护" in w[0]]
    assert len({w[5] for w in long_lines}) >= 2
    assert min(w[4] - w[2] for w in long_lines) >= 10.5
    # No line of the items column runs past its padding: a 、 at the end of a line stays inside.
    right = LEFT + 0.44 * WIDTH - PADDING
    items = [w for w in boxes if LEFT + 0.06 * WIDTH < w[1] < right and any(c in w[0] for c in "张李王赵孙周吴郑钱冯")]
    assert len(items) >= 9 and max(w[3] for w in items) <= right + 0.5
    # The empty optional field is a whole row: its cell reaches the table's right edge.
    label = next(w for w in boxes if w[0] == "结对帮扶对象")
    subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", str(label[5]), "-l", str(label[5]), str(path),
                    str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    edge = round(LEFT + WIDTH)
    assert min(page.getpixel((x, round((label[2] + label[4]) / 2))) for x in range(edge - 2, edge + 3)) < 128
