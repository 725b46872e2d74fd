"""Request and response shapes of the /autoattendant resources, field for field as the reference has them.

Input serializers only translate (camelCase names, strings to numbers, the wire's types and sizes);
the rules, a field's format too (`autoattendant.services.field_rules`), are in `autoattendant.services`.
Output serializers read the models, annotated by the viewsets.
"""

from __future__ import annotations

from rest_framework import serializers

from autoattendant.api.fields import ActionField, RoleField, SidList, Timestamp
from autoattendant.choices import ExtensionType, SystemStatus, UserStatus


class ResourceSerializer(serializers.Serializer):
    """sid, dateUpdated, dateCreated, accountEmail and uri: what every resource starts with."""

    uri_base = ""

    sid = serializers.CharField(read_only=True)
    dateUpdated = Timestamp(source="date_updated")
    dateCreated = Timestamp(source="date_created")
    accountEmail = serializers.CharField(source="account_email", read_only=True)
    uri = serializers.SerializerMethodField()

    def get_uri(self, obj) -> str:
        return f"{self.uri_base}{obj.sid}"


# Enterprise


class EnterpriseSerializer(ResourceSerializer):
    uri_base = "/autoattendant/enterprise/search/"

    name = serializers.CharField()
    aaSystemCount = serializers.SerializerMethodField()
    enterpriseAdminEmail = serializers.SerializerMethodField()
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False)

    def to_representation(self, obj):
        # The reference's data has exactly its eight fields; the optional From number shows only when set.
        data = super().to_representation(obj)
        if not data.get("extFromPhoneNumber"):
            data.pop("extFromPhoneNumber", None)
        return data

    def get_aaSystemCount(self, obj) -> int:
        count = getattr(obj, "aa_system_count", None)
        if count is None:
            count = obj.aa_systems.count() if obj.pk else 0
        return count

    def get_enterpriseAdminEmail(self, obj) -> str | None:
        return obj.admin.email_id if obj.admin_id else None


class EnterpriseAdminInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emailId = serializers.EmailField(source="email_id", max_length=254)
    password = serializers.CharField(trim_whitespace=False)
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)


class EnterpriseAdminUpdate(EnterpriseAdminInput):
    emailId = serializers.EmailField(source="email_id", max_length=254, required=False)
    password = serializers.CharField(trim_whitespace=False, required=False)


class EnterpriseCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    enterpriseAdmin = EnterpriseAdminInput(source="admin")
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False, allow_blank=True)

    @staticmethod
    def echo(data):
        """The envelope echoes the request with the admin's default status filled in."""
        if isinstance(data, dict) and isinstance(data.get("enterpriseAdmin"), dict):
            data = {**data, "enterpriseAdmin": {"status": UserStatus.ACTIVE.value, **data["enterpriseAdmin"]}}
        return data


class EnterpriseUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    enterpriseAdmin = EnterpriseAdminUpdate(source="admin", required=False)
    extFromPhoneNumber = serializers.CharField(source="ext_from_phone_number", required=False, allow_blank=True)


# User


class UserSerializer(ResourceSerializer):
    uri_base = "/autoattendant/user/search/"

    emailId = serializers.CharField(source="email_id")
    status = serializers.CharField()
    role = serializers.CharField()
    name = serializers.CharField()
    enterpriseSid = serializers.SerializerMethodField()
    autoAttendantSids = serializers.SerializerMethodField()

    def get_enterpriseSid(self, obj) -> str | None:
        return obj.enterprise.sid if obj.enterprise_id else None

    def get_autoAttendantSids(self, obj) -> list[str]:
        if not obj.pk:
            return []
        return [system.sid for system in obj.aa_systems.all()]


class UserInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    emailId = serializers.EmailField(source="email_id", max_length=254)
    password = serializers.CharField(trim_whitespace=False)
    role = RoleField()
    status = serializers.ChoiceField(choices=UserStatus.choices, required=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False, allow_null=True, allow_blank=True)
    autoAttendantSids = SidList(source="aa_system_sids", required=False)


class UserUpdateInput(UserInput):
    emailId = serializers.EmailField(source="email_id", max_length=254, required=False)
    password = serializers.CharField(trim_whitespace=False, required=False)
    role = RoleField(required=False)


# Phone number


class PhoneNumberSerializer(ResourceSerializer):
    uri_base = "/autoattendant/phonenumber/search/"

    number = serializers.CharField()
    extensionSpokenName = serializers.CharField(source="extension_spoken_name")
    isExtension = serializers.BooleanField(source="is_extension")
    extension = serializers.CharField()
    extensionType = serializers.CharField(source="extension_type")
    friendlyName = serializers.CharField(source="friendly_name")
    enterpriseSid = serializers.SerializerMethodField()
    autoAttendantSid = serializers.SerializerMethodField()

    # Lists annotate the related SIDs (PhoneNumberViewSet) rather than load whole related rows.
    def get_enterpriseSid(self, obj) -> str:
        return getattr(obj, "enterprise_sid", None) or obj.enterprise.sid

    def get_autoAttendantSid(self, obj) -> str | None:
        if not obj.aa_system_id:
            return None
        return getattr(obj, "aa_system_sid", None) or obj.aa_system.sid


class PhoneNumberInput(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    isExtension = serializers.BooleanField(source="is_extension", default=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid")
    extension = serializers.CharField(max_length=16, required=False, allow_blank=True)
    extensionSpokenName = serializers.CharField(
        source="extension_spoken_name", max_length=200, required=False, allow_blank=True
    )
    autoAttendantSid = serializers.CharField(source="aa_system_sid", required=False, allow_null=True, allow_blank=True)
    friendlyName = serializers.CharField(source="friendly_name", max_length=200, required=False, allow_blank=True)
    extensionType = serializers.ChoiceField(source="extension_type", choices=ExtensionType.choices, required=False)
    extensionClientPassword = serializers.CharField(
        source="extension_client_password",
        max_length=128,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
    )


class PhoneNumberUpdateInput(PhoneNumberInput):
    number = serializers.CharField(max_length=64, required=False)
    isExtension = serializers.BooleanField(source="is_extension", required=False)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False)


# Auto attendant system


class AutoAttendantSystemSerializer(ResourceSerializer):
    uri_base = "/autoattendant/system/search/"

    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField()
    aaNumbers = serializers.SerializerMethodField()
    extensions = serializers.SerializerMethodField()
    aaNumberSids = serializers.SerializerMethodField()
    extensionNumberSids = serializers.SerializerMethodField()
    enterpriseSid = serializers.CharField(source="enterprise.sid")
    timeoutSeconds = serializers.IntegerField(source="timeout_seconds")
    timeoutMaxOccurance = serializers.IntegerField(source="timeout_max_occurance")
    timeoutAction = ActionField(source="timeout_action")
    invalidExtensionMaxOccurance = serializers.IntegerField(source="invalid_extension_max_occurance")
    invalidExtensionAction = ActionField(source="invalid_extension_action")
    invalidInputMaxOccurance = serializers.IntegerField(source="invalid_input_max_occurance")
    invalidInputAction = ActionField(source="invalid_input_action")
    timezoneId = serializers.CharField(source="timezone_id")
    publishStatus = serializers.CharField(source="publish_status", read_only=True)
    publishedVersion = serializers.IntegerField(source="published_version", read_only=True, allow_null=True)
    publishError = serializers.CharField(source="publish_error", read_only=True)
    defaultMenuSid = serializers.SerializerMethodField()
    operatorExtensionSid = serializers.SerializerMethodField()

    # Lists annotate these SIDs (AutoAttendantSystemViewSet); a deleted system kept its related rows.
    def get_defaultMenuSid(self, obj) -> str | None:
        if not obj.default_menu_id:
            return None
        return getattr(obj, "default_menu_ref", None) or obj.default_menu.sid

    def get_operatorExtensionSid(self, obj) -> str | None:
        if not obj.operator_extension_id:
            return None
        return getattr(obj, "operator_extension_ref", None) or obj.operator_extension.sid

    def _numbers(self, obj, is_extension: bool) -> list:
        # A deleted system has no pk left; its numbers were prefetched before it went.
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("phone_numbers")
        if prefetched is None:
            prefetched = obj.phone_numbers.all() if obj.pk else []
        numbers = sorted(prefetched, key=lambda n: (n.date_created, n.pk))
        return [number for number in numbers if number.is_extension == is_extension]

    def get_aaNumbers(self, obj) -> list[str]:
        return [number.number for number in self._numbers(obj, False)]

    def get_extensions(self, obj) -> list[str]:
        return [number.number for number in self._numbers(obj, True)]

    def get_aaNumberSids(self, obj) -> list[str]:
        return [number.sid for number in self._numbers(obj, False)]

    def get_extensionNumberSids(self, obj) -> list[str]:
        return [number.sid for number in self._numbers(obj, True)]


class AutoAttendantSystemInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=SystemStatus.choices, required=False)
    timezoneId = serializers.CharField(source="timezone_id", required=False, max_length=64)
    enterpriseSid = serializers.CharField(source="enterprise_sid", required=False, allow_null=True, allow_blank=True)
    aaNumbers = SidList(required=False)
    aaNumberSids = SidList(required=False)
    extensions = SidList(required=False)
    extensionNumberSids = SidList(required=False)
    timeoutSeconds = serializers.IntegerField(source="timeout_seconds", min_value=1, max_value=120, required=False)
    timeoutMaxOccurance = serializers.IntegerField(
        source="timeout_max_occurance", min_value=1, max_value=20, required=False
    )
    timeoutAction = ActionField(source="timeout_action", required=False)
    invalidExtensionMaxOccurance = serializers.IntegerField(
        source="invalid_extension_max_occurance", min_value=1, max_value=20, required=False
    )
    invalidExtensionAction = ActionField(source="invalid_extension_action", required=False)
    invalidInputMaxOccurance = serializers.IntegerField(
        source="invalid_input_max_occurance", min_value=1, max_value=20, required=False
    )
    invalidInputAction = ActionField(source="invalid_input_action", required=False)
    defaultMenuSid = serializers.CharField(
        source="default_menu_sid", required=False, allow_null=True, allow_blank=True, max_length=64
    )
    operatorExtensionSid = serializers.CharField(
        source="operator_extension_sid", required=False, allow_null=True, allow_blank=True, max_length=64
    )

    def validate(self, attrs):
        """`aaNumbers` and `aaNumberSids` (and the extension pair) are one field under two names."""
        for names, target in (
            (("aaNumbers", "aaNumberSids"), "aa_number_sids"),
            (("extensions", "extensionNumberSids"), "extension_sids"),
        ):
            given = [attrs.pop(name) for name in names if name in attrs]
            if len(given) == 2 and given[0] != given[1]:
                raise serializers.ValidationError({names[1]: [f"Give {names[0]} or {names[1]}, not both."]})
            if given:
                attrs[target] = given[0]
        return attrs


class AutoAttendantSystemUpdateInput(AutoAttendantSystemInput):
    name = serializers.CharField(max_length=200, required=False)


# HMAC key


class HmacKeySerializer(ResourceSerializer):
    uri_base = "/autoattendant/hmac/search/"

    organisationSid = serializers.CharField(source="organisation.sid")
    hmacKey = serializers.CharField(source="key")
