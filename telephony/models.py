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
    """SIP credentials of a `client` extension, checked by the SIP edge's registrar (the view
    `sip_edge_subscriber` reads them).

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


class Registration(models.Model):
    """A phone's binding, as the SIP edge's registrar (Kamailio usrloc, DB-only mode) keeps it.

    Kamailio owns the table: the portal only reads it (registration status) and deletes rows (an
    extension's registrations dropped), never writes one. Its columns are Kamailio's `location` schema.
    """

    id = models.AutoField(primary_key=True)
    ruid = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=64)
    domain = models.CharField(max_length=64, null=True)  # noqa: DJ001 (Kamailio's schema)
    contact = models.CharField(max_length=512)
    received = models.CharField(max_length=128, null=True)  # noqa: DJ001
    path = models.CharField(max_length=512, null=True)  # noqa: DJ001
    expires = models.DateTimeField()
    q = models.FloatField()
    callid = models.CharField(max_length=255)
    cseq = models.IntegerField()
    last_modified = models.DateTimeField()
    flags = models.IntegerField()
    cflags = models.IntegerField()
    user_agent = models.CharField(max_length=255)
    socket = models.CharField(max_length=64, null=True)  # noqa: DJ001
    methods = models.IntegerField(null=True)
    instance = models.CharField(max_length=255, null=True)  # noqa: DJ001
    reg_id = models.IntegerField()
    server_id = models.IntegerField()
    connection_id = models.IntegerField()
    keepalive = models.IntegerField()
    partition = models.IntegerField()

    class Meta:
        managed = False
        db_table = "sip_edge_location"

    def __str__(self) -> str:
        return f"{self.username} at {self.contact}"


class ExecutorNode(models.Model):
    """An executor the SIP edge dispatches calls to (Kamailio dispatcher's table, set 1).

    `destination` is its SIP URI; `attrs` carries Kamailio's dispatcher attributes (its maximum of
    calls, `maxload`, and its weight). Added and removed by `manage.py executors`.
    """

    id = models.AutoField(primary_key=True)
    setid = models.IntegerField(default=1)
    destination = models.CharField(max_length=192)
    flags = models.IntegerField(default=0)
    priority = models.IntegerField(default=0)
    attrs = models.CharField(max_length=128, default="")
    description = models.CharField(max_length=64, default="")

    class Meta:
        managed = False
        db_table = "sip_edge_dispatcher"

    def __str__(self) -> str:
        return self.destination
