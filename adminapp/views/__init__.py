"""Flask-Admin set-up: the menu, in Chinese, built fresh for every app instance."""
from pathlib import Path

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from adminapp.views.accounts import AuditView, UserView, VocabularyView
from adminapp.views.base import HomeView
from adminapp.views.calendar import DeadlineView, YearClosingView
from adminapp.views.cards import CardView
from adminapp.views.coverage import CoverageView
from adminapp.views.jobs import JobView
from adminapp.views.evaluation import EvaluationRoundView, EvaluationSchemeView
from adminapp.views.member import MemberView
from adminapp.views.opinion import OpinionView
from adminapp.views.organisation import OrganisationView, OrgTreeView
from adminapp.views.pledge import PledgeView
from adminapp.views.settings import SettingsView, loopback_warning
from adminapp.views.supervision import LeaderCommentView, RectificationView, SupervisionRoundView
from adminapp.views.template import TemplateView
from documents import AuditEntry, Member, Organisation, Pledge, PledgeTemplate, User, Vocabulary
from documents.calendar import PublicationDeadline, YearClosing
from documents.evaluation import EvaluationRound, EvaluationScheme
from documents.opinion import Opinion
from documents.supervision import LeaderComment, Rectification, SupervisionRound

# Chinese for the few Flask-Admin messages its own catalogue leaves in English.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations_admin"


def init_admin(app):
    admin = Admin(app, name=_l("承诺践诺管理台"), translations_path=str(TRANSLATIONS),
                  index_view=HomeView(name=_l("首页"), url="/admin"),
                  theme=Bootstrap4Theme(base_template="admin/pd_base.html", swatch="cerulean"))
    org = _l("组织与党员")
    admin.add_view(OrgTreeView(name=_l("组织架构"), endpoint="orgtree", category=org))
    admin.add_view(OrganisationView(Organisation, name=_l("党组织"), endpoint="organisation", category=org))
    admin.add_view(MemberView(Member, name=_l("党员花名册"), endpoint="member", category=org))
    pledges = _l("公开承诺")
    admin.add_view(PledgeView(Pledge, name=_l("承诺"), endpoint="pledge", category=pledges))
    admin.add_view(CoverageView(name=_l("承诺覆盖情况"), endpoint="coverage", url="/admin/pledge/coverage", category=pledges))
    admin.add_view(OpinionView(Opinion, name=_l("群众意见"), endpoint="opinion", category=pledges))
    admin.add_view(DeadlineView(PublicationDeadline, name=_l("公示期限"), endpoint="deadline", category=pledges))
    admin.add_view(TemplateView(PledgeTemplate, name=_l("承诺模板"), endpoint="template", category=pledges))
    watch = _l("督诺与评诺")
    admin.add_view(SupervisionRoundView(SupervisionRound, name=_l("季度督诺"), endpoint="supervision", category=watch))
    admin.add_view(RectificationView(Rectification, name=_l("整改台账"), endpoint="rectification", category=watch))
    admin.add_view(LeaderCommentView(LeaderComment, name=_l("点评台帐"), endpoint="leadercomment", category=watch))
    admin.add_view(EvaluationRoundView(EvaluationRound, name=_l("评诺"), endpoint="evaluation", category=watch))
    system = _l("系统管理")
    admin.add_view(UserView(User, name=_l("账号"), endpoint="user", category=system))
    admin.add_view(VocabularyView(Vocabulary, name=_l("词表设置"), endpoint="vocabulary", category=system))
    admin.add_view(EvaluationSchemeView(EvaluationScheme, name=_l("评议方案"), endpoint="scheme", category=system))
    admin.add_view(YearClosingView(YearClosing, name=_l("年度归档"), endpoint="closing", category=system))
    admin.add_view(AuditView(AuditEntry, name=_l("操作日志"), endpoint="audit", category=system))
    admin.add_view(SettingsView(name=_l("系统设置"), endpoint="settings", category=system))
    app.add_template_global(loopback_warning, "qr_warning")
    admin.add_view(JobView(name=_l("后台任务"), endpoint="job"))
    admin.add_view(CardView(name=_l("承诺卡"), endpoint="card"))
    return admin
