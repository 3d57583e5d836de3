"""An institution's decision on a personal change is a notice to the physician."""

from __future__ import annotations

from portal_kit import Portal

from mdreg import Actor, Channel, Institution, NoticeKind


def test_approved_and_rejected_changes_notify_the_physician(portal: Portal,
                                                            hospital: Institution) -> None:
    physician = portal.physician()
    portal.registration(physician, hospital)
    me = portal.verified(physician)
    portal.accounts.issue_activation_code(Actor.institution(hospital.id), physician.id)
    portal.accounts.activate(me, portal.code())
    institution = Actor.institution(hospital.id)
    approved = portal.accounts.approve_change(
        institution, portal.accounts.request_info_change(me, title="主治医师").id)
    rejected = portal.accounts.reject_change(
        institution, portal.accounts.request_info_change(me, school="<b>某大学</b>").id,
        reason="学历证明与<原件>不符")
    (yes,), (no,) = portal.registry.notices(approved.id), portal.registry.notices(rejected.id)
    assert (yes.kind, no.kind) == (NoticeKind.PERSONAL_CHANGE, NoticeKind.PERSONAL_CHANGE)
    assert yes.recipients == no.recipients == (str(me),)
    assert "审核通过" in yes.text and "任职资格：主治医师" in yes.text
    assert "审核不通过" in no.text and "学历证明与<原件>不符" in no.text
    assert "学历证明与&lt;原件&gt;不符" in no.html and "<b>某大学" not in no.html
    messages = [m for m in portal.accounts.pending_messages() if m.channel is Channel.NOTICE]
    assert sorted((m.aggregate_id, m.to) for m in messages) == sorted(
        [(yes.id, str(me)), (no.id, str(me))])
