"""The Restcomm REST API (reference 001), served by the bundled platform.

`base` holds what every resource shares (accounts signing in, JSON/XML, paging, errors); each
resource is a module of its own with its `urlpatterns`, gathered by `urls`.
"""
