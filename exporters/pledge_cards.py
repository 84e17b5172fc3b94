"""承诺卡 (亮诺): a card per member and year, badge or A6 size, whose QR code opens the pledge's public page."""
from pathlib import Path

from documents import jobs
from documents.board import members_published
from documents.organisation import Organisation
from exporters.archive import job_key
from exporters.pdf import qr_data_uri, render

# Page, type and how much of the pledge fits: a 54 × 86 mm badge worn on a lanyard, or an A6 card for a desk.
SIZES = {
    "badge": {"title": "胸卡", "width": "54mm", "height": "86mm", "margin": "3mm", "items": 3, "chars": 15,
              "qr": 84, "name": 17, "body": 8},
    "a6": {"title": "A6 卡片", "width": "105mm", "height": "148mm", "margin": "7mm", "items": 6, "chars": 30,
           "qr": 150, "name": 28, "body": 11.5},
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
    return render("pledge_card.html", cards=[card(p, m, organisation, base_url, size) for p, m in rows], size=SIZES[size])


def start_cards_job(organisation, year, size, base_url, user, key, job_dir):
    """Start printing a branch's cards (a second or so per few cards); the same form clicked twice finds the same job."""
    key = job_key(key)
    path = Path(job_dir) / f"cards_{organisation.pk}_{year}_{size}_{key}.pdf"
    return jobs.start(f"cards:{organisation.pk}:{year}:{size}:{key}", "cards", user.pk, organisation.pk, {
        "organisation": str(organisation.pk), "year": year, "size": size, "base_url": base_url, "path": str(path),
        "filename": f"{organisation.code}_{year}_承诺卡_{SIZES[size]['title']}.pdf"})


def run_cards_job(job, report):
    """Render the cards of a job into its file, written under a temporary name and then moved into place."""
    organisation = Organisation.objects(pk=job.params["organisation"]).order_by().first()
    rows = members_published(organisation, job.params["year"])
    report(done=0, total=len(rows), message="正在生成承诺卡")
    data = cards_pdf(rows, organisation, job.params["base_url"], job.params["size"])
    path = Path(job.params["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".part").write_bytes(data)
    path.with_suffix(".part").replace(path)
    report(done=len(rows))
    return {"path": str(path), "cards": len(rows), "size": path.stat().st_size, "filename": job.params["filename"],
            "mimetype": "application/pdf"}
