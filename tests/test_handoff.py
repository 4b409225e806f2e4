"""The handoff analyser: transfers, supervisors brought in and manager requests, on named example sentences
(punctuated and as speech-to-text writes them) and on tiny hand-built calls run through the pipeline."""

from __future__ import annotations

import pytest

from heard.analysers import REGISTRY
from heard.model import Call, Role, Turn
from heard.pipeline import analyse

A, C, OTHER = Role.AGENT, Role.CUSTOMER, Role.OTHER
GREETING = "Thank you for calling Acme, how can I help?"
PROBLEM = "Hi, I was charged twice for my bill."

# Should fire: (role, sentence, labels).
FIRES = [
    pytest.param(A, "I'm going to transfer you to our billing team.", ["transfer"], id="transfer_billing_team"),
    pytest.param(A, "Let me put you through to technical support.", ["transfer"], id="put_through_tech_support"),
    pytest.param(A, "I'll pass you over to my colleague in retentions.", ["transfer"], id="pass_over_colleague"),
    pytest.param(A, "Bear with me while I connect you to the claims department.", ["transfer"],
                 id="connect_claims_department"),
    pytest.param(A, "You'll need to speak to our mortgages team, I'll transfer you now.", ["transfer"],
                 id="speak_to_then_transfer_now"),
    pytest.param(A, "um let me just uh transfer you over to the billing team okay", ["transfer"],
                 id="transfer_disfluent"),
    pytest.param(A, "i'm gonna transfer you to billing", ["transfer"], id="transfer_gonna"),
    pytest.param(A, "ill transfer you to billing", ["transfer"], id="transfer_no_apostrophe"),
    pytest.param(A, "i'll i'll transfer you to to billing", ["transfer"], id="transfer_stutter"),
    pytest.param(A, "transferring you now", ["transfer"], id="transferring_now_elliptical"),
    pytest.param(A, "i'm transferring you now the wait is about fifteen minutes", ["transfer"],
                 id="transferring_now_then_wait"),
    pytest.param(A, "please hold while i transfer your call to the accounts department", ["transfer"],
                 id="transfer_your_call"),
    pytest.param(A, "i'm just going to put you on hold and transfer you to a specialist", ["transfer"],
                 id="hold_and_transfer_specialist"),
    pytest.param(A, "what i'll do is pass you on to the team that handles refunds", ["transfer"],
                 id="pass_on_to_team"),
    pytest.param(A, "can i put you through to my colleague sarah", ["transfer"], id="put_through_colleague_named"),
    pytest.param(A, "I'll hand you over to the complaints team now.", ["transfer"], id="hand_over_complaints"),
    pytest.param(A, "let me get you through to our returns department", ["transfer"], id="get_through_returns"),
    pytest.param(A, "i'll get you transferred over to billing", ["transfer"], id="get_you_transferred"),
    pytest.param(A, "I'll forward your call to the right department.", ["transfer"], id="forward_your_call"),
    pytest.param(A, "i'll send you over to our sales team", ["transfer"], id="send_over_to_sales"),
    pytest.param(A, "I'm putting you straight through now.", ["transfer"], id="putting_straight_through"),
    pytest.param(A, "You'll now be transferred to the claims team.", ["transfer"], id="you_will_be_transferred"),
    pytest.param(A, "i'll connect you with a nurse", ["transfer"], id="connect_with_nurse"),
    pytest.param(A, "i can't fix that here but i can transfer you to billing", ["transfer"],
                 id="negation_in_earlier_clause"),
    pytest.param(A, "If you just hold the line, I'll put you through to sales.", ["transfer"],
                 id="polite_if_hold"),
    pytest.param(A, "sorry if you've been waiting i'll transfer you to the fraud team", ["transfer"],
                 id="sorry_if_is_not_a_condition"),
    pytest.param(A, "okay before i transfer you is there anything else", ["transfer"], id="before_i_transfer_you"),
    pytest.param(A, "i'm really sorry, i'd need to transfer you to retention", ["transfer"],
                 id="id_need_to_transfer"),
    pytest.param(A, "Let me get my supervisor.", ["supervisor"], id="get_my_supervisor"),
    pytest.param(A, "I'll ask my team leader to call you back.", ["supervisor"], id="ask_team_leader_call_back"),
    pytest.param(A, "I'm escalating this to my manager.", ["supervisor"], id="escalating_to_manager"),
    pytest.param(A, "i'll escalate this for you", ["supervisor"], id="escalate_this"),
    pytest.param(A, "I'm going to have to transfer you to my manager.", ["supervisor"], id="transfer_to_manager"),
    pytest.param(A, "i'll have my manager call you this afternoon", ["supervisor"], id="have_manager_call"),
    pytest.param(A, "a supervisor is going to call you back within 24 hours", ["supervisor"],
                 id="supervisor_will_call"),
    pytest.param(A, "let me speak to my supervisor and come back to you", ["supervisor"],
                 id="speak_to_supervisor"),
    pytest.param(A, "I'll check with my supervisor whether we can waive that fee.", ["supervisor"],
                 id="check_with_supervisor"),
    pytest.param(A, "i can put in a request for a supervisor callback", ["supervisor"],
                 id="supervisor_callback_request"),
    pytest.param(A, "Thanks for holding. I spoke with the manager. They'll release the car today.", ["supervisor"],
                 id="spoke_with_manager_during_hold"),
    pytest.param(A, "I can raise a request with my team leader for an exception.", ["supervisor"],
                 id="request_with_team_leader"),
    pytest.param(A, "i can send an escalation to finance to ask them to prioritise it", ["supervisor"],
                 id="send_an_escalation"),
    pytest.param(A, "let me get my manager so she can approve it", ["supervisor"], id="get_manager_so"),
    pytest.param(A, "You'll need to speak to billing, I'll transfer you now. I'll also ask my manager to call you.",
                 ["supervisor", "transfer"], id="transfer_and_supervisor"),
    pytest.param(C, "I want to speak to a manager.", ["manager_request"], id="customer_speak_to_manager"),
    pytest.param(C, "can i talk to your supervisor please", ["manager_request"], id="customer_talk_to_supervisor"),
    pytest.param(C, "I WANT TO SPEAK TO A MANAGER", ["manager_request"], id="customer_manager_in_capitals"),
    pytest.param(C, "i don't care let me speak to a manager", ["manager_request"],
                 id="customer_negation_in_earlier_clause"),
    pytest.param(C, "you need to escalate this now", ["manager_request"], id="customer_escalate"),
]

# Must not fire: refusals, negations, offers, hypotheticals, history, money and things.
QUIET = [
    pytest.param(A, "I can't transfer you.", id="cant_transfer"),
    pytest.param(A, "i cant transfer you im afraid", id="cant_transfer_no_apostrophe"),
    pytest.param(A, "There's no need to transfer you.", id="no_need_to_transfer"),
    pytest.param(A, "i don't think i can transfer you", id="dont_think_i_can"),
    pytest.param(A, "i'm not sure if i can transfer you", id="not_sure_if"),
    pytest.param(A, "no I won't put you through", id="wont_put_through"),
    pytest.param(A, "i wont be able to put you through", id="wont_be_able"),
    pytest.param(A, "unfortunately there's nobody i can transfer you to", id="nobody_to_transfer_to"),
    pytest.param(A, "if it happens again we can transfer you", id="hypothetical_if_again"),
    pytest.param(A, "when you call back they'll transfer you to the right team", id="hypothetical_call_back"),
    pytest.param(A, "next time just ask them to put you through to billing", id="hypothetical_next_time"),
    pytest.param(A, "would you like me to transfer you to billing", id="offer_would_you_like"),
    pytest.param(A, "do you want me to put you through to sales", id="offer_do_you_want"),
    pytest.param(A, "should i transfer you to billing", id="offer_should_i"),
    pytest.param(A, "i could transfer you but they're closed", id="could_but_closed"),
    pytest.param(A, "you were transferred to me from billing", id="arrived_by_transfer"),
    pytest.param(A, "why did they transfer you to me", id="transferred_to_me"),
    pytest.param(A, "last time they put you through to the wrong team", id="agent_recounting_history"),
    pytest.param(A, "I can transfer the money today.", id="transfer_the_money"),
    pytest.param(A, "that's a balance transfer", id="balance_transfer"),
    pytest.param(A, "we can transfer my number for you", id="transfer_number"),
    pytest.param(A, "I'll transfer you the refund tomorrow.", id="transfer_you_the_refund"),
    pytest.param(A, "I'll transfer you to a new tariff.", id="transfer_to_a_tariff"),
    pytest.param(A, "we'll connect you to the internet by friday", id="connect_to_internet"),
    pytest.param(A, "we'll have you connected well before eleven", id="have_you_connected"),
    pytest.param(A, "I'm so sorry to put you through all this.", id="put_you_through_all_this"),
    pytest.param(A, "I'm sorry we put you through so much", id="put_you_through_so_much"),
    pytest.param(A, "we'll get you through this", id="get_you_through_this"),
    pytest.param(A, "i'll get you to confirm your address first", id="get_you_to_confirm"),
    pytest.param(A, "i'll pass you the reference number", id="pass_you_the_number"),
    pytest.param(A, "i'll send you over an email", id="send_you_over_an_email"),
    pytest.param(A, "you can escalate this if you like", id="customer_can_escalate"),
    pytest.param(A, "you'll need to speak to a manager", id="you_need_to_speak_to_manager"),
    pytest.param(A, "my manager said we can't do that", id="agent_manager_said"),
    pytest.param(A, "my manager won't call you", id="manager_wont_call"),
    pytest.param(A, "Let me see if my manager is free.", id="see_if_manager_free"),
    pytest.param(A, "i spoke to my manager earlier", id="spoke_to_manager_earlier"),
    pytest.param(A, "it's the quantity of drinking that keeps escalating", id="escalating_intransitive"),
    pytest.param(C, "I don't want to be transferred again.", id="customer_not_transferred_again"),
    pytest.param(C, "last time they transferred me three times", id="customer_history"),
    pytest.param(C, "my manager at work said I could claim this", id="customer_manager_at_work"),
    pytest.param(C, "I don't want to speak to a manager", id="customer_not_manager"),
    pytest.param(C, "if this isn't sorted i'll want to speak to a manager", id="customer_conditional_threat"),
    pytest.param(C, "they said they'd escalate it", id="customer_recounting_escalation"),
    pytest.param(C, "no need to escalate it", id="customer_no_need_to_escalate"),
    pytest.param(C, "i asked to speak to a manager last time", id="customer_asked_last_time"),
    pytest.param(C, "I'm going to transfer you to our billing team.", id="customer_turn_not_read_for_transfers"),
    pytest.param(OTHER, "Please hold while we transfer your call to the next available agent.", id="ivr_turn"),
]


def labels_of(role: Role, text: str) -> list[str]:
    call = Call(id="one-turn", turns=[Turn(speaker=role, text=text)])
    return sorted(f.label for f in analyse(call, only=["handoff"]).findings)


@pytest.mark.parametrize(("role", "text", "labels"), FIRES)
def test_handoff_fires_on_named_sentence(role: Role, text: str, labels: list[str]) -> None:
    assert labels_of(role, text) == labels


@pytest.mark.parametrize(("role", "text"), QUIET)
def test_handoff_quiet_on_named_sentence(role: Role, text: str) -> None:
    assert labels_of(role, text) == []


@pytest.mark.parametrize(("text", "evidence", "to"), [
    ("um let me just uh transfer you over to the billing team okay", "transfer you over to the billing team",
     "the billing team"),
    ("Bear with me while I connect you to the Claims Department.", "connect you to the Claims Department",
     "the Claims Department"),
    ("You'll need to speak to our mortgages team, I'll transfer you now.", "transfer you now", "our mortgages team"),
    ("Let me get my supervisor.", "get my supervisor", "my supervisor"),
])
def test_handoff_evidence_is_the_turns_own_words(text: str, evidence: str, to: str) -> None:
    call = Call(id="words", turns=[Turn(speaker=A, text=text)])
    (found,) = analyse(call, only=["handoff"]).findings
    (ev,) = found.evidence
    assert ev.text == evidence and ev.span is not None and text[ev.span[0]:ev.span[1]] == evidence
    assert found.detail["to"] == to


def hand_built(*turns: tuple[Role, str]) -> Call:
    return Call(id="handoff-call", turns=[Turn(speaker=role, text=text, start=4.0 * i, end=4.0 * i + 3)
                                          for i, (role, text) in enumerate(turns)])


@pytest.mark.parametrize("call", [hand_built(
    (A, GREETING),
    (C, PROBLEM),
    (A, "I can see the second charge, but refunds are handled by billing."),
    (C, "This is ridiculous, I want to speak to a manager."),
    (A, "I understand. I'm going to transfer you to our billing team, they can refund it today."),
    (C, "Fine."),
    (A, "Transferring you now, thanks for holding."),
)])
def test_handoff_pipeline_findings_evidence_and_metrics(call: Call) -> None:
    analysis = analyse(call)
    assert analysis.analysers["handoff"] == REGISTRY["handoff"].version and "handoff" not in analysis.skipped
    found = [f for f in analysis.findings if f.kind == "handoff"]
    assert [(f.label, [e.turn for e in f.evidence]) for f in found] == [("manager_request", [3]),
                                                                      ("transfer", [4, 6])]
    request, transfer = found
    assert request.evidence[0].text == "speak to a manager" and request.evidence[0].time == 12.0
    assert transfer.detail == {"to": "our billing team", "how": "transfer"}
    assert [e.text for e in transfer.evidence] == ["transfer you to our billing team", "Transferring you now"]
    handoffs = analysis.metric("handoffs", Role.AGENT)
    requests = analysis.metric("manager_requests", Role.CUSTOMER)
    assert handoffs is not None and handoffs.value == 1 and handoffs.turns == [4, 6]
    assert handoffs.analyser == "handoff"
    assert requests is not None and requests.value == 1 and requests.turns == [3]


@pytest.mark.parametrize("call", [hand_built(
    (A, "I'll transfer you to billing for the refund."),
    (C, "Okay."),
    (A, "And for the router I'll transfer you to technical support afterwards."),
    (C, "Right."), (A, "Let me check that."), (C, "Sure."), (A, "Still looking."), (C, "Okay."),
    (A, "Okay, transferring you now."),
)])
def test_handoff_different_places_or_far_apart_are_separate(call: Call) -> None:
    found = [f for f in analyse(call, only=["handoff"]).findings]
    assert [(f.detail["to"], [e.turn for e in f.evidence]) for f in found] == [
        ("billing", [0]), ("technical support", [2]), (None, [8])]
    handoffs = analyse(call, only=["handoff"]).metric("handoffs", Role.AGENT)
    assert handoffs is not None and handoffs.value == 3


@pytest.mark.parametrize("call", [hand_built((A, GREETING), (C, PROBLEM), (A, "Let me check that for you."))])
def test_handoff_quiet_call_has_zero_metrics(call: Call) -> None:
    analysis = analyse(call, only=["handoff"])
    assert analysis.findings == []
    for name, party in (("handoffs", Role.AGENT), ("manager_requests", Role.CUSTOMER)):
        metric = analysis.metric(name, party)
        assert metric is not None and metric.value == 0 and metric.turns == []


@pytest.mark.parametrize("call", [Call(id="untimed", turns=[Turn(speaker=C, text="Can I talk to a supervisor?"),
                                                             Turn(speaker=A, text="Let me get my supervisor.")])])
def test_handoff_summary_lists_distinct_labels(call: Call) -> None:
    summary = analyse(call).summary()
    assert summary["handoffs"] == ["manager_request", "supervisor"]
    assert set(summary) >= {"behaviours", "robotic", "escalations", "opportunities", "met", "duration", "handoffs"}
    quiet = analyse(Call(id="quiet", turns=[Turn(speaker=A, text=GREETING)])).summary()
    assert quiet["handoffs"] == []


@pytest.mark.parametrize("name", ["handoff"])
def test_handoff_registration(name: str) -> None:
    registered = REGISTRY[name]
    assert registered.id == "handoff.v1" and not registered.needs
    assert set(registered.produces) == {"handoff", "handoffs", "manager_requests"}
    assert registered.doc
