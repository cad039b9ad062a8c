from django.urls import path

from . import views

app_name = "referrals"
urlpatterns: list = [
    path("", views.referral_list, name="list"),
    path("masuk/", views.inbox, name="inbox"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/aksi/", views.referral_transition, name="transition"),
    path("draf/kasus/<int:case_pk>/", views.referral_draft, name="draft"),
    path("kasus/<int:case_pk>/tarik-persetujuan/", views.consent_withdraw, name="consent_withdraw"),
]
