"""The bundled telephony side's own tables: what a Restcomm server would hold for the portal.

They are keyed by the portal's SIDs rather than foreign keys, so the provisioning backend stays a
boundary: the `restcomm` backend keeps the same facts on a remote server instead.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from autoattendant.choices import CallOutcome


class TelephonyAccount(models.Model):
    """The telephony account of an enterprise (a Restcomm sub-account)."""

    enterprise_sid = models.CharField(max_length=40, unique=True)
    organisation_sid = models.CharField(max_length=40, db_index=True)
    friendly_name = models.CharField(max_length=200)
    date_created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.friendly_name


class NumberRoute(models.Model):
    """An AA number's routing: which AA system answers calls to it. A number routes to one place."""

    number = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(TelephonyAccount, on_delete=models.CASCADE, related_name="routes")
    phone_number_sid = models.CharField(max_length=40, unique=True)
    aa_system_sid = models.CharField(max_length=40, blank=True, db_index=True)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.number


class SipClient(models.Model):
    """SIP credentials of a `client` extension, checked by the executor's registrar.

    The password is kept usable (as Restcomm keeps its clients' passwords): digest authentication
    with "any domain accepted" needs it to compute HA1 for whatever realm the phone uses.
    """

    login = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(TelephonyAccount, on_delete=models.CASCADE, related_name="clients")
    phone_number_sid = models.CharField(max_length=40, unique=True)
    password = models.CharField(max_length=128)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.login


class PublishedRcml(models.Model):
    """One published version of an AA system's compiled call flow (see telephony.rcml).

    Versions are immutable: a new compile writes a new row, and the executor's endpoints serve the
    newest one (cached in Redis); a failed compile writes nothing.
    """

    aa_system_sid = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    plan = models.JSONField(help_text="The compiled documents and the tables that route keys and schedules.")
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("aa_system_sid", "version", name="published_rcml_version_unique"),
        ]
        indexes = [models.Index(fields=["aa_system_sid", "-version"], name="published_rcml_newest")]

    def __str__(self) -> str:
        return f"{self.aa_system_sid} v{self.version}"


class VoicemailMessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The messages of the AA systems the user sees (tenant scope of autoattendant)."""
        from autoattendant.models import AutoAttendantSystem

        return self.filter(aa_system_sid__in=AutoAttendantSystem.objects.visible_to(user).values("sid"))


class VoicemailMessage(models.Model):
    """A message a caller left: for an extension's mailbox, or the AA system's general one."""

    sid = models.CharField(max_length=40, unique=True, editable=False)
    aa_system_sid = models.CharField(max_length=40, db_index=True)
    extension_sid = models.CharField(max_length=40, blank=True, db_index=True, help_text="Empty: the general box.")
    call_sid = models.CharField(max_length=64, blank=True)
    caller = models.CharField(max_length=128, blank=True)
    recording_url = models.CharField(max_length=500)
    duration_seconds = models.PositiveIntegerField(default=0)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = VoicemailMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-date_created", "-id"]

    def __str__(self) -> str:
        return f"{self.caller} -> {self.extension_sid or self.aa_system_sid}"

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            from autoattendant.sids import VOICEMAIL, new_sid

            self.sid = new_sid(VOICEMAIL)
        super().save(*args, **kwargs)


class CallRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A CSP admin sees its organisation's calls, an enterprise admin its enterprise's, an AA admin
        those of the AA systems assigned to it. A call to a number in no AA system (no enterprise) is
        nobody's: only the executor that reported it knew it."""
        from autoattendant.choices import Role
        from autoattendant.models import AutoAttendantSystem, Enterprise

        role = getattr(user, "role", None)
        if user is None or not user.is_authenticated or role not in Role.values:
            return self.none()
        if role == Role.AA_ADMIN:
            return self.filter(aa_system_sid__in=AutoAttendantSystem.objects.visible_to(user).values("sid"))
        # Through the enterprise rather than the system: the calls of a deleted AA system stay listed.
        return self.filter(enterprise_sid__in=Enterprise.objects.visible_to(user).values("sid"))


class CallRecord(models.Model):
    """A call the executor handled (a CDR), posted once it ended; keyed by the SIP Call-ID, so a
    retried post updates the same row."""

    sid = models.CharField(max_length=40, unique=True, editable=False)
    call_sid = models.CharField(max_length=255, unique=True, help_text="The SIP Call-ID.")
    from_number = models.CharField(max_length=255, blank=True)
    to_number = models.CharField(max_length=255, blank=True)
    aa_system_sid = models.CharField(max_length=40, blank=True, help_text="Empty: a number in no AA system.")
    enterprise_sid = models.CharField(max_length=40, blank=True, help_text="The AA system's, when the call arrived.")
    menu_path = models.JSONField(default=list, blank=True, help_text="The menus the caller walked, in order.")
    keys = models.JSONField(default=list, blank=True, help_text="Each entry the caller made, in order.")
    outcome = models.CharField(max_length=16, choices=CallOutcome.choices)
    dial_status = models.CharField(max_length=32, blank=True)
    transfer_target = models.CharField(max_length=255, blank=True)
    start_time = models.DateTimeField()
    answer_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0, help_text="From answer to end; 0 if never answered.")
    executor = models.CharField(max_length=255, blank=True, help_text="Host name of the executor that ran it.")
    hangup_cause = models.CharField(max_length=500, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    objects = CallRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-start_time", "-id"]
        indexes = [
            # Tenant scope first, newest first: every list (the default sort is startTime:desc).
            models.Index(fields=["enterprise_sid", "-start_time"], name="call_record_enterprise_start"),
            models.Index(fields=["aa_system_sid", "-start_time"], name="call_record_system_start"),
            models.Index(fields=["outcome", "-start_time"], name="call_record_outcome_start"),
            models.Index(fields=["-start_time"], name="call_record_start"),
            # `number`, `from` and `to` match substrings.
            GinIndex(fields=["from_number"], name="call_record_from_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["to_number"], name="call_record_to_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.from_number} -> {self.to_number} ({self.outcome})"

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            from autoattendant.sids import CALL_RECORD, new_sid

            self.sid = new_sid(CALL_RECORD)
        super().save(*args, **kwargs)
