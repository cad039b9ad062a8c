app_name = "audit_log"
urlpatterns: list = []
