"""Language choice: Bahasa Indonesia unless the user picked another language in the switcher."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Like Django's LocaleMiddleware, but ignores the browser's Accept-Language header.

    Office PCs and tablets in Indonesia often run an English system; the desk should still get
    Indonesian until someone switches (the switcher sets the language cookie).
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        available = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RejectNulMiddleware:
    """Refuse input carrying NUL characters before any view sees it.

    PostgreSQL text cannot hold NUL (0x00): such a value would fail deep in a write with a 500.
    Django's form fields already refuse it, but API bodies, query filters and views that read
    `request.POST` directly do not, so the check is made once here for every request.
    Multipart bodies are checked field by field once the view is known (files are not read; CSRF
    parses them anyway), except for views marked `reads_own_body` (`core.http`): ODK Collect's
    /submission must not be parsed before authentication and its size check, and checks its
    instance itself.
    """

    MARKERS = (b"\x00", b"%00", b"\\u0000")
    BODY_TYPES = ("application/json", "application/x-www-form-urlencoded")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    def _has_nul(self, request) -> bool:
        query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace").lower()
        if any(marker in query for marker in self.MARKERS) or "\x00" in request.path:
            return True
        if request.content_type in self.BODY_TYPES:
            body = request.body.lower()
            return any(marker in body for marker in self.MARKERS)
        return False

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.content_type != "multipart/form-data" or getattr(view_func, "reads_own_body", False):
            return None
        if any("\x00" in value for values in request.POST.lists() for value in values[1]):
            return self._refuse(request)
        return None

    def _refuse(self, request):
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

        message = _("Masukan berisi karakter NUL yang tidak diizinkan; hapus karakter itu lalu kirim lagi.")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "invalid_characters", "detail": message}, status=422)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer the application itself makes.

    Pages of signed-in staff, every API answer, PDFs and exports carry personal data: neither
    the browser (a shared office PC, its back button) nor any proxy on the way may keep a copy.
    Static files never reach this middleware (whitenoise answers above it, with its own long
    max-age). A view that really serves something public and cacheable says so explicitly with
    `Cache-Control: public, …`; that is left as it is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        current = response.get("Cache-Control", "")
        if "public" in current.lower():
            return response
        if "no-store" not in current.lower():
            from django.utils.cache import patch_cache_control

            patch_cache_control(response, no_store=True)
        return response
