"""A hypothesis state machine over the account lifecycle: random codes (right and wrong), repeated
sends, clock jumps, institution settings and approvals. A model of every code (value, age,
attempts, use) and of the send quotas is the oracle; the invariants check that an account becomes
active only through one of the four paths, and that its audit trail replays its state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import mdreg
from mdreg import (
    ActivationPath,
    Actor,
    InMemoryPhotoStore,
    MdregError,
    QuotaExceeded,
    RegistrationRequest,
    SecuritySettings,
)
from mdreg.domain.account import Channel
from mdreg.domain.model import Registration, practice_location
from mdreg.service.accounts import Accounts
from mdreg.testing import World
from mdreg.workflows.account import ACCOUNT, ACTIVATION_EVENTS

WHO = st.sampled_from(["employed", "free"])
#: Mostly the right code (so accounts get somewhere), sometimes a random guess.
GUESS = st.one_of(st.just("right"), st.just("right"), st.just("right"),
                  st.integers(0, 999_999).map(lambda n: f"{n:06d}"))
PATH_OF = {"activate_with_code": ActivationPath.INSTITUTION_CODE,
           "auto_activate": ActivationPath.AUTO,
           "activate_with_qualification": ActivationPath.QUALIFICATION,
           "activate_on_approval": ActivationPath.APPROVAL}
TTL = timedelta(minutes=10)


class AccountLifecycle(RuleBasedStateMachine):
    """Two physicians sign up: one with a valid registration, one without."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC))
        self.registry = mdreg.open("memory://", clock=self.clock, ids=mdreg.SequentialIds())
        self.accounts = Accounts(self.registry, settings=SecuritySettings.for_tests(),
                                 photos=InMemoryPhotoStore())
        self.registry.accounts = self.accounts
        self.world = World(self.registry)
        self.hospital = self.world.institution("110105")
        self.other = self.world.institution("110108")
        self.people = {"employed": self.world.physician(account=False),
                       "free": self.world.physician(account=False)}
        employed = self.people["employed"]
        q = employed.qualifications[0]
        self.registry.load(registrations=[Registration(
            "R-emp", employed.id, q.certificate_no, q.level, q.category, ("内科专业",),
            practice_location(q.level, self.hospital), self.hospital.id,
            self.hospital.approved_by, date(2024, 1, 5), "110000000000001")])
        self.contacts: dict[str, dict[str, str]] = {}
        for n, (who, person) in enumerate(self.people.items(), start=1):
            phone, email = f"1391234{n:04d}", f"doc{n}@example.com"
            self.accounts.sign_up(name=person.name, id_number=person.id_number,
                                  login_name=f"doctor{n}", password="Lk8#vz2!qp", phone=phone,
                                  email=email)
            self.contacts[who] = {"sms": phone, "email": email}
        self.codes: dict[tuple[str, str], dict[str, Any]] = {}
        self.sent: dict[str, list[datetime]] = {}
        self.auto = False
        self.employed_at = {"employed": self.hospital.id, "free": ""}

    # -- helpers ---------------------------------------------------------------------------------

    def actor(self, who: str) -> Actor:
        return Actor.physician(self.people[who].id)

    def account(self, who: str) -> mdreg.Account:
        return self.accounts.account(self.actor(who))

    def over_quota(self, destination: str) -> bool:
        now = self.clock.now()
        times = self.sent.get(destination, [])
        return (sum(t > now - timedelta(days=1) for t in times) >= 10
                or sum(t > now - timedelta(hours=1) for t in times) >= 5)

    def record_send(self, who: str, purpose: str, destination: str) -> None:
        (message,) = [m for m in self.accounts.pending_messages()
                      if m.channel not in (Channel.ANNOUNCEMENT, Channel.NOTICE)]
        self.accounts.mark_sent(message.id)
        assert message.to == destination and message.template == purpose
        code = message.body.split("：")[1][:6]
        self.codes[(who, purpose)] = {"code": code, "at": self.clock.now(), "attempts": 0,
                                      "used": False}
        self.sent.setdefault(destination, []).append(self.clock.now())

    def live(self, who: str, purpose: str) -> dict[str, Any] | None:
        entry = self.codes.get((who, purpose))
        if entry is None or entry["used"] or entry["attempts"] >= 5:
            return None
        return entry if self.clock.now() < entry["at"] + TTL else None

    def send(self, who: str, purpose: str, destination: str, call: Any) -> None:
        expected_quota = self.over_quota(destination)
        before = self.account(who).state
        try:
            call()
        except QuotaExceeded:
            assert expected_quota
            return
        except MdregError:
            assert not [m for m in self.accounts.pending_messages()
                        if m.channel not in (Channel.ANNOUNCEMENT, Channel.NOTICE)]
            return
        assert not expected_quota and before == "registered"
        self.record_send(who, purpose, destination)

    def redeem(self, who: str, purpose: str, guess: str, call: Any) -> bool:
        """Present a code; the model says whether it must work. Returns success."""
        stored = self.codes.get((who, purpose))
        presented = guess if guess != "right" else (stored["code"] if stored else "000000")
        entry = self.live(who, purpose)
        right = entry is not None and presented == entry["code"]
        allowed = self.account(who).state == {"verify_phone": "registered",
                                              "verify_email": "registered",
                                              "activation": "verified"}[purpose]
        try:
            call(presented)
        except MdregError:
            if entry is not None and allowed and not right:
                entry["attempts"] += 1
            assert not (right and allowed), "the right, live code was refused"
            return False
        assert right and allowed, "a wrong, dead or misplaced code was accepted"
        assert entry is not None
        entry["used"] = True
        return True

    # -- rules -----------------------------------------------------------------------------------

    @rule(who=WHO, channel=st.sampled_from(["sms", "email"]))
    def send_verification(self, who: str, channel: str) -> None:
        me, purpose = self.actor(who), f"verify_{'phone' if channel == 'sms' else 'email'}"
        call = (self.accounts.send_phone_code if channel == "sms"
                else self.accounts.send_email_code)
        self.send(who, purpose, self.contacts[who][channel], lambda: call(me))

    @rule(who=WHO, channel=st.sampled_from(["sms", "email"]), guess=GUESS)
    def verify(self, who: str, channel: str, guess: str) -> None:
        me, purpose = self.actor(who), f"verify_{'phone' if channel == 'sms' else 'email'}"
        call = self.accounts.verify_phone if channel == "sms" else self.accounts.verify_email
        if self.redeem(who, purpose, guess, lambda code: call(me, code)):
            self.contacts[who]["verified"] = channel

    @rule(who=WHO, right_institution=st.booleans())
    def issue_activation_code(self, who: str, right_institution: bool) -> None:
        institution = self.hospital if right_institution else self.other
        account = self.account(who)
        destination = self.contacts[who][self.contacts[who].get("verified", "sms")]
        permitted = self.employed_at[who] == institution.id
        try:
            self.accounts.issue_activation_code(Actor.institution(institution.id),
                                                self.people[who].id)
        except QuotaExceeded:
            assert permitted and account.state == "verified" and self.over_quota(destination)
            return
        except MdregError:
            assert not (permitted and account.state == "verified"
                        and not self.over_quota(destination))
            return
        assert permitted and account.state == "verified"
        self.record_send(who, "activation", destination)

    @rule(who=WHO, guess=GUESS)
    def activate(self, who: str, guess: str) -> None:
        me = self.actor(who)
        self.redeem(who, "activation", guess, lambda code: self.accounts.activate(me, code))

    @rule(who=WHO)
    def refresh(self, who: str) -> None:
        before = self.account(who).state
        after = self.accounts.refresh(self.actor(who)).state
        should = before == "verified" and self.auto and bool(self.employed_at[who])
        assert after == ("active" if should else before)

    @rule(who=WHO, right=st.booleans())
    def activate_with_qualification(self, who: str, right: bool) -> None:
        person = self.people[who]
        number = person.qualifications[0].certificate_no if right else "Q-wrong"
        before = self.account(who).state
        try:
            self.accounts.activate_with_qualification(self.actor(who), number)
        except MdregError:
            assert not (right and before == "verified" and not self.employed_at[who])
            return
        assert right and before == "verified" and not self.employed_at[who]

    @rule(on=st.booleans())
    def set_auto_activation(self, on: bool) -> None:
        self.accounts.configure_institution(Actor.institution(self.hospital.id),
                                            auto_activation=on)
        self.auto = on

    @rule()
    def approve_registration_of_the_free_physician(self) -> None:
        if self.employed_at["free"]:
            return
        person = self.people["free"]
        before = self.account("free").state
        app = self.registry.apply(Actor.institution(self.hospital.id), RegistrationRequest(
            self.hospital.id, person.qualifications[0].certificate_no, ("内科专业",)),
            physician_id=person.id)
        self.world.approve(app)
        self.employed_at["free"] = self.hospital.id
        assert self.account("free").state == ("active" if before == "verified" else before)

    @rule(who=WHO, channel=st.sampled_from(["sms", "email"]))
    def send_and_verify(self, who: str, channel: str) -> None:
        """A well-formed step forward: send a code and enter it at once."""
        self.send_verification(who, channel)
        self.verify(who, channel, "right")

    @rule(who=WHO)
    def issue_and_activate(self, who: str) -> None:
        """A well-formed step forward: the primary institution's code, entered at once."""
        self.issue_activation_code(who, right_institution=True)
        self.activate(who, "right")

    @rule(who=WHO, channel=st.sampled_from(["sms", "email", "activation"]),
          wrong=st.sampled_from([1, 4, 5, 6]), fresh=st.booleans())
    def wrong_guesses_then_the_right_code(self, who: str, channel: str, wrong: int,
                                          fresh: bool) -> None:
        """Hammer a code (a fresh one, or the current one): ``wrong`` certainly-wrong guesses,
        then the right one — which must fail after the fifth wrong guess."""
        purpose = "activation" if channel == "activation" else (
            f"verify_{'phone' if channel == 'sms' else 'email'}")
        if fresh and channel == "activation":
            self.issue_activation_code(who, right_institution=True)
        elif fresh:
            self.send_verification(who, channel)
        stored = self.codes.get((who, purpose))
        if stored is None:
            return
        me = self.actor(who)
        call = {"sms": self.accounts.verify_phone, "email": self.accounts.verify_email,
                "activation": self.accounts.activate}[channel]
        bad = f"{(int(stored['code']) + 1) % 1_000_000:06d}"
        for _ in range(wrong):
            self.redeem(who, purpose, bad, lambda code: call(me, code))
        if self.redeem(who, purpose, "right", lambda code: call(me, code)) and (
                channel != "activation"):
            self.contacts[who]["verified"] = channel

    @rule(seconds=st.one_of(st.integers(0, 700), st.sampled_from([599, 600, 3600, 86_400])))
    def jump(self, seconds: int) -> None:
        self.clock.advance(seconds=seconds)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def active_only_through_one_of_the_four_paths(self) -> None:
        for who in self.people:
            account = self.account(who)
            trail = self.registry.trail(account.id)
            moves = [(e.from_state, e.event, e.to_state) for e in trail
                     if e.from_state != e.to_state]
            assert moves[0] == ("", "sign_up", "registered")
            assert set(moves[1:]) <= ACCOUNT.edges()
            assert all(a[2] == b[0] for a, b in pairwise(moves))
            assert moves[-1][2] == account.state
            activations = [m for m in moves if m[1] in ACTIVATION_EVENTS]
            event(f"{who}: {account.state} {account.activation}")
            if account.state == "active":
                (activation,) = activations
                assert account.activation is PATH_OF[activation[1]]
                assert account.phone_verified or account.email_verified
                assert account.activated_at is not None
            else:
                assert activations == [] and account.activation is None
            assert account.version == len(trail) - sum(e.event == "send_code" for e in trail)


TestAccountLifecycle = AccountLifecycle.TestCase
TestAccountLifecycle.settings = settings(
    max_examples=200, stateful_step_count=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
