"""Read a rendered HTML form back into the data a browser would submit."""
from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea, self._text = [], None, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "y")))
            else:
                self.data.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_data(html):
    """[(name, value)] of every successful control in the page's forms, in document order."""
    reader = _FormReader()
    reader.feed(html)
    return reader.data


def as_multidict(pairs):
    from werkzeug.datastructures import MultiDict
    return MultiDict(pairs)
