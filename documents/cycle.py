"""The pledge cycle 提诺 → 审诺 → 定诺 → 示诺 → 践诺 → 督诺 → 评诺: every state change of a pledge.

Each transition is one compare-and-set on the stored state, so of two people acting on the
same pledge at once exactly one succeeds; each writes an audit entry with the state before
and after. Views, bulk actions and the seed all call transition().
"""
import datetime as dt
from dataclasses import dataclass

from bson import ObjectId
from mongoengine.errors import ValidationError

from documents import access, audit, notices, summary
from documents.base import StaleRecord, now
from documents.store import claims
from documents.calendar import ensure_open
from documents.organisation import ref_id
from documents.pledge import Pledge, Review, State
from documents.vocabulary import Vocabulary

S = State


@dataclass(frozen=True)
class Transition:
    name: str
    title: str
    sources: tuple
    target: State
    who: str            # "writer" (clerk/admin of the organisation) or "reviewer"
    needs: tuple = ()   # inputs: checklist, guidance, reason, signed_on, published_on, publish_days, note


TRANSITIONS = {t.name: t for t in (
    Transition("submit", "提交审核", (S.DRAFT, S.RETURNED), S.SUBMITTED, "writer"),
    Transition("approve", "审核通过", (S.SUBMITTED,), S.APPROVED, "reviewer", ("checklist", "guidance")),
    Transition("return", "退回修改", (S.SUBMITTED,), S.RETURNED, "reviewer", ("checklist", "guidance")),
    Transition("sign", "签订备案", (S.APPROVED,), S.SIGNED, "writer", ("signed_on",)),
    Transition("publish", "公示", (S.SIGNED,), S.PUBLISHED, "writer", ("published_on", "publish_days")),
    Transition("start", "开始践诺", (S.PUBLISHED,), S.FULFILLING, "writer"),
    Transition("fulfil", "已兑现", (S.FULFILLING,), S.FULFILLED, "writer"),
    Transition("late", "未按期兑现", (S.FULFILLING,), S.LATE, "writer", ("note",)),
    Transition("excuse", "因客观原因未兑现", (S.FULFILLING,), S.EXCUSED, "writer", ("note",)),
    Transition("evaluate", "评议完成", (S.FULFILLED, S.LATE, S.EXCUSED), S.EVALUATED, "reviewer"),
    Transition("reopen", "退回重审", (S.APPROVED, S.SIGNED, S.PUBLISHED), S.RETURNED, "reviewer", ("reason",)),
)}


class TransitionRefused(Exception):
    """Why one pledge could not take the action, in Chinese."""


def can_review(user, pledge):
    """A reviewer of X reviews X's member pledges and the organisation pledges of X's direct sub-organisations."""
    if user.is_admin:
        return True
    if user.role != "reviewer":
        return False
    own = ref_id(user, "organisation")
    org_id = ref_id(pledge, "organisation")
    if pledge.scope == "member":
        return org_id == own
    parent = ref_id(pledge.organisation, "parent")
    return parent == own


def check(user, pledge, transition):
    """Raise TransitionRefused unless this user may take this action on this pledge now."""
    if pledge.state not in [s.value for s in transition.sources]:
        raise TransitionRefused(f"当前状态为“{pledge.state_title}”，不能{transition.title}")
    if not access.can_see_org(user, ref_id(pledge, "organisation")):
        raise TransitionRefused("不在您的管辖范围内")
    if transition.who == "writer" and not access.can_write(user):
        raise TransitionRefused(f"只有录入员或管理员可以{transition.title}")
    if transition.who == "reviewer":
        if not can_review(user, pledge):
            raise TransitionRefused("您不是这份承诺的审核人（党员承诺由本支部审核，党组织承诺由上级组织审核）")
        if pledge.entered_by_id == user.pk:
            raise TransitionRefused("不能审核自己录入的承诺")


def _inputs(transition, pledge, inputs):
    """Check the action's inputs and return the fields to set with the state."""
    changes = {}
    if "checklist" in transition.needs:
        criteria = Vocabulary.labels("review_criterion")
        marks = {c: bool(inputs.get("checklist", {}).get(c)) for c in criteria}
        guidance = (inputs.get("guidance") or "").strip()
        if transition.name == "return" and not guidance:
            raise TransitionRefused("退回时必须填写修改意见")
        if transition.name == "approve" and not all(marks.values()):
            missing = "、".join(c for c, ok in marks.items() if not ok)
            raise TransitionRefused(f"审核通过须逐项确认：{missing}")
        values, items = pledge.content_snapshot()
        changes["push__reviews"] = Review(at=now(), reviewer=str(inputs["actor"]), outcome=transition.name,
                                          checklist=marks, guidance=guidance, values=values, items=items)
    if "reason" in transition.needs:
        reason = (inputs.get("reason") or "").strip()
        if not reason:
            raise TransitionRefused("退回重审必须填写原因")
        values, items = pledge.content_snapshot()
        changes["push__reviews"] = Review(at=now(), reviewer=str(inputs["actor"]), outcome="reopen",
                                          guidance=reason, values=values, items=items)
    if "signed_on" in transition.needs:
        changes["set__signed_on"] = inputs.get("signed_on") or dt.date.today()
        parent = pledge.organisation.parent
        changes["set__filed_with"] = parent.name if parent else pledge.organisation.name
    if "published_on" in transition.needs:
        changes["set__published_on"] = inputs.get("published_on") or dt.date.today()
        days = int(inputs.get("publish_days") or 7)
        if not 1 <= days <= 365:
            raise TransitionRefused("公示天数应在1到365天之间")
        changes["set__publish_days"] = days
    if "note" in transition.needs:
        note = (inputs.get("note") or "").strip()
        if transition.name == "excuse" and not note:
            raise TransitionRefused("请说明未能兑现的客观原因，这段说明会向群众公开")
        changes["set__closing_note"] = note
    return changes


def transition(actor, pledge_id, name, **inputs):
    """Take one action on one pledge; return the updated pledge or raise TransitionRefused."""
    step = TRANSITIONS[name]
    pledge = Pledge.objects(pk=ObjectId(str(pledge_id))).first()
    if pledge is None or not access.can_see_org(actor, ref_id(pledge, "organisation")):
        raise TransitionRefused("找不到这份承诺")
    check(actor, pledge, step)
    try:
        ensure_open(ref_id(pledge, "organisation"), pledge.year)
    except ValidationError as exc:
        raise TransitionRefused(exc.message) from exc
    changes = _inputs(step, pledge, {**inputs, "actor": actor})
    before = {"state": pledge.state}
    after = {"state": step.target.value, **{k.split("__", 1)[1]: _plain(v) for k, v in changes.items()}}
    entry = audit.entry(actor, step.title, pledge, before, after, organisation_id=ref_id(pledge, "organisation"))
    stale = TransitionRefused("这份承诺刚被其他人处理过，请刷新后查看最新状态")

    def write():
        done = Pledge.objects(pk=pledge.pk, state=pledge.state, version=pledge.version).update_one(
            set__state=step.target.value, inc__version=1, set__updated_at=now(), **changes)
        if not done:
            raise stale

    try:
        claims.change("pledge", pledge.pk, pledge.version, write, entry=entry)
    except StaleRecord as exc:
        raise stale from exc
    pledge.reload()
    summary.refresh(ref_id(pledge, "organisation"))
    notices.after_transition(pledge, name)
    return pledge


def _plain(value):
    if isinstance(value, Review):
        return {"结论": value.outcome, "意见": value.guidance, "审核要点": value.checklist}
    return value.isoformat() if isinstance(value, dt.date) else value


def transition_many(actor, pledge_ids, name, nonce=None, **inputs):
    """Apply one action to several pledges; return (count done, [(pledge label, reason)]).

    With the confirming form's nonce, submitting the same form again reports what the first submit did.
    """
    done, refused = 0, []
    for pledge_id in pledge_ids:
        try:
            claims.once(claims.form_key(actor.pk, nonce, name, pledge_id),
                        lambda: str(transition(actor, pledge_id, name, **inputs).pk))
            done += 1
        except TransitionRefused as exc:
            label = Pledge.objects(pk=ObjectId(str(pledge_id))).first() if ObjectId.is_valid(str(pledge_id)) else None
            refused.append((str(label) if label and access.can_see_org(actor, ref_id(label, "organisation"))
                            else str(pledge_id), str(exc)))
    return done, refused


def allowed(user, pledge):
    """The actions this user could take on this pledge now."""
    result = []
    for step in TRANSITIONS.values():
        try:
            check(user, pledge, step)
            result.append(step)
        except TransitionRefused:
            continue
    return result
