"""The public 公示榜 of star posts: phone-friendly, no login, name, post, photo, motto, stars and an opinion box."""
import io

from bson import ObjectId
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from documents.modelpost import ModelPost, leave_opinion, star_board
from documents.opinion import OpinionRefused
from documents.organisation import Organisation
from documents.progress import Attachment

bp = Blueprint("starboard", __name__)


def _organisation(code):
    return Organisation.objects(code=code.strip().upper()).first() or abort(404)


def _board_post(organisation, post_id):
    """An approved star post below the organisation, or 404."""
    post = ModelPost.objects(pk=ObjectId(post_id) if ObjectId.is_valid(post_id) else None).order_by().first()
    if post is None or post.kind != "starpost" or post.state != "confirmed" or organisation.pk not in post.org_path:
        abort(404)
    return post


@bp.get("/board/<code>/stars")
def board(code):
    organisation = _organisation(code)
    return render_template("public/star_board.html", organisation=organisation, rows=star_board(organisation))


@bp.get("/board/<code>/stars/<post_id>/photo")
def photo(code, post_id):
    post = _board_post(_organisation(code), post_id)
    found = Attachment.objects(pk=post.photo).first() if post.photo else None
    if found is None:
        abort(404)
    return send_file(io.BytesIO(found.data), mimetype=found.content_type)


@bp.post("/board/<code>/stars/<post_id>/opinion")
def opinion(code, post_id):
    organisation = _organisation(code)
    post = _board_post(organisation, post_id)
    try:
        leave_opinion(post, request.form.get("text"), request.form.get("contact"), request.remote_addr,
                      current_app.config["SECRET_KEY"])
        flash(_("谢谢！您的意见已转给该党组织，我们会认真处理。"), "success")
    except OpinionRefused as exc:
        flash(str(exc), "error")
    return redirect(url_for(".board", code=organisation.code) + f"#p{post.pk}")
