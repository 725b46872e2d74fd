from django.db import models

from autoattendant import sids
from autoattendant.models.base import SidModel


class Organisation(SidModel):
    """A communication service provider: the top tenant."""

    SID_PREFIX = sids.ORGANISATION

    name = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["date_created", "id"]
