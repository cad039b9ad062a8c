"""A URLconf with one view that never declared itself region-safe."""

from django.http import HttpResponse
from django.urls import include, path

from slrt.accounts.scoping import region_safe


def undeclared(request):
    return HttpResponse("should never be served")


@region_safe
def declared(request):
    return HttpResponse("ok")


urlpatterns = [
    path("undeclared/", undeclared),
    path("declared/", declared),
    path("", include("slrt.urls")),
]
