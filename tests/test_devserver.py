"""The start-up path of `make run`: the demo goes only into an empty database, a restart writes no business data."""
from documents import Member, Organisation, Pledge, User
from documents.template import PledgeTemplate, TemplateField
from documents.template_versions import save_edit
from adminapp.devserver import load_demo_if_empty
from tests.factories import make_member


def test_first_start_loads_the_demo_into_an_empty_database(app):
    report = load_demo_if_empty(app)
    assert report["党组织"] == 6 and report["账号"] == 5 and report["承诺"] > 0
    with app.app_context():
        assert User.objects(username="admin").first() is not None


def test_a_restart_after_real_edits_writes_nothing(seeded):
    with seeded.app_context():
        make_member(name="新来的党员")
        template = PledgeTemplate.objects(name="社区党员公开承诺", current=True).first()
        template.fields.append(TemplateField(key="fuwu_xiangmu", label="志愿服务项目", type="text", required=True))
        save_edit(template, template.version)
        counts = (Pledge.objects.count(), Member.objects.count(), Organisation.objects.count())
    assert load_demo_if_empty(seeded) is None
    with seeded.app_context():
        assert (Pledge.objects.count(), Member.objects.count(), Organisation.objects.count()) == counts
        assert Pledge.objects(member=Member.objects(name="新来的党员").first()).count() == 0
