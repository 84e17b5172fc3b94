"""Uploads that cannot hurt: zip bombs, endless empty rows, too many rows, programs and old formats are refused at once."""
import io
import re
import struct
import time
import tracemalloc
import zipfile
import zlib

from documents import ImportBatch
from tests.factories import make_id_number
from tests.test_roster import HEADERS, preview_of, row, upload, xlsx

MB = 1024 * 1024


def zip_of(entries):
    """A zip (deflated entries) from {name: (raw deflate, crc, size)}, written by hand to use precompressed data."""
    out, central = io.BytesIO(), b""
    for name, (data, crc, size) in entries.items():
        encoded, offset = name.encode(), out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0x800, 8, 0, 0x21, crc, len(data), size)
        out.write(struct.pack("<I", 0x04034B50) + fields + struct.pack("<HH", len(encoded), 0) + encoded + data)
        central += (struct.pack("<IH", 0x02014B50, 20) + fields +
                    struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    out.write(central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0))
    return out.getvalue()


def with_sheet(rows_xml, filler=b"", times=0, dimension="A1:L2"):
    """A real .xlsx whose first sheet holds `rows_xml`, then `filler` (ignorable XML whitespace) repeated `times`.

    The filler is compressed once: after a full flush the compressor starts afresh, so every further
    copy compresses to the same bytes, and a 1 GiB sheet is built in about a second.
    """
    source = zipfile.ZipFile(io.BytesIO(xlsx([])))
    entries = {}
    for entry in source.infolist():
        data = source.read(entry.filename)
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        if entry.filename != "xl/worksheets/sheet1.xml":
            entries[entry.filename] = (compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))
            continue
        head, tail = data.split(b"</sheetData>")
        head = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + dimension.encode() + b'"', head) + rows_xml
        tail = b"</sheetData>" + tail
        stream = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
        block = compressor.compress(filler) + compressor.flush(zlib.Z_FULL_FLUSH) if times else b""
        crc = zlib.crc32(head)
        for _ in range(times):
            crc = zlib.crc32(filler, crc)
        stream += block * times + compressor.compress(tail) + compressor.flush()
        entries[entry.filename] = (stream, zlib.crc32(tail, crc), len(head) + len(filler) * times + len(tail))
    return zip_of(entries)


def refusal(browser, data, filename="花名册.xlsx"):
    """The message shown next to the upload field, and how long the upload took."""
    token = browser.token("/admin/member/import/")
    started = time.perf_counter()
    response = browser.client.post("/admin/member/import/", data={"csrf_token": token, "file": (io.BytesIO(data), filename)},
                                   content_type="multipart/form-data")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    match = re.search(r'id="roster-file-error"[^>]*>([^<]+)<', response.get_data(as_text=True))
    assert match, "no message next to the upload field"
    return match.group(1), elapsed


def test_zip_bomb_is_refused_at_once_with_flat_memory(login_as, seeded):
    bomb = with_sheet(b"", b" " * MB, 1024)
    assert len(bomb) < 1.1 * MB
    assert sum(e.file_size for e in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) > 1000 * 1024 * 1024
    clerk = login_as("sq_clerk")
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        message, elapsed = refusal(clerk, bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "解压后超过 50 MB" in message and "不是正常的花名册" in message
    assert elapsed < 2, elapsed
    assert peak - baseline < 50 * 1024 * 1024, peak - baseline
    with seeded.app_context():
        assert ImportBatch.objects.count() == 0


def test_absurd_compression_ratio_is_refused(login_as, seeded):
    seeded.config["ROSTER_MAX_UNZIPPED"] = 1024 ** 3
    message, _elapsed = refusal(login_as("sq_clerk"), with_sheet(b"", b" " * MB, 60))
    assert "压缩比异常" in message


def test_a_million_empty_rows_says_there_are_no_data_rows_fast(login_as):
    empty = b"".join(b'<row r="%d"/>' % n for n in range(2, 1_000_002))
    data = with_sheet(empty, dimension="A1:L1000001")
    message, elapsed = refusal(login_as("sq_clerk"), data)
    assert "没有数据行" in message
    assert elapsed < 10, elapsed


def test_too_many_rows_are_refused(login_as, seeded):
    seeded.config["ROSTER_MAX_ROWS"] = 30
    rows = [row(f"多行{i}", make_id_number("19700101")) for i in range(31)]
    message, _elapsed = refusal(login_as("sq_clerk"), xlsx(rows))
    assert "文件超过 30 行" in message
    text = ",".join(HEADERS) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    message, _elapsed = refusal(login_as("sq_clerk"), text.encode("utf-8"), "roster.csv")
    assert "文件超过 30 行" in message
    with seeded.app_context():
        assert ImportBatch.objects.count() == 0


def test_header_only_files_say_there_are_no_data_rows(login_as):
    clerk = login_as("sq_clerk")
    assert "没有数据行" in refusal(clerk, xlsx([]))[0]
    csv_text = ",".join(HEADERS) + "\n" + ",,,\n" * 50_000
    message, elapsed = refusal(clerk, csv_text.encode("gb18030"), "roster.csv")
    assert "没有数据行" in message and elapsed < 10


def test_programs_old_excel_and_corrupt_files_are_explained(login_as):
    clerk = login_as("sq_clerk")
    assert "程序文件" in refusal(clerk, b"MZ\x90\x00\x03" + b"\x00" * 500, "花名册.xlsx")[0]
    ole = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 500
    assert "另存为” .xlsx" in refusal(clerk, ole, "花名册.xls")[0]
    assert "另存为” .xlsx" in refusal(clerk, ole, "花名册.xlsx")[0]
    good = xlsx([row("截断", make_id_number("19700101"))])
    assert "无法读取该 .xlsx 文件" in refusal(clerk, good[: len(good) // 2])[0]


def test_gbk_csv_from_chinese_excel_is_decoded(login_as):
    clerk = login_as("sq_clerk")
    text = ",".join(HEADERS) + "\n" + ",".join(row("郭靖", make_id_number("19820202"))) + "\n"
    _url, page = preview_of(clerk, upload(clerk, text.encode("gbk"), "花名册.csv"))
    assert "郭靖" in page
