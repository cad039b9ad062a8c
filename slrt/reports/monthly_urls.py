app_name = "monthly_reports"
urlpatterns: list = []
