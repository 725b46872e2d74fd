"""Console pages: testcall (to be written)."""

urlpatterns: list = []
