"""Small factories for test records, each taking overrides as keyword arguments."""
import itertools

from documents import Member, Organisation, idcard

_counter = itertools.count(1)


def make_id_number(birth="19800101"):
    first17 = f"110105{birth}{next(_counter) % 1000:03d}"
    return first17 + idcard.check_digit(first17)


def make_org(**kw):
    n = next(_counter)
    values = {"name": f"测试支部{n}", "code": f"T{n:04d}", "level": "党支部", "org_type": "社区"}
    values.update(kw)
    return Organisation(**values).save_checked(None)


def make_member(**kw):
    values = {"name": "测试党员", "id_number": make_id_number(), "organisation": Organisation.objects(code="SQ01").first()}
    values.update(kw)
    return Member(**values).save_checked(None)


def org(code):
    return Organisation.objects(code=code).first()
