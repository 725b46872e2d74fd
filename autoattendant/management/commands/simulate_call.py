"""Simulate a call to an AA number: the published RCML walked exactly as the call executor walks it."""

from __future__ import annotations

import datetime
import json as jsonlib

from django import forms
from django.core.management.base import BaseCommand, CommandError

from autoattendant.api.filters import ReferenceTimeField
from telephony import simulator


class Command(BaseCommand):
    help = (
        "Walk the published call flow of an AA number as a caller would: the menu the schedules choose at "
        "--at, then --keys typed at each prompt in turn. Prints what the caller hears and how the call ends."
    )

    def add_arguments(self, parser):
        parser.add_argument("number", help="The AA number called, e.g. +14155550100.")
        parser.add_argument(
            "--at",
            help="When the call is made (ISO 8601: 2026-12-24T10:00:00+01:00; without an offset: UTC). Default: now.",
        )
        parser.add_argument(
            "--keys",
            default="",
            help='What the caller types at each prompt in turn, comma-separated: "1,#,203". '
            'An empty entry ("1,,2"), or none left, is a timeout.',
        )
        parser.add_argument(
            "--dial-status",
            default="completed",
            choices=simulator.DIAL_STATUSES,
            help="How every transfer ends: completed (answered) or why not (e.g. no-answer: on to voicemail).",
        )
        parser.add_argument("--json", action="store_true", help="Print the trace as one JSON object.")

    def handle(self, *args, number: str, at: str | None, keys: str, dial_status: str, json: bool, **options):
        moment = self.moment(at)
        trace = simulator.simulate(number, moment, simulator.parse_keys(keys), dial_status=dial_status)
        if json:
            self.stdout.write(jsonlib.dumps(trace, indent=2))
            return
        when = moment.isoformat() if moment else "now"
        self.stdout.write(f"Call to {number} at {when}, keys: {keys or '(none)'}")
        for line in simulator.describe(trace):
            self.stdout.write(line)

    @staticmethod
    def moment(value: str | None) -> datetime.datetime | None:
        if not value:
            return None
        try:
            moment = ReferenceTimeField().to_python(value)
        except forms.ValidationError as exc:
            raise CommandError(f"--at: {' '.join(exc.messages)}") from None
        if not isinstance(moment, datetime.datetime):
            moment = datetime.datetime.combine(moment, datetime.time(), tzinfo=datetime.UTC)
        return moment
