"""Pages of the stock area."""

urlpatterns: list = []
