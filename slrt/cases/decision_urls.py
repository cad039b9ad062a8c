"""URLs of decisions (recommendations, four-eyes approval, letters); part of the `cases` namespace."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
