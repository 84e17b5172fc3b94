"""系统设置: the public address printed QR codes open is an audited setting, and printing warns while it is loopback."""
import re

from documents import AuditEntry, Pledge
from documents.evaluation import EvaluationRound, EvaluationScheme
from tests.clock import YEAR
from tests.factories import org
from tests.test_export_contents import _decode_qr

WARNING = "群众的手机扫码打不开"
SITE = "https://dangjian.example.cn"


def test_the_public_address_is_an_audited_setting_that_printed_codes_follow(seeded, login_as, tmp_path):
    with seeded.app_context():
        sq = org("SQ01")
        round_ = EvaluationRound(organisation=sq, year=YEAR, scheme=EvaluationScheme.objects.first()).save_checked(None)
        published = Pledge.objects(organisation=sq, year=YEAR, scope="member", state="published").first()
    details = f"/admin/organisation/details/?id={sq.pk}"
    card_page = f"/admin/pledge/details/?id={published.pk}"
    admin = login_as("admin")
    # Unset, codes point at the address the browser used: this machine, which phones cannot reach.
    assert WARNING in admin.get("/admin/settings/").get_data(as_text=True)
    assert WARNING in admin.get(details).get_data(as_text=True)
    assert WARNING in admin.get(card_page).get_data(as_text=True) and "承诺卡（胸卡）" in admin.get(card_page).get_data(as_text=True)
    refused = admin.post("/admin/settings/", {"public_base_url": "dangjian.example.cn", "version": "0"},
                         follow_redirects=True).get_data(as_text=True)
    assert "请填写以 http:// 或 https:// 开头的网站地址" in refused and 'value="dangjian.example.cn"' in refused
    saved = admin.post("/admin/settings/", {"public_base_url": f" {SITE}/ ", "version": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已保存系统设置" in saved and f'value="{SITE}"' in saved and WARNING not in saved
    assert f"公开访问地址：{SITE}" in saved  # the change's history on the page
    with seeded.app_context():
        assert [e.actor for e in AuditEntry.objects(action="修改系统设置")] == ["系统管理员"]
    assert WARNING not in admin.get(details).get_data(as_text=True)
    assert WARNING not in admin.get(card_page).get_data(as_text=True)
    sheet = admin.get(f"/admin/organisation/export/?id={sq.pk}&kind=board&year={YEAR}").data
    assert _decode_qr(sheet, tmp_path) == [f"{SITE}/board/SQ01?year={YEAR}"]
    slips = admin.post(f"/admin/evaluation/ballots/?id={round_.pk}", {"count": "1", "days": "7"},
                       token_from=f"/admin/evaluation/details/?id={round_.pk}").get_data(as_text=True)
    assert re.search(rf"{re.escape(SITE)}/ballot/[\w-]+", slips) and WARNING not in slips
    # The command line prints the same address, and only administrators see the setting.
    out = tmp_path / "cli.pdf"
    result = seeded.test_cli_runner().invoke(args=["export", "board", "SQ01", "--year", str(YEAR), "-o", str(out)])
    assert result.exit_code == 0, result.output
    (tmp_path / "cli").mkdir()
    assert _decode_qr(out.read_bytes(), tmp_path / "cli") == [f"{SITE}/board/SQ01?year={YEAR}"]
    assert login_as("sq_clerk").get("/admin/settings/").status_code == 403
