"""Search terms (a NIK, a name, a phone) never travel in a URL (UU PDP; issue 11 point 7).

A search page's form posts its terms (with CSRF). The view keeps them in the server-side session
under a random key and the page's address becomes `?s=<key>&hal=<page>`: paging links, the back
button and HTMX's pushed history work on that key, and the terms reach neither the access log,
the browser history nor a Referer header. A key is only good in the session that made it, and a
session keeps its last `KEEP` searches.
"""

import secrets

from django.http import QueryDict

SESSION_KEY = "search_terms"
KEEP = 20
MAX_VALUE = 200  # longer than any search field allows; the form refuses what is longer anyway
KEY_PARAM = "s"


def stash(request, data, fields) -> str:
    """Keep `fields` of `data` (a QueryDict) in the session; returns the key for the page's URL."""
    terms = {f: [v[:MAX_VALUE] for v in data.getlist(f)][:10] for f in fields if data.getlist(f)}
    stored = request.session.get(SESSION_KEY, {})
    for key, value in stored.items():  # the same search again reuses its key (live search typing)
        if value == terms:
            return key
    key = secrets.token_urlsafe(9)
    stored[key] = terms
    request.session[SESSION_KEY] = dict(list(stored.items())[-KEEP:])
    return key


def recall(request) -> QueryDict | None:
    """The terms of `?s=<key>` as a QueryDict, or None when the key is missing or unknown here."""
    key = request.GET.get(KEY_PARAM, "")
    terms = request.session.get(SESSION_KEY, {}).get(key) if key else None
    if terms is None:
        return None
    data = QueryDict(mutable=True)
    for field, values in terms.items():
        data.setlist(field, values)
    return data


def has_terms(data, fields) -> bool:
    return any(v.strip() for f in fields for v in data.getlist(f))


MAX_PAGE = 400


def _page(raw) -> int:
    try:
        return max(1, min(int(raw or "1"), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


class Search:
    """What a search page's request asks for: `data` to bind the form to (None: no search yet),
    `page`, the `key` for paging links, or `redirect` to answer with instead of a page."""

    def __init__(self, request, fields, base_url: str, *, results_target: str = "", get_fields=()):
        """`fields[0]` is the text term; `get_fields` are filters that are not personal (status,
        region) and may also come in the URL, over the kept terms (e.g. a status link)."""
        from django.shortcuts import redirect

        self.data, self.key, self.redirect, self.push_url = None, "", None, ""
        posted = request.method == "POST"
        source = request.POST if posted else request.GET
        self.page = _page(source.get("hal"))
        if posted or has_terms(request.GET, fields[:1]):
            # Terms arrive by POST (or by an old-style `?q=` link): keep them, answer on the key.
            self.key = stash(request, source, fields)
            url = f"{base_url}?{KEY_PARAM}={self.key}" + (f"&hal={self.page}" if self.page > 1 else "")
            htmx_post = posted and results_target and request.headers.get("HX-Request") == "true" and (
                request.headers.get("HX-Target") == results_target
            )
            if not htmx_post:
                # Post/Redirect/Get: the address bar, history and back button hold the key only.
                self.redirect = redirect(url, permanent=False)
                self.redirect.status_code = 303
                return
            self.data, self.push_url = source, url
        else:
            self.data = recall(request)
            if self.data is not None:
                self.key = request.GET.get(KEY_PARAM, "")
            overrides = [f for f in get_fields if f in request.GET]
            if overrides:
                self.data = self.data or QueryDict(mutable=True)
                for f in overrides:
                    self.data.setlist(f, request.GET.getlist(f))

    def finish(self, response):
        if self.push_url:
            response["HX-Push-Url"] = self.push_url  # HTMX history gets the key, not the POST body
        return response
