"""Plaques (标牌) of posts, responsibility boards (责任标牌) of zones and members' three cards, and their archive files."""
import base64

from documents.card import MemberCard
from documents.organisation import Organisation
from documents.modelpost import ModelPost, awards_of
from documents.zone import ResponsibilityZone
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


def award_list_pdf(organisation, year):
    """The year's 授牌命名 list of star posts: those named with five stars, then those re-assessed at year end."""
    awarded, reassess = awards_of(organisation, year)
    return render("star_awards.html", organisation=organisation, year=year, awarded=awarded, reassess=reassess,
                  header=f"{organisation.name} · {year}年星级党员示范岗授牌名单")


def posts_of_year(organisation, year):
    """The posts of an organisation and those below it that existed in the year (one path equality)."""
    return [p for p in ModelPost.objects(org_path=organisation.pk).order_by()
            if p.created_at.year <= year and not (p.revoked_on and p.revoked_on.year < year)]


def zone_board_pdf(zone):
    """The 责任标牌 of a zone: its head and tasks, and each member's duty, so the public finds who is responsible."""
    return render("zone_board.html", zone=zone, scheme=zone.scheme, header=f"{zone.organisation.name} · 党员责任区")


def cards_pdf(card):
    """A member's three cards of a year, one to a page: 定标公示卡, 对标记录卡, 达标评议卡."""
    template = card.template
    rows = [(f.label, f.display(card.values.get(f.key))) for f in template.ordered_fields()
            if card.values.get(f.key) not in (None, "", [])] if template else []
    return render("member_card.html", card=card, member=card.member, rows=rows,
                  header=f"{card.organisation.name} · {card.scheme.plaque_title or '党员岗位先进性创建卡'}")


def archive_tasks(organisation, year):
    """Archive tasks for the year's plaques, star award list, zone boards and cards of an organisation and below it."""
    return ([("plaque", post.pk) for post in posts_of_year(organisation, year)]
            + ([("awards", organisation.pk, year)] if any(awards_of(organisation, year)) else [])
            + [("zone", pk) for pk in ResponsibilityZone.objects(org_path=organisation.pk).scalar("pk")]
            + [("card", pk) for pk in MemberCard.objects(org_path=organisation.pk, year=year).scalar("pk")])


RENDERERS = {
    "plaque": (ModelPost, lambda p: (f"示范岗标牌/{p.organisation.code}_{p.title}_{p.pk}.pdf", plaque_pdf(p))),
    "zone": (ResponsibilityZone, lambda z: (f"责任标牌/{z.organisation.code}_{z.name}_{z.pk}.pdf", zone_board_pdf(z))),
    "awards": (Organisation, lambda o, year: (f"示范岗标牌/{o.code}_{year}_星级党员示范岗授牌名单.pdf",
                                              award_list_pdf(o, year))),
    "card": (MemberCard, lambda c: (f"创建卡/{c.organisation.code}_{c.member.name}_{c.year}_{c.pk}.pdf", cards_pdf(c))),
}


def render_task(task):
    """(name in the zip, bytes) of one plaque, award list, zone board or set of cards."""
    document, render_one = RENDERERS[task[0]]
    return render_one(document.objects(pk=task[1]).order_by().first(), *task[2:])
