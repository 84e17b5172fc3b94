"""Command-line tasks."""
from documents import Member, Organisation, User


def test_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
        counts = (Organisation.objects.count(), Member.objects.count(), User.objects.count())
        assert counts[0] == 6 and counts[1] >= 60
    assert runner.invoke(args=["seed"]).exit_code == 0
    with app.app_context():
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
