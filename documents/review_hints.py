"""Hints for the reviewer at 审诺, never blocking: items hard to check, copied, or too few or too many.

The similarity check reads one branch's pledges of the year (two equalities FerretDB pushes down)
and compares character bigrams in Python, so its cost is bounded by the size of one branch.
"""
import re
from dataclasses import dataclass

from documents.organisation import ref_id
from documents.pledge import Pledge

VAGUE_WORDS = ("进一步", "积极", "努力", "认真", "切实", "不断", "大力", "尽力", "争取", "全面", "加强", "提高",
               "充分", "着力", "持续", "主动")
# Words that say nothing about what or how much: what remains of a vague item once they are gone is its object.
FILLERS = VAGUE_WORDS + ("做好", "搞好", "工作", "各项", "本职", "相关", "有关", "方面", "发挥", "作用", "带头",
                         "模范", "水平", "质量", "意识", "能力", "服务", "增强", "推进", "落实", "履行", "职责", "参与",
                         "自己", "本人", "更好", "更加", "好", "的", "地", "和", "与")
MEASURE = re.compile(r"[0-9０-９%％]|[一二两三四五六七八九十百千万]+\s*[次个户人项件场天元名期篇条家所处批周月年份小]"
                     r"|每[天日周月季年]|全部|全年无")
_NOISE = re.compile(r"[\s，。、；：！？“”‘’（）《》,.;:!?()\"'\-]")
SIMILAR = 0.8         # character-bigram Dice coefficient from which two items count as the same text
MANY = 2              # other pledges of the branch holding the same item before it is worth a hint
NAMES_SHOWN = 5
BRANCH_LIMIT = 2000   # pledges of one branch and year read for the comparison


@dataclass
class Hint:
    item: int | None  # index of the item it points at; None for the pledge as a whole
    text: str

    @property
    def where(self):
        return f"第{self.item + 1}条" if self.item is not None else "整份承诺"


def hints(pledge):
    """Every hint for one pledge, item by item, the pledge-wide ones first."""
    found = _count_hints(pledge)
    for index, item in enumerate(pledge.items):
        found += _item_hints(index, item)
    found += _similar_hints(pledge) + _last_year_hints(pledge)
    return sorted(found, key=lambda h: -1 if h.item is None else h.item)


def measurable(text):
    """True when the text names a number, a share or a frequency."""
    return bool(MEASURE.search(text or ""))


def vague_words(text):
    """The vague words of a text that says nothing measurable and names no object; [] when it is concrete."""
    words = [w for w in VAGUE_WORDS if w in (text or "")]
    if not words or measurable(text):
        return []
    rest = _NOISE.sub("", text)
    for filler in sorted(FILLERS, key=len, reverse=True):
        rest = rest.replace(filler, "")
    return words if len(rest) <= 3 else []


def bigrams(text):
    """A text's character bigrams, punctuation and spaces ignored."""
    text = _plain(text)
    return {text[i:i + 2] for i in range(len(text) - 1)}


def dice(x, y):
    """Dice coefficient of two bigram sets: 1 for the same text, 0 for nothing in common."""
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _plain(text):
    return _NOISE.sub("", text or "")


def _count_hints(pledge):
    low, high = pledge.template.item_limits(pledge.member_categories)
    count = len(pledge.items)
    if count < low:
        return [Hint(None, f"只有 {count} 条承诺事项，模板要求至少 {low} 条")]
    if count > high:
        return [Hint(None, f"有 {count} 条承诺事项，模板要求最多 {high} 条")]
    return []


def _item_hints(index, item):
    found = []
    if not (item.expected or "").strip():
        found.append(Hint(index, "没有填写预期效果"))
    elif not measurable(item.expected):
        found.append(Hint(index, f"预期效果“{item.expected}”没有可衡量的数字或标准"))
    if item.deadline is None:
        found.append(Hint(index, "没有填写完成时限"))
    words = vague_words(item.content)
    if words:
        found.append(Hint(index, "“" + "”“".join(words) + "”等说法没有数字也没有具体对象，建议写明做什么、做多少"))
    return found


def _similar_hints(pledge):
    """Items that other pledges of the same branch and year hold in (nearly) the same words, naming whose."""
    others = [p for p in Pledge.objects(organisation=ref_id(pledge, "organisation"), year=pledge.year)
              .only("items", "scope", "member_name", "organisation_name").no_dereference().limit(BRANCH_LIMIT)
              if p.pk != pledge.pk]
    texts = [(p.pledger, bigrams(i.content)) for p in others for i in p.items if i.content]
    found = []
    for index, item in enumerate(pledge.items):
        mine = bigrams(item.content)
        if not mine:
            continue
        who = list(dict.fromkeys(name for name, theirs in texts if dice(mine, theirs) >= SIMILAR))
        if len(who) >= MANY:
            names = "、".join(who[:NAMES_SHOWN]) + ("等" if len(who) > NAMES_SHOWN else "")
            found.append(Hint(index, f"本支部另有 {len(who)} 份承诺写了相同或几乎相同的事项：{names}"))
    return found


def _last_year_hints(pledge):
    """Items copied unchanged from the same pledger's pledge of the year before."""
    if pledge.scope == "member":
        earlier = Pledge.objects(member=ref_id(pledge, "member"), year=pledge.year - 1)
    else:
        earlier = Pledge.objects(organisation=ref_id(pledge, "organisation"), scope="org", year=pledge.year - 1)
    old = {}
    for previous in earlier.only("items").no_dereference():
        for number, item in enumerate(previous.items, start=1):
            old.setdefault(_plain(item.content), number)
    return [Hint(index, f"与{pledge.year - 1}年承诺的第{old[_plain(item.content)]}条一字不差，是否照搬了去年的承诺？")
            for index, item in enumerate(pledge.items) if _plain(item.content) and _plain(item.content) in old]
