"""Races that really race: N threads released together on a barrier, repeated, each trial with exactly one winner."""
import threading

from documents import AuditEntry, Member, Pledge, User
from documents.audit import entry, snapshot
from documents.base import StaleRecord
from documents.cycle import TransitionRefused, transition
from documents.evaluation import (BallotRefused, BallotToken, EvaluationRound, EvaluationScheme, Score, cast_ballot,
                                  issue_ballots, members_of)
from documents.pledging import save_pledge
from tests.clock import YEAR
from tests.factories import make_member, org

THREADS = 8
TRIALS = 20
CHECKS = {c: "y" for c in ("体现先进性要求", "以正在干的事情为中心", "体现岗位职责特点", "符合群众意愿", "切实可行")}
ITEMS = [{"content": "每周走访楼院一次", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "居民满意"}] * 2


def race(app, prepare, act):
    """Run act(i, prepared) in THREADS threads released at once; return each thread's outcome ("ok" or why not)."""
    barrier, outcomes = threading.Barrier(THREADS), [None] * THREADS

    def worker(i):
        with app.app_context():
            prepared = prepare(i)
            barrier.wait()
            try:
                act(i, prepared)
                outcomes[i] = "ok"
            except (StaleRecord, TransitionRefused, BallotRefused) as exc:
                outcomes[i] = str(exc) or type(exc).__name__

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(o is not None for o in outcomes), outcomes
    return outcomes


def user(name):
    return User.objects(username=name).first()


def test_of_many_simultaneous_approvals_exactly_one_wins(seeded):
    reviewers = ("sq_reviewer", "admin")
    for trial in range(TRIALS):
        with seeded.app_context():
            sq = org("SQ01")
            member = make_member(name=f"竞审{trial}", organisation=sq)
            pledge = save_pledge(user("sq_clerk"), organisation=sq, member=member, year=YEAR, raw_items=ITEMS,
                                 raw_values={"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"})
            transition(user("sq_clerk"), pledge.pk, "submit")
        outcomes = race(seeded, lambda i: user(reviewers[i % 2]),
                        lambda i, reviewer: transition(reviewer, pledge.pk, "approve", checklist=CHECKS, guidance=f"{i}"))
        assert outcomes.count("ok") == 1, (trial, outcomes)
        assert all("刚被其他人处理过" in o or "当前状态为“已审核”" in o for o in outcomes if o != "ok"), outcomes
        with seeded.app_context():
            stored = Pledge.objects(pk=pledge.pk).first()
            assert stored.state == "approved" and len(stored.reviews) == 1 and stored.version == 3
            assert AuditEntry.objects(record_id=pledge.pk, action="审核通过").count() == 1


def test_of_many_simultaneous_saves_of_one_version_exactly_one_wins(seeded):
    with seeded.app_context():
        member_id = make_member(name="竞存", organisation=org("SQ01")).pk
        clerk = user("sq_clerk")
    for trial in range(TRIALS):
        def prepare(i):
            member = Member.objects(pk=member_id).first()
            before = snapshot(member)
            member.post = f"第{trial}轮{i}号"
            return member, before

        def save(i, prepared):
            member, before = prepared
            member.save_checked(member.version, lambda doc: entry(clerk, "修改", doc, before, snapshot(doc)))

        outcomes = race(seeded, prepare, save)
        assert outcomes.count("ok") == 1, (trial, outcomes)
        winner = outcomes.index("ok")
        with seeded.app_context():
            stored = Member.objects(pk=member_id).first()
            assert stored.version == trial + 2 and stored.post == f"第{trial}轮{winner}号"
            entries = AuditEntry.objects(record_id=member_id, action="修改")
            assert entries.count() == trial + 1
            assert entries.filter(after__post=f"第{trial}轮{winner}号").count() == 1


def test_a_ballot_sent_by_many_at_once_is_counted_once(seeded):
    with seeded.app_context():
        round_ = EvaluationRound(organisation=org("SQ01"), year=YEAR, scheme=EvaluationScheme.objects.first())
        round_.save_checked(None)
        tokens = [t.token for t in issue_ballots(user("sq_clerk"), round_, TRIALS)]
        members = [str(m.pk) for m in members_of(round_)]
    labels = ("满意", "基本满意", "不满意")
    assert len(members) * len(labels) >= THREADS
    for trial, token in enumerate(tokens):
        # Each thread is a different voter: its choice differs, so none of them is a repeat of another.
        outcomes = race(seeded, lambda i: {members[i % len(members)]: labels[i // len(members) % 3]},
                        lambda i, choices: cast_ballot(token, choices))
        assert outcomes.count("ok") == 1, (trial, outcomes)
        assert all("已经使用过" in o for o in outcomes if o != "ok"), outcomes
        with seeded.app_context():
            ballot = BallotToken.objects(token=token).first()
            assert ballot.used_at is not None and Score.objects(ballot=ballot.pk).count() == 1
            assert Score.objects(round=round_.pk, rater_type="public").count() == trial + 1
