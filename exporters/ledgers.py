"""The ledgers of an organisation and year, as (title, headers, rows): one source for PDF and .xlsx."""
import datetime as dt

from documents.evaluation import RATER_TYPES, EvaluationRound, results
from documents.organisation import ref_id
from documents.pledge import Pledge
from documents.progress import latest_in_org
from documents.supervision import LeaderComment, Rectification, SupervisionRound


def _pledges(organisation, year):
    """The year's pledges of the organisation and those below it: one path equality, sorted here."""
    found = Pledge.objects(org_path=organisation.pk, year=year).only(
        "scope", "organisation", "organisation_name", "member", "member_name", "state", "items")
    return sorted(found, key=lambda p: (ref_id(p, "organisation"), p.scope))


def pledge_ledger(organisation, year):
    rows = [[p.pledger, "党员" if p.scope == "member" else "党组织", p.organisation_name, str(p.state_title), i + 1, item.content,
             item.owner, item.deadline, item.expected]
            for p in _pledges(organisation, year) for i, item in enumerate(p.items)]
    return "承诺台账", ["承诺人", "类型", "党组织", "状态", "序号", "承诺事项", "履行责任人", "完成时限", "预期效果"], rows


def progress_ledger(organisation, year, today=None):
    today = today or dt.date.today()
    rows, latest = [], latest_in_org(organisation.pk, subtree=True)  # one read, not one per pledge (5,000 in a street)
    for pledge in _pledges(organisation, year):
        for i, item in enumerate(pledge.items):
            entry = latest.get((pledge.pk, i))
            done = entry is not None and entry["status"] == "已完成"
            late = item.deadline is not None and item.deadline < today and not done
            rows.append([pledge.pledger, i + 1, item.content, item.deadline, entry["status"] if entry else "未登记",
                         f"{entry.get('percent') or 0}%" if entry else "", entry["on"].date() if entry else None,
                         entry.get("note") or "" if entry else "", "逾期" if late else ""])
    return "履诺进度表", ["承诺人", "序号", "承诺事项", "完成时限", "最新进展", "完成比例", "登记日期", "情况说明", "是否逾期"], rows


def comment_ledger(organisation, year):
    rows = [[c.on, c.commenter, c.method, c.organisation_name, c.member_name or "", c.content]
            for c in LeaderComment.objects(org_path=organisation.pk) if c.on and c.on.year == year]
    for round_ in SupervisionRound.objects(org_path=organisation.pk, year=year):
        for note in round_.notes:
            text = "；".join(t for t in (note.comment, f"闪光言行：{note.highlight}" if note.highlight else "",
                                         "通报批评" if note.criticised else "") if t)
            rows.append([round_.held_on, "党组织", f"第{round_.quarter}季度督诺", round_.organisation_name,
                         note.pledge.pledger if note.pledge else "", text])
    rows.sort(key=lambda r: r[0] or dt.date.min)
    return "点评台帐", ["日期", "点评人", "点评方式", "被点评组织", "被点评党员", "点评内容"], rows


def rectification_ledger(organisation, year):
    rows = []
    for line in sorted(Rectification.objects(org_path=organisation.pk), key=lambda r: r.deadline):
        line_year = line.round.year if line.round else (line.pledge.year if line.pledge else year)
        if line_year != year:
            continue
        rows.append([line.organisation_name, line.pledge.pledger if line.pledge else "", line.problem, line.deadline,
                     "已销号" if line.closed_on else ("逾期" if line.overdue else "整改中"), line.closed_on,
                     line.closed_by or "", line.result or ""])
    return "整改台账", ["党组织", "承诺人", "问题", "整改期限", "状态", "销号日期", "销号人", "整改结果"], rows


def evaluation_table(organisation, year):
    rows = []
    for round_ in EvaluationRound.objects(org_path=organisation.pk, year=year):
        for member, parts, combined, grade in results(round_):
            rows.append([round_.organisation_name, round_.period, member.name,
                         *[round(parts[t][0] / parts[t][1], 1) if parts.get(t) else "" for t in RATER_TYPES],
                         combined if combined is not None else "", grade])
    return "考评结果表", ["党组织", "类型", "姓名", *[str(v) for v in RATER_TYPES.values()], "综合得分", "等次"], rows


LEDGERS = {"pledges": pledge_ledger, "progress": progress_ledger, "comments": comment_ledger,
           "rectifications": rectification_ledger, "evaluation": evaluation_table}
