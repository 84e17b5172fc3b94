"""Plaques (标牌) of model posts and star posts, printed as the posts hang them."""
import base64

from documents.modelpost import ModelPost
from documents.progress import Attachment
from exporters.pdf import render


def photo_uri(post):
    """The post's photo as an inline image (the renderer fetches nothing), or None."""
    if not post.photo:
        return None
    found = Attachment.objects(pk=post.photo).first()
    return f"data:{found.content_type};base64,{base64.b64encode(found.data).decode('ascii')}" if found else None


def plaque_pdf(post):
    """One plaque: title, post, name(s), the standards or the motto; a revoked post's plaque says it is withdrawn."""
    return render("plaque.html", post=post, scheme=post.scheme, photo=photo_uri(post),
                  header=f"{post.organisation.name} · {post.scheme.plaque_title or post.kind_title}")


def posts_of_year(organisation, year):
    """The posts of an organisation and those below it that existed in the year (one path equality)."""
    return [p for p in ModelPost.objects(org_path=organisation.pk).order_by()
            if p.created_at.year <= year and not (p.revoked_on and p.revoked_on.year < year)]


def archive_tasks(organisation, year):
    """Archive tasks for the plaques of the year's posts."""
    return [("plaque", post.pk) for post in posts_of_year(organisation, year)]


def render_task(task):
    """(name in the zip, bytes) of one plaque."""
    post = ModelPost.objects(pk=task[1]).order_by().first()
    return f"示范岗标牌/{post.organisation.code}_{post.title}_{post.pk}.pdf", plaque_pdf(post)
