"""承诺卡 (亮诺): a card per member and year, badge or A6 size, whose QR code opens the pledge's public page."""
from exporters.pdf import qr_data_uri, render

# Page, type and how much of the pledge fits: a 54 × 86 mm badge worn on a lanyard, or an A6 card for a desk.
SIZES = {
    "badge": {"title": "胸卡", "width": "54mm", "height": "86mm", "margin": "3mm", "items": 3, "chars": 16,
              "qr": 62, "name": 15, "body": 7.5},
    "a6": {"title": "A6 卡片", "width": "105mm", "height": "148mm", "margin": "7mm", "items": 6, "chars": 34,
           "qr": 96, "name": 22, "body": 10},
}
# The template field holding the one-line motto: `motto` (一句话承诺) where an administrator added it, else the
# member's stated duty, which every member template asks for.
MOTTO_FIELDS = ("motto", "post_duty")


def pledge_url(base_url, organisation, pledge):
    """The public page of one published pledge, under the board of the organisation that made it."""
    return f"{base_url.rstrip('/')}/board/{organisation.code}/pledge/{pledge.pk}"


def _short(text, limit):
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def card(pledge, member, organisation, base_url, size):
    """What one card prints: never the ID number or phone, only what the board shows."""
    spec = SIZES[size]
    motto = next((pledge.values.get(key) for key in MOTTO_FIELDS if pledge.values.get(key)), "")
    url = pledge_url(base_url, organisation, pledge)
    return {"name": member.name, "post": member.post or "", "motto": _short(motto, spec["chars"] * 2),
            "organisation": organisation.name, "year": pledge.year, "url": url, "qr": qr_data_uri(url),
            "items": [_short(item.content, spec["chars"]) for item in pledge.items[:spec["items"]]],
            "more": max(0, len(pledge.items) - spec["items"])}


def cards_pdf(rows, organisation, base_url, size):
    """One card a page for each (pledge, member) of the organisation, in the order given."""
    return render("card.html", cards=[card(p, m, organisation, base_url, size) for p, m in rows], size=SIZES[size])
