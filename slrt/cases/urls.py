from django.urls import include, path

from . import views

app_name = "cases"
urlpatterns: list = [
    path("", views.case_list, name="list"),
    path("baru/", views.intake_search, name="intake"),
    path("baru/catat/", views.intake_create, name="intake_create"),
    path("baru/baris-kebutuhan/", views.need_row, name="need_row"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/tercatat/", views.created, name="created"),
    path("<int:pk>/tanda-terima.pdf", views.receipt, name="receipt"),
    path("<int:pk>/cetak-ulang/", views.reprint, name="reprint"),
    path("<int:pk>/ubah/", views.case_edit, name="edit"),
    path("<int:pk>/kebutuhan/", views.need_add, name="need_add"),
    path("<int:pk>/kebutuhan/<int:need_pk>/ubah/", views.need_edit, name="need_edit"),
    path("<int:pk>/kebutuhan/<int:need_pk>/status/", views.need_status, name="need_status"),
    path("<int:pk>/tindak-lanjut/", views.task_add, name="task_add"),
    path("<int:pk>/tindak-lanjut/<int:task_pk>/selesai/", views.task_done, name="task_done"),
    path("<int:pk>/tutup/", views.close, name="close"),
    path("<int:pk>/buka-kembali/", views.reopen, name="reopen"),
    path("", include("slrt.cases.decision_urls")),
]
