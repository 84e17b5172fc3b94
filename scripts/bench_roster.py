"""Benchmark: check and import a 10,000-row roster against a fresh embedded database; prints timings."""
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402

from adminapp import create_app  # noqa: E402
from adminapp.config import TestConfig  # noqa: E402
from adminapp.embedded_db import EmbeddedDatabase  # noqa: E402
from documents import Member, User, idcard  # noqa: E402
from documents.roster import COLUMNS, commit, prepare  # noqa: E402
from seed import demo  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


def roster_bytes(n):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([h for h, _ in COLUMNS])
    for i in range(n):
        first17 = f"410103{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        first17 = first17[:6] + first17[6:14] + f"{(i // 1000) % 10}{i % 100:02d}"
        sheet.append([f"测试{i}", "", first17 + idcard.check_digit(first17), "13900000000", "", "",
                      ["SQ01", "QY01", "SY01", "JG01", "LX01"][i % 5], "职工", "", "无职党员", "", "在册"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main():
    with tempfile.TemporaryDirectory() as tmp, EmbeddedDatabase(tmp) as server:
        config = TestConfig()
        config.MONGODB_URI, config.POSTGRES_URL = server.uri("bench"), server.postgres_url
        app = create_app(config)
        with app.app_context():
            demo.load()
            admin = User.objects(username="admin").first()
            data = roster_bytes(ROWS)
            for label in ("first import", "re-import"):
                t0 = time.perf_counter()
                batch = prepare(admin, "bench.xlsx", data, 64 * 1024 * 1024)
                t1 = time.perf_counter()
                created, updated = commit(batch, admin)
                t2 = time.perf_counter()
                print(f"{label}: {ROWS} rows, check {t1 - t0:.1f}s, write {t2 - t1:.1f}s "
                      f"(created {created}, updated {updated}, rejected {len(batch.rejects)}), "
                      f"members now {Member.objects.count()}")


if __name__ == "__main__":
    main()
