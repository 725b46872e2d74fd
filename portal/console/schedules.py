"""Console pages: schedules (to be written)."""

urlpatterns: list = []
