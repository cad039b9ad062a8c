from django.http import JsonResponse
from django.utils.translation import gettext as _


class RegionSafeViewMiddleware:
    """Refuse to serve any view that has not declared itself region-safe (see scoping.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "region_safe", False):
            return None
        return JsonResponse(
            {"code": "view_not_region_safe", "detail": _("Halaman ini belum dinyatakan aman-wilayah.")},
            status=403,
        )
