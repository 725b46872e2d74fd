"""The bundled telephony side's own tables: what a Restcomm server would hold for the portal.

They are keyed by the portal's SIDs rather than foreign keys, so the provisioning backend stays a
boundary: the `restcomm` backend keeps the same facts on a remote server instead.
"""

import secrets
import uuid

from django.db import models


def _sid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex}"


def new_auth_token() -> str:
    """A Restcomm AuthToken: 32 hex characters, as the reference's examples show."""
    return secrets.token_hex(16)


class AccountStatus(models.TextChoices):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class TelephonyAccount(models.Model):
    """A Restcomm account: one per CSP (its organisation) and one per enterprise, as the provisioning
    backend creates them, and any sub-account created through the Restcomm API.

    It is what signs in to the Restcomm API (`Sid` or `EmailAddress` with `AuthToken`); an account sees
    itself and the accounts below it. The AuthToken is shown in the account's representation, as
    Restcomm shows it, so it is kept usable; a new Password makes a new AuthToken (random, not derived
    from the password) and the password itself is kept only as a hash.
    """

    SID_PREFIX = "AC"

    sid = models.CharField(max_length=40, unique=True, editable=False)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    enterprise_sid = models.CharField(max_length=40, null=True, blank=True, unique=True)  # noqa: DJ001
    organisation_sid = models.CharField(max_length=40, blank=True, db_index=True)
    email_address = models.CharField(max_length=254, null=True, blank=True, unique=True)  # noqa: DJ001
    friendly_name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    role = models.CharField(max_length=64, default="Developer")
    auth_token = models.CharField(max_length=64, default=new_auth_token)
    password = models.CharField(max_length=128, blank=True, help_text="Django's hash of the account's password.")
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One CSP account per organisation (the one with no enterprise and no parent).
            models.UniqueConstraint(
                "organisation_sid",
                condition=models.Q(enterprise_sid__isnull=True, parent__isnull=True) & ~models.Q(organisation_sid=""),
                name="telephony_account_one_per_csp",
            ),
        ]

    def __str__(self) -> str:
        return self.friendly_name

    # Signed in to the Restcomm API, an account is the request's principal, as a user is elsewhere.
    is_authenticated = True
    is_anonymous = False

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = _sid(self.SID_PREFIX)
        super().save(*args, **kwargs)

    def standing(self) -> str:
        """The status its calls feel: closed or suspended when it or an account above it is."""
        worst = AccountStatus.ACTIVE
        seen: set[int] = set()
        current: TelephonyAccount | None = self
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            if current.status == AccountStatus.CLOSED:
                return AccountStatus.CLOSED
            if current.status == AccountStatus.SUSPENDED:
                worst = AccountStatus.SUSPENDED
            current = current.parent
        return worst


class VoiceApplication(models.Model):
    """Where a call to a number or from a client is sent, as Restcomm keeps it (VoiceUrl and its kin)."""

    voice_url = models.CharField(max_length=1000, blank=True)
    voice_method = models.CharField(max_length=4, default="POST")
    voice_fallback_url = models.CharField(max_length=1000, blank=True)
    voice_fallback_method = models.CharField(max_length=4, default="POST")
    status_callback = models.CharField(max_length=1000, blank=True)
    status_callback_method = models.CharField(max_length=4, default="POST")
    api_version = models.CharField(max_length=16, default="2012-04-24")

    class Meta:
        abstract = True


class NumberRoute(VoiceApplication):
    """A number (a Restcomm IncomingPhoneNumber) and where its calls go. A number routes to one place.

    An AA number (`phone_number_sid`, provisioned by the bundled backend) routes to its AA system and
    its VoiceUrl is the AA entry; any other number routes to the RCML application at its VoiceUrl.
    """

    SID_PREFIX = "PN"

    sid = models.CharField(max_length=40, unique=True, editable=False)
    number = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(TelephonyAccount, on_delete=models.CASCADE, related_name="routes")
    phone_number_sid = models.CharField(max_length=40, null=True, blank=True, unique=True)  # noqa: DJ001
    aa_system_sid = models.CharField(max_length=40, blank=True, db_index=True)
    friendly_name = models.CharField(max_length=200, blank=True)
    voice_caller_id_lookup = models.BooleanField(default=False)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = _sid(self.SID_PREFIX)
        super().save(*args, **kwargs)


class SipClient(VoiceApplication):
    """A SIP client (a Restcomm Client): credentials checked by the SIP edge's registrar (the view
    `sip_edge_subscriber` reads them). A `client` extension's has its `phone_number_sid`; one
    created through the Restcomm API on an account of no enterprise has none.

    The password is kept usable (as Restcomm keeps its clients' passwords): digest authentication
    with "any domain accepted" needs it to compute HA1 for whatever realm the phone uses.
    """

    SID_PREFIX = "CL"

    sid = models.CharField(max_length=40, unique=True, editable=False)
    login = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(TelephonyAccount, on_delete=models.CASCADE, related_name="clients")
    phone_number_sid = models.CharField(max_length=40, null=True, blank=True, unique=True)  # noqa: DJ001
    password = models.CharField(max_length=128)
    friendly_name = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True, help_text="Restcomm's Status: 1 enabled, 0 disabled.")
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.login

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = _sid(self.SID_PREFIX)
        super().save(*args, **kwargs)


class Gateway(models.Model):
    """A SIP trunk (Restcomm's Management/Gateways): calls to numbers go out through it, and the SIP
    edge registers with it when `register` is set."""

    SID_PREFIX = "GW"

    sid = models.CharField(max_length=40, unique=True, editable=False)
    account = models.ForeignKey(TelephonyAccount, on_delete=models.CASCADE, related_name="gateways")
    friendly_name = models.CharField(max_length=200, blank=True)
    user_name = models.CharField(max_length=128, blank=True)
    password = models.CharField(max_length=128, blank=True)
    proxy = models.CharField(max_length=255)
    register = models.BooleanField(default=False)
    ttl = models.PositiveIntegerField(default=3600)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.friendly_name or self.proxy

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = _sid(self.SID_PREFIX)
        super().save(*args, **kwargs)


class ActiveOutboundProxy(models.Model):
    """Which outbound proxy number calls with no gateway take: SIP_OUTBOUND_PROXY, or its
    SIP_OUTBOUND_PROXY_FALLBACK once switched (Restcomm's OutboundProxy/switchProxy). One row, kept
    here so every edge reads the same choice and a restart keeps it."""

    fallback = models.BooleanField(default=False)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "fallback" if self.fallback else "primary"


class Recording(models.Model):
    """A recording a call made (`Record`, voicemail), stored as `autoattendant.recordings` names it;
    the Restcomm API lists them per account."""

    sid = models.CharField(max_length=40, unique=True)  # the stored file's SID (RE…)
    account_sid = models.CharField(max_length=40, blank=True, db_index=True)
    call_sid = models.CharField(max_length=64, blank=True, db_index=True)
    duration = models.FloatField(default=0)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.sid


class Notification(models.Model):
    """An error or warning met while handling a call (a document that could not be fetched or did not
    parse), as Restcomm's Notifications resource lists them."""

    SID_PREFIX = "NO"
    ERROR, WARNING = 0, 1

    sid = models.CharField(max_length=40, unique=True, editable=False)
    account_sid = models.CharField(max_length=40, blank=True, db_index=True)
    call_sid = models.CharField(max_length=64, blank=True, db_index=True)
    api_version = models.CharField(max_length=16, default="2012-04-24")
    log = models.PositiveSmallIntegerField(default=ERROR)
    error_code = models.PositiveIntegerField(default=0)
    more_info = models.CharField(max_length=500, blank=True)
    message_text = models.TextField(blank=True)
    message_date = models.DateTimeField()
    request_url = models.CharField(max_length=1000, blank=True)
    request_method = models.CharField(max_length=8, blank=True)
    request_variables = models.TextField(blank=True)
    response_headers = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.error_code} {self.message_text[:40]}"

    def save(self, *args, **kwargs) -> None:
        if not self.sid:
            self.sid = _sid(self.SID_PREFIX)
        super().save(*args, **kwargs)


class RestcommLink(models.Model):
    """What the `restcomm` provisioning backend created on the remote Restcomm server for a portal
    object (an enterprise's account, an AA number, a client extension): the remote SID, and for an
    account its AuthToken. The re-sync command compares and repairs with these."""

    ACCOUNT, NUMBER, CLIENT = "account", "number", "client"
    KINDS = [(ACCOUNT, "account"), (NUMBER, "number"), (CLIENT, "client")]

    kind = models.CharField(max_length=16, choices=KINDS)
    portal_sid = models.CharField(max_length=40)
    remote_sid = models.CharField(max_length=40)
    remote_account_sid = models.CharField(max_length=40, blank=True)
    auth_token = models.CharField(max_length=64, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint("kind", "portal_sid", name="restcomm_link_one_per_object")]

    def __str__(self) -> str:
        return f"{self.kind} {self.portal_sid} -> {self.remote_sid}"


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
