"""The bundled telephony side's own tables: what a Restcomm server would hold for the portal.

They are keyed by the portal's SIDs rather than foreign keys, so the provisioning backend stays a
boundary: the `restcomm` backend keeps the same facts on a remote server instead.
"""

from django.db import models


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
