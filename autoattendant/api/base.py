"""The one viewset every /autoattendant resource is (NetBox's NetBoxModelViewSet idea).

Routes (see `routes`): `POST /x`, `GET /x/search`, `GET /x/search/{sid}`, `PUT /x/{sid}`,
`DELETE /x/{sid}`. A resource declares its model, serializers, filterset, sort attributes, the
service's permissions, its not-found code and its service functions; the base does the rest:
tenant scope before any filter, filters, `SortBy`, paging, envelopes and coded errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import transaction
from django.http import QueryDict
from django.urls import path
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers, viewsets

from autoattendant.api.fields import Timestamp
from autoattendant.api.pagination import ReferencePagination
from autoattendant.api.responses import ok
from autoattendant.errors import AAError, Code, ErrorCode
from autoattendant.services.base import UNSET
from autoattendant.services.roles import Permissions

# Which of a service's permissions each of the base's actions needs; any other action needs `read`.
ACTION_PERMISSION = {"list": "read", "retrieve": "read", "create": "create", "update": "update", "destroy": "delete"}


# The sort attributes most resources offer.
NAME_AND_DATE = {"name": "name", "dateCreated": "date_created"}


class ResourceSerializer(serializers.Serializer):
    """sid, dateUpdated, dateCreated, accountEmail and uri: what every resource starts with.

    A resource's input serializers only translate (camelCase names, strings to numbers, the wire's
    types and sizes); the rules, a field's format too, are in `autoattendant.services`. Output
    serializers read the models, annotated by the viewsets.
    """

    uri_base = ""

    sid = serializers.CharField(read_only=True)
    dateUpdated = Timestamp(source="date_updated")
    dateCreated = Timestamp(source="date_created")
    accountEmail = serializers.CharField(source="account_email", read_only=True)
    uri = serializers.SerializerMethodField()

    def get_uri(self, obj) -> str:
        return f"{self.uri_base}{obj.sid}"


class CaseInsensitiveFilterBackend(DjangoFilterBackend):
    """Accepts `Name` as `name`: the reference's tables capitalise some query parameters."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        known = set(view.filterset_class.base_filters)
        data = QueryDict(mutable=True)
        for key, values in request.query_params.lists():
            if key not in known:
                for name in known:
                    if name.lower() == key.lower():
                        key = name
                        break
            data.setlist(key, values)
        kwargs["data"] = data
        return kwargs


class ResourceViewSet(viewsets.GenericViewSet):
    lookup_field = "sid"
    lookup_url_kwarg = "sid"
    pagination_class = ReferencePagination
    filter_backends = [CaseInsensitiveFilterBackend]

    model: ClassVar[type]
    create_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    update_serializer_class: ClassVar[type[serializers.Serializer] | None] = None
    not_found: ClassVar[ErrorCode]
    sort_fields: ClassVar[dict[str, str]] = {"dateCreated": "date_created"}
    default_sort: ClassVar[str] = "dateCreated"
    # Who may do what: the service's own declaration (PERMISSIONS beside its functions); tenant
    # scope applies on top of it.
    permissions: ClassVar[Permissions] = Permissions()
    # Roles for an action of the resource's own that the permissions do not name.
    action_roles: ClassVar[dict[str, frozenset]] = {}
    # Methods served on `/x` (none: the resource is created elsewhere, e.g. by calls).
    collection_actions: ClassVar[dict[str, str]] = {"post": "create"}
    # Methods served on `/x/{sid}`.
    item_actions: ClassVar[dict[str, str]] = {"put": "update", "delete": "destroy"}
    # The coded errors each action can answer with, for the OpenAPI schema.
    error_codes: ClassVar[dict[str, list[ErrorCode]]] = {}

    # Resource hooks.
    def scoped_queryset(self):
        """The model's rows visible to the caller, with what the serializer reads joined in."""
        return self.model.objects.visible_to(self.request.user)

    # The service functions (autoattendant.services) that make each change: (actor, [sid,] **data).
    create_service: ClassVar[Callable[..., Any] | None] = None
    update_service: ClassVar[Callable[..., Any] | None] = None
    destroy_service: ClassVar[Callable[..., Any] | None] = None

    # Base behaviour.
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        allowed = self.action_roles.get(self.action) or getattr(
            self.permissions, ACTION_PERMISSION.get(self.action, "read")
        )
        if request.user.role not in allowed:
            raise AAError(Code.FORBIDDEN, {})

    def get_queryset(self):
        return self.scoped_queryset()

    def get_serializer_class(self):
        if self.action == "create" and self.create_serializer_class:
            return self.create_serializer_class
        if self.action == "update" and self.update_serializer_class:
            return self.update_serializer_class
        return self.serializer_class

    def sorted_queryset(self, queryset):
        raw = self.request.query_params.get("SortBy") or self.request.query_params.get("sortBy") or self.default_sort
        attribute, _, direction = raw.partition(":")
        direction = direction.lower() or "asc"
        if attribute not in self.sort_fields or direction not in ("asc", "desc"):
            raise AAError(
                Code.BAD_REQUEST,
                {},
                message="Validation failed",
                errors={"SortBy": [f"Use one of {', '.join(self.sort_fields)}, optionally with :asc or :desc."]},
            )
        prefix = "-" if direction == "desc" else ""
        return queryset.order_by(f"{prefix}{self.sort_fields[attribute]}", f"{prefix}id")

    def fetch(self, sid: str):
        if "\x00" in sid:  # PostgreSQL text cannot hold NUL: no such SID
            raise AAError(self.not_found, {"sid": sid})
        try:
            return self.get_queryset().get(sid=sid)
        except self.model.DoesNotExist:
            raise AAError(self.not_found, {"sid": sid}) from None

    def render(self, obj) -> dict:
        return self.serializer_class(obj, context=self.get_serializer_context()).data

    def validated(self, *, partial: bool) -> dict[str, Any]:
        if not isinstance(self.request.data, dict):
            raise AAError(Code.BAD_REQUEST, {}, message="The request body must be a JSON object")
        serializer = self.get_serializer(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def echo(self) -> Any:
        serializer_class = self.get_serializer_class()
        echo = getattr(serializer_class, "echo", None)
        data = self.request.data
        return echo(data) if echo else data

    # Actions.
    def list(self, request, *args, **kwargs):
        queryset = self.sorted_queryset(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(queryset)
        data = self.serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request, sid: str, *args, **kwargs):
        return ok(self.render(self.fetch(sid)))

    def create(self, request, *args, **kwargs):
        data = self.validated(partial=False)
        try:
            with transaction.atomic():
                obj = self.create_service(self.request.user, **data)
                # The writer must still see what it wrote (NetBox's ObjectValidationMixin).
                obj = self.fetch(obj.sid)
        except AAError as exc:
            raise exc.with_data(self.echo()) from None
        return ok(self.render(obj), status=201)

    def update(self, request, sid: str, *args, **kwargs):
        data = self.validated(partial=True)
        try:
            with transaction.atomic():
                obj = self.update_service(self.request.user, sid, **data)
                obj = self.fetch(obj.sid)
        except AAError as exc:
            raise exc.with_data(self.echo() if exc.error_code != self.not_found else {"sid": sid}) from None
        return ok(self.render(obj))

    def destroy(self, request, sid: str, *args, **kwargs):
        with transaction.atomic():
            obj = self.destroy_service(self.request.user, sid)
            data = self.render(obj)  # inside the transaction: a failure here deletes nothing
        return ok(data)

    @classmethod
    def routes(cls, resource: str, *, aliases: tuple[str, ...] = ()) -> list:
        """URL patterns for the reference's resource shape; a trailing slash is accepted too."""
        shapes = [
            ("search", {"get": "list"}, "list"),
            ("search/<str:sid>", {"get": "retrieve"}, "detail"),
            ("", dict(cls.collection_actions), "create"),
            ("<str:sid>", dict(cls.item_actions), "item"),
        ]
        shapes = [shape for shape in shapes if shape[1]]
        patterns = []
        for name in (resource, *aliases):
            for suffix, actions, kind in shapes:
                route = f"autoattendant/{name}/{suffix}".rstrip("/")
                view = cls.as_view(actions)
                patterns.append(path(route, view, name=f"{name}-{kind}"))
                patterns.append(path(f"{route}/", view, name=f"{name}-{kind}-slash"))
        return patterns


def given(data: dict[str, Any], *fields: str) -> dict[str, Any]:
    """The fields of a partial update, with UNSET for those not sent."""
    return {field: data.get(field, UNSET) for field in fields}
