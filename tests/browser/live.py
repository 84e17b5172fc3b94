"""Serve an app on a free loopback port in a thread, and launch Debian's Chromium, for browser tests and screenshots."""
import contextlib
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

# Debian's build of the headless shell Playwright itself runs headless: the full browser in headless mode took 2.5 times
# its CPU for the same pages (browser tests, 4 files: 31 s against 12 s).
CHROMIUM = "/usr/bin/chromium-headless-shell"
# Without the background-networking flags Chromium's own calls home are refused by this closed network and slow it down.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 375, "height": 667}


class _QuietHandler(WSGIRequestHandler):
    """Keep one log line per static file out of the failure reports."""

    def log_request(self, *args, **kwargs):
        pass


@contextlib.contextmanager
def serving(app):
    """Yield the base URL of `app` served by a threaded werkzeug server on 127.0.0.1; stop it on exit."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def launch(playwright):
    """Debian's headless Chromium: `playwright install` downloads a browser of its own, which fails here."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
