from __future__ import annotations

from django.db import models

from autoattendant.models.base import TenantQuerySet


class NumberImportQuerySet(TenantQuerySet):
    csp_admins_only = True


class NumberImport(models.Model):
    """A CSV of phone numbers and extensions being created, row by row, by a Celery task.

    `rows` holds the parsed rows; `done` is how many have been tried (each row's create and the
    progress commit together, so a worker that dies mid-import resumes exactly where it stopped).
    `failures`: `[{"row", "number", "code", "message"}]`, `row` being the line in the file.
    """

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Waiting for a worker"
        RUNNING = "RUNNING", "Importing"
        DONE = "DONE", "Done"
        FAILED = "FAILED", "Stopped"

    organisation = models.ForeignKey("autoattendant.Organisation", on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey("autoattendant.Enterprise", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey("autoattendant.User", null=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    rows = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list)
    error = models.TextField(blank=True)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    objects = NumberImportQuerySet.as_manager()

    class Meta:
        ordering = ["-date_created", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name or 'a CSV'}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100
