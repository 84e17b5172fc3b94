"""Command-line tasks."""
import json
import re

from adminapp import config, create_app
from adminapp.embedded_db import free_port
from documents import Member, Organisation, PledgeTemplate, User, Vocabulary
from tests.clock import YEAR


def test_seed_loads_reference_data_and_the_demo_only_when_asked(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert Organisation.objects.count() == 0 and User.objects.count() == 0
        assert PledgeTemplate.objects.count() > 0 and Vocabulary.objects.count() > 0


def test_seed_demo_is_idempotent(seeded):
    """Seeding again over the demo (loaded by the same function) adds nothing."""
    with seeded.app_context():
        counts = (Organisation.objects.count(), Member.objects.count(), User.objects.count())
        assert counts[0] == 6 and counts[1] >= 60
    result = seeded.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0 and "党组织 0，党员 0，账号 0" in result.output, result.output
    assert set(re.findall(r" (\d+)", result.output)) == {"0"}, result.output
    with seeded.app_context():
        assert (Organisation.objects.count(), Member.objects.count(), User.objects.count()) == counts
        for code in ("SQ01", "QY01", "SY01", "JG01", "LX01"):
            org = Organisation.objects(code=code).first()
            members = Member.objects(organisation=org)
            assert members.count() >= 12
            assert members.filter(categories="党员领导干部").count() >= 1
            assert members.filter(categories="在职党员", residential_org__ne=None).count() >= 1
            assert members.filter(categories="离退休").count() >= 1
            assert members.filter(categories="流动党员").count() >= 1


def test_create_user_with_password_from_environment(seeded, monkeypatch):
    monkeypatch.setenv("PLEDGEDESK_PASSWORD", "S3cret-pass")
    result = seeded.test_cli_runner().invoke(args=["create-user", "lx_clerk", "--role", "clerk", "--org", "LX01"])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        user = User.objects(username="lx_clerk").first()
        assert user.organisation.code == "LX01" and user.check_password("S3cret-pass")


def test_create_user_prompts_for_password_and_checks_org(seeded, monkeypatch):
    monkeypatch.delenv("PLEDGEDESK_PASSWORD", raising=False)
    runner = seeded.test_cli_runner()
    result = runner.invoke(args=["create-user", "x", "--role", "clerk", "--org", "NOPE"])
    assert result.exit_code != 0 and "不存在" in result.output
    result = runner.invoke(args=["create-user", "sy_rev", "--role", "reviewer", "--org", "SY01"],
                           input="Long-enough1\nLong-enough1\n")
    assert result.exit_code == 0, result.output


def test_cli_finds_the_database_of_a_running_make_run(app, tmp_path, monkeypatch):
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps({"mongodb_uri": app.config["MONGODB_URI"], "postgres_url": app.config["POSTGRES_URL"]}))
    monkeypatch.setattr(config, "RUN_FILE", run_file)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    cli_app = create_app()
    assert cli_app.config["MONGODB_URI"] == app.config["MONGODB_URI"]
    assert cli_app.test_cli_runner().invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        assert Vocabulary.objects.count() > 0


def test_cli_says_in_one_chinese_line_that_no_database_answers(monkeypatch):
    monkeypatch.delenv("PLEDGEDESK_POSTGRES_URL", raising=False)
    result = create_app({"MONGODB_URI": f"mongodb://127.0.0.1:{free_port()}/nowhere", "MONGODB_TIMEOUT_MS": 300,
                         "TESTING": True}).test_cli_runner().invoke(args=["export", "board", "SQ01", "--year", str(YEAR),
                                                                         "-o", "/dev/null"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip()] and "无法连接数据库" in result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, not an error from the driver
