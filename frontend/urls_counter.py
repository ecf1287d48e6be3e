"""Pages of the counter area."""

urlpatterns: list = []
