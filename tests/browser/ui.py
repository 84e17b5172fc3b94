"""What a user does with the widgets of our pages: log in, pick from a select2 box, keep a download."""
from pathlib import Path

from seed import demo


def log_in(page, username, password=demo.DEMO_PASSWORD):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def choose(page, field_id, typed, pick=None):
    """Open the select2 box of field `field_id`, type `typed` into its search and click the match containing `pick`."""
    page.locator(f"#s2id_{field_id} .select2-choice").click()
    drop = page.locator(".select2-drop-active")
    drop.locator("input.select2-input").fill(typed)
    drop.locator(".select2-result-label", has_text=pick or typed).first.click()


def download(page, click):
    """Run `click`, which should start a download; return the file, saved under the name the server suggested."""
    with page.expect_download() as info:
        click()
    done = info.value
    path = Path(done.path()).with_name(done.suggested_filename)
    done.save_as(path)
    return path, done.suggested_filename
