"""Pages without login (health check) and the error pages every visitor may see."""
from bson import ObjectId
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from adminapp import db
from adminapp.views.base import year_arg
from documents import evaluation, idcard
from documents.board import PUBLIC_STATES, board_page, pledge_page
from documents.opinion import OpinionRefused, leave
from documents.organisation import Organisation, subtree_ids
from documents.pledge import Pledge

bp = Blueprint("public", __name__)


@bp.get("/healthz")
def healthz():
    ok = db.ping()
    body = {"app": "pledgedesk", "version": current_app.config["VERSION"], "database": "ok" if ok else "unreachable"}
    return jsonify(body), 200 if ok else 503


@bp.get("/")
def home():
    return redirect(url_for("admin.index"))


@bp.get("/board/<code>")
def board(code):
    """示诺: the published pledges of an organisation and those below it, for anyone to read, a page at a time."""
    organisation = Organisation.objects(code=code.strip().upper()).first() or abort(404)
    year = year_arg()
    return render_template("public/board.html", organisation=organisation, year=year,
                           board=board_page(organisation, year, request.args.get("page", type=int) or 1))


@bp.get("/board/<code>/pledge/<pledge_id>")
def pledge(code, pledge_id):
    """One published pledge on a page of its own, redacted as the board: what a member's 承诺卡 QR code opens."""
    organisation = Organisation.objects(code=code.strip().upper()).first() or abort(404)
    found = pledge_page(organisation, pledge_id) if ObjectId.is_valid(pledge_id) else None
    if found is None:
        abort(404)
    page, year = found
    return render_template("public/board.html", organisation=organisation, year=year, board=page)


@bp.post("/board/<code>/opinion/<pledge_id>")
def opinion(code, pledge_id):
    """Leave an opinion on a published pledge; it reaches the clerk and reviewer, never the board."""
    organisation = Organisation.objects(code=code.strip().upper()).first() or abort(404)
    pledge = Pledge.objects(pk=pledge_id if ObjectId.is_valid(pledge_id) else None,
                            organisation__in=subtree_ids([organisation.pk]), state__in=PUBLIC_STATES).first()
    if pledge is None:
        abort(404)
    try:
        leave(pledge, request.form.get("text"), request.form.get("contact"), request.remote_addr,
              current_app.config["SECRET_KEY"])
        flash(_("谢谢！您的意见已转给该党组织，我们会认真处理。"), f"opinion-{pledge.pk}")
    except OpinionRefused as exc:
        flash(str(exc), f"opinion-{pledge.pk}")
    page = request.args.get("page", type=int)
    return redirect(url_for(".board", code=organisation.code, year=pledge.year, page=page) + f"#p{pledge.pk}")


@bp.route("/ballot/<token>", methods=("GET", "POST"))
def ballot(token):
    """群众参评: one public ballot per single-use token; used, unknown or expired tokens are refused."""
    if request.method == "POST":
        choices = {k[7:]: v for k, v in request.form.items() if k.startswith("choice_")}
        try:
            evaluation.cast_ballot(token, choices)
        except evaluation.BallotRefused as exc:
            problem = str(exc)
        else:
            return render_template("public/ballot.html", thanks=True)
    try:
        slip = evaluation.open_ballot(token)
    except evaluation.BallotRefused as exc:
        return render_template("public/ballot.html", refused=str(exc)), 410
    if request.method == "POST":
        return render_template("public/ballot.html", round=slip.round, members=evaluation.members_of(slip.round),
                               choices=evaluation.PUBLIC_CHOICES, problem=problem), 400
    return render_template("public/ballot.html", round=slip.round, members=evaluation.members_of(slip.round),
                           choices=evaluation.PUBLIC_CHOICES)


def _page(title, message, status):
    return render_template("errors/message.html", title=title, message=message), status


def init_public(app):
    app.register_blueprint(bp)
    app.add_template_filter(idcard.mask, "mask_id")
    app.add_template_global(PUBLIC_STATES, "public_states")
    app.register_error_handler(403, lambda e: _page(_("没有权限"), _("您没有权限进行此操作。"), 403))
    app.register_error_handler(404, lambda e: _page(_("找不到页面"), _("您要找的页面或记录不存在，或不在您的管辖范围内。"), 404))
    app.register_error_handler(413, lambda e: _page(
        _("文件过大"), _("上传的文件超过了 %(n)s MB 的上限，请拆分后再上传。", n=app.config["MAX_CONTENT_LENGTH"] // 1024 // 1024), 413))
    app.register_error_handler(500, lambda e: _page(_("系统出错"), _("处理时出现错误，您的操作没有完成。请稍后重试，或联系系统管理员。"), 500))
