"""OpenRosa 1.0 for ODK Collect, at the server root as SPEC fixes it."""

app_name = "openrosa"
urlpatterns: list = []
