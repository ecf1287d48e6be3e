"""The grocery itself: project wiring (settings, urls, Celery) and the counter."""
from .celery import app as celery_app

__all__ = ["celery_app"]
__version__ = "0.1.0"
