"""Console pages: menus (to be written)."""

urlpatterns: list = []
