"""URLs of decisions (recommendations, four-eyes approval, letters); part of the `cases` namespace.

The public verification page of a letter (`/v/<token>`) is mounted at the root in `slrt.urls`.
"""

from django.urls import path

from . import decision_views

urlpatterns: list = [
    path("kasus/<int:case_pk>/rekomendasi/", decision_views.recommendation_draft, name="recommendation_draft"),
    path("rekomendasi/<int:pk>/putuskan/", decision_views.recommendation_decide, name="recommendation_decide"),
    path("surat/<int:pk>/pdf/", decision_views.letter_pdf, name="letter_pdf"),
]
