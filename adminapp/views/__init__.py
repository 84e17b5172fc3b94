"""Flask-Admin set-up: the menu, in Chinese, built fresh for every app instance."""
from pathlib import Path

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from adminapp.views.accounts import UserView, VocabularyView
from adminapp.views.audit import AuditView
from adminapp.views.base import HomeView
from adminapp.views.pledge_card import PledgeCardView
from adminapp.views.calendar import DeadlineView, WorkWindowView, YearClosingView
from adminapp.views.chasing import ChaseView, NoticeView
from adminapp.views.card import MemberCardView
from adminapp.views.coverage import CoverageView
from adminapp.views.jobs import JobView
from adminapp.views.evaluation import EvaluationRoundView, EvaluationSchemeView
from adminapp.views.member import MemberView
from adminapp.views.activity import ActivitySchemeView
from adminapp.views.modelpost import ModelPostView
from adminapp.views.opinion import OpinionView
from adminapp.views.starboard import bp as starboard
from adminapp.views.organisation import OrganisationView, OrgTreeView
from adminapp.views.pledge import PledgeView
from adminapp.views.statistics import StatisticsView
from adminapp.views.settings import SettingsView, loopback_warning
from adminapp.views.rollover import RolloverView
from adminapp.views.suggestion import SuggestionView
from adminapp.views.supervision import LeaderCommentView, RectificationView, SupervisionRoundView
from adminapp.views.template import TemplateView
from adminapp.views.zone import ZoneCoverageView, ZoneView
from documents.activity import ActivityScheme
from documents.base import cn_minute
from documents.card import MemberCard
from documents.zone import ResponsibilityZone
from documents.modelpost import ModelPost
from documents import AuditEntry, Member, Organisation, Pledge, PledgeTemplate, User, Vocabulary
from documents.calendar import PublicationDeadline, YearClosing
from documents.evaluation import EvaluationRound, EvaluationScheme
from documents.opinion import Opinion
from documents.window import WorkWindow
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
    admin.add_view(WorkWindowView(WorkWindow, name=_l("提诺与评诺时间"), endpoint="window", category=pledges))
    admin.add_view(ChaseView(name=_l("催办清单"), endpoint="chase", category=pledges))
    admin.add_view(NoticeView(name=_l("我的提醒"), endpoint="notice", category=pledges))
    admin.add_view(SuggestionView(name=_l("居民点单"), endpoint="suggestion"))
    admin.add_view(TemplateView(PledgeTemplate, name=_l("承诺模板"), endpoint="template", category=pledges))
    watch = _l("督诺与评诺")
    admin.add_view(SupervisionRoundView(SupervisionRound, name=_l("季度督诺"), endpoint="supervision", category=watch))
    admin.add_view(RectificationView(Rectification, name=_l("整改台账"), endpoint="rectification", category=watch))
    admin.add_view(LeaderCommentView(LeaderComment, name=_l("点评台帐"), endpoint="leadercomment", category=watch))
    admin.add_view(EvaluationRoundView(EvaluationRound, name=_l("评诺"), endpoint="evaluation", category=watch))
    posts = _l("示范岗与责任区")
    admin.add_view(ModelPostView(ModelPost, name=_l("党员示范岗"), endpoint="modelpost", category=posts))
    admin.add_view(ZoneView(ResponsibilityZone, name=_l("党员责任区"), endpoint="zone", category=posts))
    admin.add_view(ZoneCoverageView(name=_l("责任区覆盖情况"), endpoint="zonecoverage", url="/admin/zone/coverage",
                                    category=posts))
    admin.add_view(MemberCardView(MemberCard, name=_l("岗位先进性创建卡"), endpoint="membercard", category=posts))
    system = _l("系统管理")
    admin.add_view(UserView(User, name=_l("账号"), endpoint="user", category=system))
    admin.add_view(VocabularyView(Vocabulary, name=_l("词表设置"), endpoint="vocabulary", category=system))
    admin.add_view(EvaluationSchemeView(EvaluationScheme, name=_l("评议方案"), endpoint="scheme", category=system))
    admin.add_view(ActivitySchemeView(ActivityScheme, name=_l("示范岗与责任区方案"), endpoint="activityscheme",
                                      category=system))
    admin.add_view(YearClosingView(YearClosing, name=_l("年度归档"), endpoint="closing", category=system))
    admin.add_view(RolloverView(name=_l("年度结转"), endpoint="rollover", category=system))
    admin.add_view(AuditView(AuditEntry, name=_l("操作日志"), endpoint="audit", category=system))
    admin.add_view(SettingsView(name=_l("系统设置"), endpoint="settings", category=system))
    app.add_template_global(loopback_warning, "qr_warning")
    app.add_template_filter(cn_minute, "cn_minute")
    admin.add_view(JobView(name=_l("后台任务"), endpoint="job"))
    admin.add_view(StatisticsView(name=_l("统计"), endpoint="statistics"))
    admin.add_view(PledgeCardView(name=_l("承诺卡"), endpoint="pledgecard"))
    app.register_blueprint(starboard)
    return admin
