"""Roster import: read a spreadsheet, check every row, then write the accepted rows in bulk."""
import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import bson
from bson import ObjectId
from lxml import etree
from pymongo.errors import BulkWriteError

from documents import access, audit, copies, idcard, jobs, normalise, roster_sheet, summary
from documents.audit import AuditEntry
from documents.base import now
from documents.importbatch import ImportBatch, pack, pack_read, unpack, unpack_read
from documents.member import GENDERS, IN_SERVICE, Member, search_keys
from documents.organisation import Organisation, ref_id
from documents.store import claims
from documents.user import User
from documents.vocabulary import Vocabulary

COLUMNS = [
    ("姓名", "name"), ("性别", "gender"), ("身份证号", "id_number"), ("联系电话", "phone"),
    ("出生日期", "birth_date"), ("入党日期", "joined_on"), ("组织代码", "org_code"),
    ("岗位", "post"), ("职责", "duty"), ("党员类别", "categories"),
    ("居住地社区组织代码", "residential_code"), ("党籍状态", "status"),
]
HEADER_TO_KEY = dict(COLUMNS)
KEY_TO_HEADER = {k: h for h, k in COLUMNS}
REQUIRED = ("name", "id_number", "org_code")
# Columns Excel must keep as text: an 18-digit ID number stored as a number loses its last digits.
TEXT_COLUMNS = ("身份证号", "联系电话")
# Rows inserted per round trip: large enough to be fast, small enough for a moving progress bar.
CHUNK = 1000
# Organisations whose changed members are rewritten at once (the machine has two cores).
REWRITERS = 2
# Members named on a job page and in its audit entry when a clerk's save kept the import from rewriting them.
NAMES_SHOWN = 20
_SPLIT = re.compile(r"[、,，;；\s]+")


class RosterFileError(ValueError):
    """The upload is not a roster we can read; the message says why, in Chinese."""


def template_rows():
    """Header and one example row for the downloadable template."""
    example = ["张三", "男", "11010519491231002X", "13800000000", "1949-12-31", "1975-07-01",
               "SQ01", "楼院长", "负责3号楼联系服务", "在职党员、党员领导干部", "SQ01", "在册"]
    return [h for h, _ in COLUMNS], example


class Limits(NamedTuple):
    """How big an upload may be: bytes as sent, bytes once unzipped (.xlsx), data rows."""
    max_bytes: int
    max_unzipped: int
    max_rows: int


def read_rows(filename, data, limits):
    """Yield (row number, {key: text}) from an .xlsx or .csv upload, refusing anything oversized before parsing it."""
    if len(data) > limits.max_bytes:
        raise RosterFileError(f"文件过大（{len(data) // 1024} KB），上限为 {limits.max_bytes // 1024 // 1024} MB")
    if not data:
        raise RosterFileError("文件是空的")
    name = (filename or "").lower()
    if data.startswith(b"MZ"):
        raise RosterFileError("这是一个程序文件，不是花名册。请上传 .xlsx 或 .csv 格式的花名册")
    if name.endswith(".xls") or data.startswith(OLE_MAGIC):
        raise RosterFileError("不支持旧版 Excel（.xls）文件，请在 Excel 或 WPS 中“另存为” .xlsx 后重新上传")
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data, limits)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise RosterFileError("只能导入 .xlsx 或 .csv 格式的花名册")
    header = next(table, None)
    if not header:
        raise RosterFileError("文件中没有表头")
    keys = [HEADER_TO_KEY.get(str(h or "").strip()) for h in header]
    missing = [KEY_TO_HEADER[k] for k in REQUIRED if k not in keys]
    if missing:
        raise RosterFileError("缺少必需的列：" + "、".join(missing) + "。请使用下载的模板")
    rows = 0
    for number, values in enumerate(table, start=2):
        row = {k: _text(v) for k, v in zip(keys, values) if k}
        if any(row.values()):
            rows += 1
            if rows > limits.max_rows:
                raise RosterFileError(f"文件超过 {limits.max_rows} 行，请分成几个文件分别导入")
            yield number, row
        elif number > limits.max_rows + 1:
            raise RosterFileError(_past_the_cap(rows, limits.max_rows))
    if not rows:
        raise RosterFileError(NO_DATA_ROWS)


NO_DATA_ROWS = "文件中只有表头，没有数据行。请在表头下方每行填写一名党员后重新上传"
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
# A normal sheet deflates 5-20 times; far beyond this the file is built to inflate, not to be read.
MAX_RATIO = 200


def _past_the_cap(rows, max_rows):
    if not rows:
        return f"文件中没有数据行（前 {max_rows} 行都是空行），请删除空行后重新上传"
    return f"文件第 {max_rows + 1} 行之后还有大量空行或格式，请删除多余的行后重新上传"


def _xlsx_rows(data, limits):
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RosterFileError("无法读取该 .xlsx 文件，请确认它是 Excel 表格") from exc
    unzipped = sum(e.file_size for e in entries)
    if unzipped > limits.max_unzipped or any(
            e.file_size > 1024 * 1024 and e.file_size > MAX_RATIO * max(e.compress_size, 1) for e in entries):
        raise RosterFileError(f"文件解压后超过 {limits.max_unzipped // 1024 // 1024} MB，可能不是正常的花名册，请检查后重新上传"
                              if unzipped > limits.max_unzipped else "文件的压缩比异常，可能不是正常的花名册，请检查后重新上传")
    try:
        yield from roster_sheet.rows(package)
    except (zipfile.BadZipFile, KeyError, IndexError) as exc:
        raise RosterFileError("无法读取该 .xlsx 文件，请确认它是 Excel 表格") from exc
    except (OSError, EOFError, ValueError, zlib.error, etree.LxmlError) as exc:
        raise RosterFileError("该 .xlsx 文件已损坏，无法读完，请重新保存后上传") from exc


def _csv_rows(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("无法识别 .csv 文件的编码，请另存为 UTF-8 或 GBK")
    if "\x00" in text:
        raise RosterFileError("该文件不是文本格式的 .csv 表格")
    yield from csv.reader(io.StringIO(text))


def _text(value):
    """A cell as the text a clerk sees in it; a long number as Excel shows it (1.10105E+17), so it can be named."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return normalise.excel_number_text(value)
    return normalise.line(value)


def _stored_as_number(header, text):
    """The reason for an ID or phone number that Excel turned into a number and cut short."""
    return (f"{header}被 Excel 存成了数字（{text}），后几位已经丢失。请把这一列设为“文本”格式，"
            f"重新填写完整的{header}后再导入（下载的模板已设为文本格式）")


class _Checker:
    """Turns raw rows into member values, collecting every problem with its row and column."""

    def __init__(self, user):
        visible = access.visible_org_ids(user)
        self.orgs = {o.code: o.pk for o in access.org_queryset(user).order_by().only("code")}
        self.categories = set(Vocabulary.labels("member_category"))
        self.statuses = set(Vocabulary.labels("member_status"))
        self.visible = visible

    def check(self, number, row):
        problems, values = [], {}

        def reject(key, reason):
            problems.append({"row": number, "column": KEY_TO_HEADER[key], "reason": reason})

        for key in REQUIRED:
            if not row.get(key):
                reject(key, "不能为空")
        name = normalise.name(row.get("name"))
        values["name"] = name[:40]
        if len(name) > 40:
            reject("name", "姓名不能超过40个字")
        number_text = idcard.normalise(row.get("id_number"))
        values["id_number"] = number_text
        id_problem = idcard.problem(number_text)  # once, not three times: the checksum is a good part of a row's check
        for key in ("id_number", "phone"):
            if normalise.looks_scientific(row.get(key)):
                reject(key, _stored_as_number(KEY_TO_HEADER[key], row[key]))
        if number_text and not normalise.looks_scientific(number_text) and id_problem:
            reject("id_number", id_problem)
        code = row.get("org_code", "").upper()
        if code and code not in self.orgs:
            reject("org_code", f"组织代码 {code} 不存在或不在您的管辖范围内")
        values["organisation"] = self.orgs.get(code)
        gender = row.get("gender", "")
        if gender and gender not in GENDERS:
            reject("gender", "性别应填“男”或“女”")
        values["gender"] = gender or (idcard.gender(number_text) if not id_problem else None)
        values["month_only"] = []
        for key in ("birth_date", "joined_on"):
            try:
                read = normalise.read_date(row.get(key), month_allowed=True)
            except ValueError as exc:
                reject(key, str(exc))
                read = None
            values[key] = read.day if read else None
            if read and read.month_only:
                values["month_only"].append(key)
        if values.get("birth_date") is None and not id_problem:
            values["birth_date"] = idcard.birth_date(number_text)
        cats = [c for c in _SPLIT.split(row.get("categories", "")) if c]
        unknown = [c for c in cats if c not in self.categories]
        if unknown:
            reject("categories", "未知的党员类别：" + "、".join(unknown))
        values["categories"] = cats
        res_code = row.get("residential_code", "").upper()
        values["residential_org"] = None
        if res_code:
            if res_code not in self.orgs and not Organisation.objects(code=res_code).first():
                reject("residential_code", f"组织代码 {res_code} 不存在")
            else:
                values["residential_org"] = self.orgs.get(res_code) or Organisation.objects(code=res_code).scalar("pk").first()
        elif IN_SERVICE in cats:
            reject("residential_code", "在职党员须填写居住地社区组织代码")
        status = row.get("status") or "在册"
        if status not in self.statuses:
            reject("status", f"未知的党籍状态：{status}")
        values["status"] = status
        for key, limit in (("phone", 20), ("post", 60), ("duty", 200)):
            if len(row.get(key, "")) > limit:
                reject(key, f"不能超过{limit}个字")
            values[key] = row.get(key, "")
        values["phone"] = normalise.compact(values["phone"])
        values["search_keys"] = search_keys(values["name"], number_text, values["phone"])
        return values, problems


def receive(user, filename, data, limits):
    """Refuse an unreadable upload at once, else keep it and start the job that checks its rows; return the batch.

    Size, type, header and row-count problems are found by reading the file (no database work), so the
    upload page still says what is wrong with it; checking every row's values runs in the job, with progress.
    """
    for _row in read_rows(filename, data, limits):
        pass
    batch = ImportBatch(created_by=user.pk, organisation=ref_id(user, "organisation"), filename=filename,
                        upload=zlib.compress(data, 1)).save()
    jobs.start(check_id(batch), "check", user.pk, batch.organisation,
               {"batch": str(batch.pk), "actor": str(user.pk), "limits": list(limits)})
    return batch


def prepare(user, filename, data, limits):
    """Check an upload and keep the outcome as an ImportBatch awaiting confirmation (in this process)."""
    checked = check(user, filename, data, limits)
    return ImportBatch(created_by=user.pk, organisation=ref_id(user, "organisation"), filename=filename,
                       rows=checked.rows, read=checked.read).save()


def check(user, filename, data, limits, report=None):
    """Check every row of an upload: what to create, to update (with each member as read) and to refuse."""
    report = report or (lambda **_kw: None)
    checker = _Checker(user)
    read_at, reading = _stamp(), _read_roster()
    rows, rejects, seen = [], [], {}
    for number, row in read_rows(filename, data, limits):
        values, problems = checker.check(number, row)
        if not problems and values["id_number"] in seen:
            problems.append({"row": number, "column": "身份证号",
                             "reason": f"与第 {seen[values['id_number']]} 行重复"})
        if problems:
            rejects.extend(problems)
        else:
            seen[values["id_number"]] = number
            rows.append((number, values))
        if number % CHUNK == 0:
            report(done=number - 1, message=f"正在检查第 {number - 1} 行")
    report(message="正在核对已登记的党员")
    existing, roster = {}, defaultdict(list)
    for doc in reading():
        roster[doc.get("organisation"), doc.get("version")].append(doc["_id"])
        if doc.get("id_number") in seen:
            existing[doc["id_number"]] = doc
    owners = _owners()
    creates, updates, olds, unchanged = [], [], [], 0
    for number, values in rows:
        found = existing.get(values["id_number"])
        stored = _storable(values)
        if found is None:
            creates.append({"row": number, "_id": ObjectId(), **stored})
        elif checker.visible is not None and found.get("organisation") not in checker.visible:
            rejects.append({"row": number, "column": "身份证号",
                            "reason": "该身份证号已登记在您管辖范围以外的组织，请联系上级组织办理转接"})
        elif changes := _changes(found, stored, owners.get(stored["organisation"], {})):
            updates.append({"row": number, "_id": found["_id"], "changed": changed_labels(changes), **stored})
            olds.append(found)
        else:
            unchanged += 1
    rejects.sort(key=lambda r: r["row"])
    touched = {(old.get("organisation"), old.get("version")) for old in olds}
    counts = {"creates": len(creates), "updates": len(updates), "unchanged": unchanged,
              "rejected": len({r["row"] for r in rejects})}
    return Checked(pack(creates, updates, rejects, unchanged), pack_read(olds, read_at, [[*k, roster[k]] for k in touched]),
                   counts)


def _read_roster():
    """Start reading every member while the file is parsed; return the call that yields them once read.

    One pass over the roster's id numbers: matching 10,000 documents against a 10,000-value `$in` costs FerretDB more
    than reading them. The read waits on the database and the parsing on Python, so together they take the longer of
    the two, not the sum; the batches stay raw until the rows are known. Whole documents are kept with the rows they
    change, so the import job writes them without reading them again.
    """
    members, pool = Member._get_collection(), ThreadPoolExecutor(max_workers=1)
    batches = pool.submit(list, members.find_raw_batches({}))
    pool.shutdown(wait=False)
    return lambda: (doc for batch in batches.result() for doc in bson.decode_all(batch, members.codec_options))


class Checked(NamedTuple):
    """A checked upload: its rows (what the preview shows), the members the updates change as read, and the counts."""
    rows: bytes
    read: bytes
    counts: dict


def _check_job(job, report):
    """Check a received upload's rows and store the outcome on its batch (safe to redo: the same rows come out)."""
    batch = ImportBatch.objects(pk=ObjectId(job.params["batch"])).order_by().first()
    actor = User.objects(pk=ObjectId(job.params["actor"])).order_by().first()
    checked = check(actor, batch.filename, zlib.decompress(batch.upload), Limits(*job.params["limits"]), report)
    ImportBatch._get_collection().update_one({"_id": batch.pk}, {"$set": {"rows": checked.rows, "read": checked.read},
                                                                 "$unset": {"upload": 1}})
    return {"batch": str(batch.pk), **checked.counts}


jobs.HANDLERS["check"] = _check_job


def check_id(batch):
    return f"check:{batch.pk}"


def _storable(values):
    out = dict(values)
    for key in ("birth_date", "joined_on"):
        if out.get(key) is not None:
            out[key] = dt.datetime.combine(out[key], dt.time())
    return out


def confirm(batch, actor):
    """Start the job that writes a checked batch, or find the one a first click already started."""
    if not batch.checked:
        raise ValueError("该花名册还在检查中，请稍候")
    if batch.updates and batch.read is None:
        raise ValueError("该花名册是在系统更新前检查的，请重新上传后再导入")
    job = jobs.start(job_id(batch), "import", actor.pk, batch.organisation,
                     {"batch": str(batch.pk), "actor": str(actor.pk)}, total=len(batch.creates) + len(batch.updates))
    if job.result.get("cancelled"):
        raise ValueError("该批次已取消，不能导入")
    return job


def discard(batch, actor):
    """Cancel a batch nobody has confirmed; once its job exists it can only finish."""
    job = jobs.settle(job_id(batch), "import", actor.pk, batch.organisation, "已取消，没有写入任何数据", {"cancelled": True})
    if job is not None and not job.result.get("cancelled"):
        raise ValueError("该批次已开始导入，不能取消")


def job_id(batch):
    return f"import:{batch.pk}"


def status(job):
    """What became of a batch, from its job: 待确认 (no job yet), 导入中, 已导入 or 已放弃."""
    if job is None:
        return "待确认"
    if job.result.get("cancelled"):
        return "已放弃"
    return "已导入" if job.state == jobs.DONE else "导入中"


def _run_job(job, report):
    actor = User.objects(pk=ObjectId(job.params["actor"])).first()
    return commit(ObjectId(job.params["batch"]), actor, report)


jobs.HANDLERS["import"] = _run_job


def commit(batch_id, actor, report=None):
    """Write a confirmed batch: new members inserted, changed ones rewritten, unchanged ones left alone; every step can be redone.

    FerretDB has no transactions, pushes down only equalities and scans the collection for each
    update by `_id`, so the rows are written in a few bulk operations: new members by an unordered
    insert (on a rerun, rows already there are refused by their `_id`); known members from the
    versions the check read (not read again), parked with their audit entries as a plan in a staging
    collection of this batch, then claimed in bulk at the versions the check saw (a member a clerk
    saved since then is refused by its claim and left as the clerk saved it), their old versions
    deleted and the new ones inserted. If the process stops midway, running the job again re-applies
    the parked plan, so nothing is lost, duplicated or audited twice.
    """
    report = report or (lambda **_kw: None)
    stored = ImportBatch._get_collection().find_one({"_id": batch_id})
    batch = {**stored, **unpack(stored["rows"]), **unpack_read(stored.get("read"))}
    members, stamp, owners = Member._get_collection(), _stamp(), _owners()
    total, done, taken = len(batch["creates"]) + len(batch["updates"]), 0, 0
    for start in range(0, len(batch["creates"]), CHUNK):
        rows = batch["creates"][start:start + CHUNK]
        docs = [{"_id": r["_id"], **_values(r), **owners.get(r["organisation"], {}), "version": 1, "created_at": stamp,
                 "updated_at": stamp} for r in rows]
        taken += len(_absent(members, _insert_new(members, docs)))
        done += len(rows)
        report(done=done, total=total, message="正在新增党员")
    plan, lost = {"items": [], "counted": [], "renamed": []}, set()
    if batch["updates"]:
        plan = _stage(batch, actor, stamp, owners)
        total = len(batch["creates"]) + len(plan["items"])
        report(done=done, total=total, message="正在写入更新")
        entries, appended = {i["doc"]["_id"]: i["entry"] for i in plan["items"] if i["entry"]}, set()

        def append(taken):
            appended.update(pk for pk in entries if pk not in taken)
            _append_entries([entries[pk] for pk in appended])

        lost = _replace(members, plan, batch, lambda written: report(done=done + written, total=total, message="正在写入更新"),
                        append)
        # Entries of members whose claim held but whose new version was refused (rare: changed outside the claims).
        if late := [entries[pk]["_id"] for pk in appended & lost]:
            AuditEntry._get_collection().delete_many(_any("_id", late))
        for member in filter(None, (Member.objects(pk=pk).order_by().first() for pk in plan["renamed"] if pk not in lost)):
            copies.refresh(member)
        _staging(batch_id).drop()
    report(done=total, total=total, message="正在记录")
    for org_id in {r["organisation"] for r in batch["creates"]} | set(plan["counted"]):
        summary.refresh(org_id)
    created, updated = len(batch["creates"]) - taken, len(plan["items"]) - len(lost)
    unchanged = batch.get("unchanged", 0) + len(batch["updates"]) - len(plan["items"])
    rejected = len({r["row"] for r in batch["rejects"]}) + taken
    overtaken = [f"{i['doc']['name']}（{idcard.mask(i['doc']['id_number'])}）" for i in plan["items"] if i["doc"]["_id"] in lost]
    if created or updated or overtaken:
        record = ImportBatch(id=batch_id, created_by=batch["created_by"], filename=batch["filename"])
        after = {"文件": batch["filename"], "新增": created, "更新": updated, "无变化": unchanged, "拒绝": rejected}
        if overtaken:
            after["已被他人修改、未覆盖"] = "、".join(overtaken[:NAMES_SHOWN]) + ("等" if len(overtaken) > NAMES_SHOWN else "")
        _append_entries([{**audit.entry(actor, "导入花名册", record, after=after, organisation_id=batch.get("organisation"),
                                        summary=f"导入花名册 {batch['filename']}"), "_id": batch_id}])
    result = {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected, "batch": str(batch_id)}
    if overtaken:
        result.update(overtaken=len(overtaken), overtaken_names=overtaken[:NAMES_SHOWN])
    return result


def _stamp():
    """Now, to the millisecond the database keeps, so a written version can be recognised when read back."""
    stamp = now()
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def _insert_new(members, docs):
    """Insert documents not yet stored; return the `_id`s refused because one was already taken."""
    if not docs:
        return []
    try:
        members.insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details["writeErrors"]
        if any(e["code"] != 11000 for e in errors):
            raise
        return [e["op"]["_id"] for e in errors]
    return []


def _present(members, ids):
    """{_id: (version, updated_at)} of those of these members that are stored."""
    return {d["_id"]: (d.get("version"), d.get("updated_at"))
            for d in members.find(_any("_id", ids), {"version": 1, "updated_at": 1})} if ids else {}


def _absent(members, refused):
    """The refused new members whose `_id` is not stored: their id number was taken meanwhile by someone else."""
    present = _present(members, refused)
    return [i for i in refused if i not in present]


def _any(field, values):
    """Equality for one value (FerretDB pushes it down), `$in` only for several."""
    values = list(values)
    return {field: values[0]} if len(values) == 1 else {field: {"$in": values}}


def _changes(stored, row, owner):
    """{field: (before, after)} of what writing a row over a stored member would change; empty when nothing would."""
    new = {**_values(row), **owner}
    return {k: (stored.get(k), new.get(k)) for k in _COMPARED if (stored.get(k) or None) != (new.get(k) or None)}


def changed_labels(changes):
    """The columns a clerk would see change, e.g. "岗位、联系电话"."""
    return "、".join(dict.fromkeys(_LABELS[k] for k in changes if k in _LABELS))


def _stage(batch, actor, stamp, owners):
    """Build, from the members as the check read them, the new versions and audit entries of the changed ones; park them.

    The plan holds, per changed member, its new version, the organisation and version it was read
    at and its audit entry (with its `_id` fixed here, so a rerun appends it once), the organisations
    whose summaries count what changed and the renamed members. A rerun finds the parked plan.
    """
    staging = _staging(batch["_id"])
    marker = staging.find_one({"_id": "plan"})
    if marker:
        parts = sorted(staging.find({"_id": {"$ne": "plan"}}), key=lambda p: p["_id"])
        return {**marker, "items": [i for p in parts for i in bson.decode(zlib.decompress(p["items"]))["items"]]}
    staging.drop()  # parts of an attempt that stopped before its plan was complete
    items, counted, renamed, shown = [], set(), [], []
    for row, old in zip(batch["updates"], batch["members"], strict=True):
        owner = owners.get(row["organisation"], {})
        changes = _changes(old, row, owner)
        if not changes:
            continue
        doc = {**old, **_values(row), **owner, "version": (old.get("version") or 0) + 1, "updated_at": stamp}
        if set(changes) & {"organisation", *summary.MEMBER_FIELDS}:
            counted |= {old.get("organisation"), row["organisation"]}
        if "name" in changes:
            renamed.append(old["_id"])
        items.append({"doc": doc, "read_in": old.get("organisation"), "read_version": old.get("version"), "entry": None})
        if visible := {k: v for k, v in changes.items() if k not in _COPIES}:
            shown.append((items[-1], {"record_id": old["_id"], "summary": f"{row['name']}（{idcard.mask(row['id_number'])}）",
                                      "organisation_id": row["organisation"], "owner": owner,
                                      "before": {k: b for k, (b, _a) in visible.items()},
                                      "after": {k: a for k, (_b, a) in visible.items()}}))
    known = {str(pk): o["organisation_name"] for pk, o in owners.items()}
    for (item, _change), entry in zip(shown, audit.entries_of(actor, "导入花名册修改", "member", [c for _i, c in shown], known)):
        item["entry"] = {**entry, "_id": ObjectId()}
    for number, start in enumerate(range(0, len(items), CHUNK)):
        staging.insert_one({"_id": number, "items": zlib.compress(bson.encode({"items": items[start:start + CHUNK]}), 1)})
    plan = {"_id": "plan", "counted": sorted(counted - {None}), "renamed": renamed}
    staging.insert_one(plan)
    return {**plan, "items": items}


def _replace(members, plan, batch, progress, alongside):
    """Claim the changed members at the versions read, delete those versions and insert the new ones; safe to repeat.

    alongside(the `_id`s whose claim was taken) runs beside the rewrite, once every member is claimed (the audit
    entries: their insert costs FerretDB as much as the members'). Return the `_id`s left as they are because somebody
    changed them since the check: their claim was taken (a clerk saved or deleted them), or their new version did not land.
    """
    lost, refused, written, by_org = set(), [], 0, {}
    read = {(org_id, version): ids for org_id, version, ids in batch.get("roster", ())}
    for item in plan["items"]:
        by_org.setdefault(item["read_in"], []).append(item)
    for org_id, items in by_org.items():
        lost.update(claims.claim_many("member", {i["doc"]["_id"]: i["read_version"] or 0 for i in items},
                                      f"import:{batch['_id']}"))

    def rewrite(org_id, items):
        """Delete one organisation's claimed members at the versions read and insert their new versions."""
        items = [i for i in items if i["doc"]["_id"] not in lost]
        by_version = {}
        for item in items:
            by_version.setdefault(item["read_version"], []).append(item["doc"]["_id"])
        for version, ids in by_version.items():
            members.delete_many(_old_versions(org_id, version, ids, read.get((org_id, version)), batch.get("read_at")))
        return [pk for start in range(0, len(items), CHUNK) for pk in _insert_new(members, [
            i["doc"] for i in items[start:start + CHUNK]])], len(items)

    # FerretDB converts each document in Go and PostgreSQL writes it: two organisations at once keep both cores busy.
    with ThreadPoolExecutor(REWRITERS + 1) as pool:
        beside = pool.submit(alongside, frozenset(lost))
        for refused_here, count in pool.map(lambda group: rewrite(*group), by_org.items()):
            refused += refused_here
            written += count
            progress(written)
        beside.result()
    planned = {i["doc"]["_id"]: (i["doc"]["version"], i["doc"]["updated_at"]) for i in plan["items"]}
    present = _present(members, refused)
    return lost | {i for i in refused if present.get(i) != planned[i]}


def _old_versions(org_id, version, ids, read, read_at):
    """The filter matching the members `ids` of one organisation at one version, as the check read them.

    FerretDB pushes the equalities down but tests `_id` against an `$in` list value by value (seconds for
    thousands of members against thousands of ids). A re-import usually changes most of an organisation,
    so the few members the check read there that stay (`read` minus `ids`) make the shorter list: a member
    saved or created since the check has another version or a later `updated_at`, and is left alone too.
    """
    keep = set(read or ()) - set(ids)
    if read is None or read_at is None or len(keep) >= len(ids):
        return {"organisation": org_id, "version": version, **_any("_id", ids)}
    return {"organisation": org_id, "version": version, "updated_at": {"$lte": read_at},
            **({"_id": {"$nin": sorted(keep)}} if keep else {})}


def _append_entries(entries):
    """Append audit entries whose `_id`s were fixed beforehand; those a previous attempt appended are refused."""
    if entries:
        _insert_new(AuditEntry._get_collection(), entries)


_FIELDS = [k for _, k in COLUMNS if k not in ("org_code", "residential_code")] + [
    "organisation", "residential_org", "month_only", "search_keys"]
# Kept on a member for lists, look-ups and showing dates: rewritten when they differ, but not a change a clerk reads.
_COPIES = ("org_path", "organisation_name", "search_keys", "month_only")
_COMPARED = _FIELDS + ["org_path", "organisation_name"]
_LABELS = {**KEY_TO_HEADER, "organisation": KEY_TO_HEADER["org_code"], "residential_org": KEY_TO_HEADER["residential_code"]}


def _values(row):
    return {k: row.get(k) for k in _FIELDS}


def _staging(batch_id):
    return ImportBatch._get_db()[f"import_staging_{batch_id}"]


def _owners():
    """{organisation id: the copies a member of it stores}, as OrgOwned.copy_owner would set them."""
    return {o.pk: {"org_path": list(o.org_path), "organisation_name": o.name}
            for o in Organisation.objects.only("org_path", "name")}


def row_of(member, codes):
    """One member as a roster row, in template column order, so an export can be re-imported.

    `codes` maps organisation ids to codes, so rows need no look-up of their organisations.
    """
    org, home = ref_id(member, "organisation"), ref_id(member, "residential_org")
    return [member.name, member.gender, member.id_number, member.phone,
            normalise.iso_date(member.birth_date, "birth_date" in member.month_only),
            normalise.iso_date(member.joined_on, "joined_on" in member.month_only), codes.get(org, ""), member.post, member.duty,
            "、".join(member.categories), codes.get(home, ""), member.status]
