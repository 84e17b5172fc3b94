"""Roster import: read a spreadsheet, check every row, then write the accepted rows in bulk."""
import csv
import datetime as dt
import io
import re
import zipfile

from bson import ObjectId
from openpyxl import load_workbook

from documents import access, audit, copies, idcard
from documents.base import now
from documents.importbatch import ImportBatch
from documents.member import GENDERS, IN_SERVICE, Member
from documents.organisation import Organisation, ref_id
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
# Rows written per round trip. Large, because on FerretDB/SQLite every filtered read or
# delete scans the whole collection once (about a second per 10,000 members).
CHUNK = 5000
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m", "%Y/%m", "%Y.%m", "%Y年%m月")
_SPLIT = re.compile(r"[、,，;；\s]+")


class RosterFileError(ValueError):
    """The upload is not a roster we can read; the message says why, in Chinese."""


def template_rows():
    """Header and one example row for the downloadable template."""
    example = ["张三", "男", "11010519491231002X", "13800000000", "1949-12-31", "1975-07-01",
               "SQ01", "楼院长", "负责3号楼联系服务", "在职党员、党员领导干部", "SQ01", "在册"]
    return [h for h, _ in COLUMNS], example


def read_rows(filename, data, max_bytes):
    """Yield (row number, {key: text}) from an .xlsx or .csv upload."""
    if len(data) > max_bytes:
        raise RosterFileError(f"文件过大（{len(data) // 1024} KB），上限为 {max_bytes // 1024 // 1024} MB")
    if not data:
        raise RosterFileError("文件是空的")
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
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
    for number, values in enumerate(table, start=2):
        row = {k: _text(v) for k, v in zip(keys, values) if k}
        if any(row.values()):
            yield number, row


def _xlsx_rows(data):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterFileError("无法读取该 .xlsx 文件，请确认它是 Excel 表格") from exc
    yield from book.worksheets[0].iter_rows(values_only=True)


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
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(text):
    text = (text or "").strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("日期格式应为 2026-03-31 或 2026年3月31日")


class _Checker:
    """Turns raw rows into member values, collecting every problem with its row and column."""

    def __init__(self, user):
        visible = access.visible_org_ids(user)
        orgs = Organisation.objects.only("code", "org_type") if visible is None else \
            Organisation.objects(pk__in=visible).only("code", "org_type")
        self.orgs = {o.code: o.pk for o in orgs}
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
        values["name"] = row.get("name", "")[:40]
        if len(row.get("name", "")) > 40:
            reject("name", "姓名不能超过40个字")
        number_text = idcard.normalise(row.get("id_number"))
        values["id_number"] = number_text
        if number_text and (reason := idcard.problem(number_text)):
            reject("id_number", reason)
        code = row.get("org_code", "").upper()
        if code and code not in self.orgs:
            reject("org_code", f"组织代码 {code} 不存在或不在您的管辖范围内")
        values["organisation"] = self.orgs.get(code)
        gender = row.get("gender", "")
        if gender and gender not in GENDERS:
            reject("gender", "性别应填“男”或“女”")
        values["gender"] = gender or (idcard.gender(number_text) if not idcard.problem(number_text) else None)
        for key in ("birth_date", "joined_on"):
            try:
                values[key] = parse_date(row.get(key))
            except ValueError as exc:
                reject(key, str(exc))
        if values.get("birth_date") is None and not idcard.problem(number_text):
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
        return values, problems


def prepare(user, filename, data, max_bytes):
    """Check an upload and keep the outcome as an ImportBatch awaiting confirmation."""
    checker = _Checker(user)
    rows, rejects, seen = [], [], {}
    for number, row in read_rows(filename, data, max_bytes):
        values, problems = checker.check(number, row)
        if not problems and values["id_number"] in seen:
            problems.append({"row": number, "column": "身份证号",
                             "reason": f"与第 {seen[values['id_number']]} 行重复"})
        if problems:
            rejects.extend(problems)
            continue
        seen[values["id_number"]] = number
        rows.append((number, values))
    # One pass over the roster's id numbers: FerretDB scans the collection for any filter anyway,
    # and matching 10,000 documents against a 10,000-value $in costs more than reading them.
    existing = {doc["id_number"]: doc for doc in Member._get_collection().find(
        {}, {"id_number": 1, "organisation": 1}) if doc.get("id_number") in seen}
    creates, updates = [], []
    for number, values in rows:
        found = existing.get(values["id_number"])
        stored = _storable(values)
        if found is None:
            creates.append({"row": number, "_id": ObjectId(), **stored})
        elif checker.visible is not None and found.get("organisation") not in checker.visible:
            rejects.append({"row": number, "column": "身份证号",
                            "reason": "该身份证号已登记在您管辖范围以外的组织，请联系上级组织办理转接"})
        else:
            updates.append({"row": number, "_id": found["_id"], **stored})
    rejects.sort(key=lambda r: r["row"])
    return ImportBatch(created_by=user.pk, filename=filename, creates=creates,
                       updates=updates, rejects=rejects).save()


def _storable(values):
    out = dict(values)
    for key in ("birth_date", "joined_on"):
        if out.get(key) is not None:
            out[key] = dt.datetime.combine(out[key], dt.time())
    return out


def commit(batch, actor):
    """Write a confirmed batch: new members inserted, known ones rewritten, a chunk at a time.

    FerretDB has no transactions, and on SQLite each single update scans the whole collection,
    so 10,000 updates would take many minutes. Known members are therefore rewritten as
    delete + insert of the merged documents, which are first parked in a staging collection:
    if the process stops midway, confirming again re-applies what was parked and carries on,
    so nothing is lost or duplicated.
    """
    claimed = ImportBatch.objects(pk=batch.pk, state__in=["待确认", "导入中"]).modify(set__state="导入中", new=True)
    if claimed is None:
        raise ValueError("该批次已处理，不能重复导入")
    members, staging = Member._get_collection(), _staging()
    _apply_staged(claimed.pk, members, staging)
    stamp, owners = now(), _owners()
    already = {d["_id"] for d in members.find({"_id": {"$in": [r["_id"] for r in claimed.creates]}}, {"_id": 1})}
    fresh = [{"_id": r["_id"], **_values(r), **owners.get(r["organisation"], {}), "version": 1, "created_at": stamp,
              "updated_at": stamp} for r in claimed.creates if r["_id"] not in already]
    for start in range(0, len(fresh), CHUNK):
        members.insert_many(fresh[start:start + CHUNK], ordered=True)
    for start in range(0, len(claimed.updates), CHUNK):
        rows = claimed.updates[start:start + CHUNK]
        stored = {d["_id"]: d for d in members.find({"_id": {"$in": [r["_id"] for r in rows]}})}
        merged = [{**stored[r["_id"]], **_values(r), **owners.get(r["organisation"], {}),
                   "version": stored[r["_id"]].get("version", 0) + 1, "updated_at": stamp}
                  for r in rows if r["_id"] in stored]
        if merged:
            staging.insert_many([{"batch": claimed.pk, "doc": d} for d in merged])
            _apply_staged(claimed.pk, members, staging)
        for row in rows:
            if row["_id"] in stored and stored[row["_id"]].get("name") != row.get("name"):
                copies.refresh(Member.objects(pk=row["_id"]).first())
    audit.record(actor, "导入花名册", claimed, after={
        "文件": claimed.filename, "新增": len(claimed.creates), "更新": len(claimed.updates), "拒绝": len(claimed.rejects)},
        summary=f"导入花名册 {claimed.filename}")
    ImportBatch.objects(pk=batch.pk).update_one(set__state="已导入", set__written=len(claimed.creates) + len(claimed.updates))
    return len(claimed.creates), len(claimed.updates)


_FIELDS = [k for _, k in COLUMNS if k not in ("org_code", "residential_code")] + ["organisation", "residential_org"]


def _values(row):
    return {k: row.get(k) for k in _FIELDS}


def _owners():
    """{organisation id: the copies a member of it stores}, as OrgOwned.copy_owner would set them."""
    return {o.pk: {"org_path": list(o.org_path), "organisation_name": o.name}
            for o in Organisation.objects.only("org_path", "name")}


def _staging():
    return ImportBatch._get_db()["import_staging"]


def _apply_staged(batch_id, members, staging):
    """Replace the members parked for this batch with their merged versions, then unpark them."""
    docs = [s["doc"] for s in staging.find({"batch": batch_id})]
    if not docs:
        return
    ids = [d["_id"] for d in docs]
    members.delete_many({"_id": {"$in": ids}})
    members.insert_many(docs, ordered=True)
    staging.delete_many({"batch": batch_id})


def discard(batch):
    ImportBatch.objects(pk=batch.pk, state="待确认").update_one(set__state="已放弃")


def row_of(member, codes):
    """One member as a roster row, in template column order, so an export can be re-imported.

    `codes` maps organisation ids to codes, so rows need no look-up of their organisations.
    """
    org, home = ref_id(member, "organisation"), ref_id(member, "residential_org")
    return [member.name, member.gender, member.id_number, member.phone, member.birth_date,
            member.joined_on, codes.get(org, ""), member.post, member.duty,
            "、".join(member.categories), codes.get(home, ""), member.status]
