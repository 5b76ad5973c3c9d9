"""Simulated open comments tied to each respondent's scores, with a little personal data in them.

Staff suggestions and customer comments for :mod:`analysis.simulate`. A respondent who writes
(a ``share`` of them, drawn independently) writes about the dimension they score lowest when it
is clearly low (below ``weak`` on the standardised latent scale the simulator draws), sometimes
adding the second lowest; otherwise, if their highest dimension is clearly high, a positive
remark about it; otherwise a neutral remark. Each dimension has several phrasings whose words
belong to its theme in ``surveys/comment_themes.yml`` (so themes found in simulated comments
follow the simulated scores), with varied openings and endings. About ``pii_rate`` of the comments get personal data injected (a
mobile number in one of its written forms, a surname with a title, a staff id after 工号, 小/老 +
surname), all of forms that :func:`analysis.comments.mask_personal` masks, so masking is exercised.

Pure functions: frames and a ``numpy.random.Generator`` in, a Series out (blank for respondents
who wrote nothing, as the questionnaire exports have it). :func:`add_comments` fills a simulated
wave's two open questions with them; :func:`analysis.simulate.simulate_wave` gives it a generator
of its own (``default_rng([seed, follow_up, 3])``) so the simulator's other draws stay as they were.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

STAFF_WEAK = {
    "TS": ["指标下达缺乏依据，希望分解时参考客流和历史业绩", "任务指标定得太高，希望结合本厅实际情况分解",
           "指标都是上级直接摊派的，希望下达前先和我们商量", "希望目标分解到人时考虑每个人的岗位和能力"],
    "CO": ["希望厅经理多到现场指导，业绩落后时帮忙分析原因", "新员工缺少带教，希望安排老员工辅导",
           "平时很少有人跟踪进度，月底才知道完不成", "希望上级在营销现场多给一些实时辅导"],
    "EF": ["考核标准不透明，希望公开评分规则", "考核不够公平，有些人总是被照顾",
           "希望考核时一视同仁，按事先定好的标准打分", "考核只看销量，希望也参考客户评价"],
    "FB": ["考核结果出来后没有人反馈，不知道哪里需要改进", "希望每月有一次绩效面谈",
           "扣分和罚款太多，奖惩不对等", "希望及时反馈考核结果，做得好的也要表彰"],
    "CM": ["领导很少和我们沟通，有想法也没地方说", "希望例会上多听取一线员工的意见",
           "上下级之间交流太少，政策传达不及时", "希望多开晨会，及时沟通营销情况"],
    "IN": ["奖金太少，和付出不成正比", "希望提高提成比例，多劳多得",
           "薪酬待遇偏低，留不住人", "希望奖励及时兑现，激励要跟上"],
    "TC": ["同事之间竞争太激烈，有时会抢单", "团队氛围一般，希望多组织活动增进协作",
           "希望大家互相配合，不要只顾自己的业绩", "内部竞争影响合作，希望按团队考核一部分"],
    "TD": ["希望增加产品和销售技巧培训", "新业务上线太快，培训跟不上",
           "希望多安排学习机会，提升技能", "培训内容太理论，希望多讲实际案例"],
}
STAFF_STRONG = {
    "TS": ["今年的指标分解比较合理"], "CO": ["厅经理经常现场指导，帮助很大"],
    "EF": ["考核标准清楚，总体比较公平"], "FB": ["每月的绩效反馈很有帮助"],
    "CM": ["上级沟通比较及时，有问题能反映"], "IN": ["奖金发放及时，激励效果不错"],
    "TC": ["团队氛围很好，同事之间互相帮助"], "TD": ["培训安排得不错，学到很多"],
}
STAFF_NEUTRAL = ["暂时没有什么建议", "希望继续保持", "总体还可以", "希望公司越来越好", "无"]

CUSTOMER_WEAK = {
    "SAT": ["整体体验一般，有点失望", "不太满意，下次不想再来了", "这次体验很差"],
    "ATT": ["营业员态度冷淡，问问题爱答不理", "服务态度有待提高，不够耐心", "总是推销我不需要的套餐，态度不好"],
    "KNO": ["营业员对套餐不熟悉，讲解不清楚", "问了几个问题都解释不了，不够专业", "介绍的业务和实际不一样"],
    "RES": ["问题没有解决，跑了好几趟", "投诉之后一直没有回复", "说好跟进的事情没人处理"],
    "WAI": ["排队时间太长", "等了快一个小时才办上", "窗口开得太少，效率太低", "叫号太慢，希望多开几个窗口"],
}
CUSTOMER_STRONG = {
    "SAT": ["很满意，下次还会再来", "总体体验很好，点赞"],
    "ATT": ["营业员态度很好", "服务热情，很有耐心", "工作人员很有礼貌"],
    "KNO": ["营业员很专业，讲解清楚", "推荐的套餐很合适，介绍得很详细"],
    "RES": ["问题一次就解决了", "处理得很快，很满意"],
    "WAI": ["不用排队，效率很高", "办理速度很快"],
}
CUSTOMER_NEUTRAL = ["还可以", "一般", "希望继续保持", "没有意见", "无"]

# Openings and endings, so that two respondents with the same concern seldom write the same line.
_OPENINGS = ["", "", "", "个人觉得", "说实话，", "总的来说，"]
_ENDINGS = ["", "", "。", "，谢谢", "！", "。希望领导重视"]
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭林罗郑梁谢宋唐许韩冯邓曹彭曾")
_TITLES = ["经理", "店长", "主任", "组长", "师傅"]


def _mobile(rng: np.random.Generator) -> str:
    digits = "1" + str(rng.choice([3, 5, 7, 8, 9])) + "".join(str(d) for d in rng.integers(0, 10, 9))
    form = int(rng.integers(4))
    if form == 1:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if form == 2:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return ("+86 " if form == 3 else "") + digits


def _pii(rng: np.random.Generator, *, staff: bool) -> str:
    surname, title = str(rng.choice(_SURNAMES)), str(rng.choice(_TITLES))
    forms = [f"有问题可以打我电话{_mobile(rng)}", f"{surname}{title}人很好", f"小{surname}很热情"]
    if staff:
        forms += [f"希望{surname}{title}多关心大家", f"我的工号是S{int(rng.integers(100000, 200000))}"]
    else:
        forms += [f"联系电话{_mobile(rng)}", f"这次多亏了{surname}{title}"]
    return forms[int(rng.integers(len(forms)))]


def _comments(scores: pd.DataFrame, rng: np.random.Generator, *, share: float, weak_t: dict, strong_t: dict,
              neutral: list[str], pii_rate: float, weak: float, staff: bool, name: str) -> pd.Series:
    if not 0 <= share <= 1 or not 0 <= pii_rate <= 1:
        raise ValueError(f"share={share}, pii_rate={pii_rate}: both must lie in [0, 1]")
    dims = [d for d in weak_t if d in scores.columns]
    if not dims:
        raise ValueError(f"{name}: none of the dimensions {', '.join(weak_t)} is a column of the scores")
    values = scores[dims].to_numpy(dtype=float)
    writes = rng.random(len(values)) < share
    out = np.full(len(values), "", dtype=object)
    for i in np.flatnonzero(writes):
        row = np.where(np.isnan(values[i]), 0.0, values[i])
        order = np.argsort(row, kind="stable")
        if row[order[0]] < weak:
            picked = [dims[order[0]]]
            if len(dims) > 1 and row[order[1]] < weak and rng.random() < 0.3:
                picked.append(dims[order[1]])
            text = "；".join(str(rng.choice(weak_t[d])) for d in picked)
        elif row[order[-1]] > -weak and rng.random() < 0.6:
            text = str(rng.choice(strong_t[dims[order[-1]]]))
        else:
            text = str(rng.choice(neutral))
        if text not in neutral:
            if text.startswith("希望") and rng.random() < 0.4:
                text = "建议" + text[2:]
            text = f"{rng.choice(_OPENINGS)}{text}{rng.choice(_ENDINGS if staff else _ENDINGS[:5])}"
        if rng.random() < pii_rate:
            # After the remark, its closing 。 or ！ goes: "体验很差，朱店长人很好", not "体验很差。，朱店长".
            text = f"{text.rstrip('。！')}，{_pii(rng, staff=staff)}" if rng.random() < 0.5 else f"{_pii(rng, staff=staff)}，{text}"
        out[i] = text
    return pd.Series(out, index=scores.index, name=name, dtype=object)


def staff_suggestions(dimension_scores: pd.DataFrame, rng: np.random.Generator, share: float = 0.35, *,
                      pii_rate: float = 0.03, weak: float = -0.5) -> pd.Series:
    """Simulated answers to the staff survey's open question ``suggestion``.

    Parameters
    ----------
    dimension_scores : one row per staff member, columns the practice dimensions (TS, CO, EF, FB,
        CM, IN, TC, TD; others ignored) on the standardised latent scale of the simulator.
    rng : the random generator (give it one of its own).
    share : expected share of staff who write something.
    pii_rate : expected share of the written suggestions with personal data injected.
    weak : a dimension below this is clearly low (and above ``-weak`` clearly high).

    Returns
    -------
    Series named ``suggestion`` on the index of ``dimension_scores``; ``""`` for no suggestion.

    Examples
    --------
    >>> scores = pd.DataFrame({"TS": [0.0, 0.2], "TD": [-2.0, 0.1]})
    >>> staff_suggestions(scores, np.random.default_rng(3), share=1.0, pii_rate=0.0).str.len().gt(0).all()
    np.True_
    """
    return _comments(dimension_scores, rng, share=share, weak_t=STAFF_WEAK, strong_t=STAFF_STRONG, neutral=STAFF_NEUTRAL,
                     pii_rate=pii_rate, weak=weak, staff=True, name="suggestion")


def customer_comments(customer_scores: pd.DataFrame, rng: np.random.Generator, share: float = 0.2, *,
                      pii_rate: float = 0.03, weak: float = -0.5) -> pd.Series:
    """Simulated answers to the customer survey's open question ``comment``.

    Parameters
    ----------
    customer_scores : one row per customer, columns SAT, ATT, KNO, RES, WAI (others ignored) on the
        simulator's standardised latent scale.
    rng, share, pii_rate, weak : as in :func:`staff_suggestions`.

    Returns
    -------
    Series named ``comment`` on the index of ``customer_scores``; ``""`` for no comment.

    Examples
    --------
    >>> scores = pd.DataFrame({"WAI": [-2.0, 0.0], "SAT": [0.5, 1.5]})  # the first waited long, the second was pleased
    >>> customer_comments(scores, np.random.default_rng(3), share=1.0, pii_rate=0.0).tolist()
    ['说实话，排队时间太长！', '个人觉得总体体验很好，点赞。']
    """
    return _comments(customer_scores, rng, share=share, weak_t=CUSTOMER_WEAK, strong_t=CUSTOMER_STRONG,
                     neutral=CUSTOMER_NEUTRAL, pii_rate=pii_rate, weak=weak, staff=False, name="comment")


#: Keys of the ``comments`` section of the generating model, with the defaults of the functions above.
COMMENT_DEFAULTS = {"staff_share": 0.35, "customer_share": 0.2, "pii_rate": 0.03, "weak": -0.5}


def add_comments(staff: pd.DataFrame, customers: pd.DataFrame, staff_scores: pd.DataFrame, customer_scores: pd.DataFrame,
                 rng: np.random.Generator, cfg: Mapping | None = None) -> dict:
    """Write ``suggestion`` into ``staff`` and ``comment`` into ``customers`` (in place); return their truth.

    Parameters
    ----------
    staff, customers : the survey exports, one row per respondent.
    staff_scores, customer_scores : the respondents' latent dimension scores, row for row.
    rng : the comments' own random generator.
    cfg : the ``comments`` section of the generating model (keys of ``COMMENT_DEFAULTS``).

    Returns
    -------
    dict with the settings used and the numbers of staff and customers who wrote something.

    Examples
    --------
    >>> staff, customers = pd.DataFrame({"staff_id": ["S1", "S2"]}), pd.DataFrame({"customer_id": ["C1"]})
    >>> truth = add_comments(staff, customers, pd.DataFrame({"TD": [-2.0, 0.0]}), pd.DataFrame({"WAI": [-2.0]}),
    ...                      np.random.default_rng(1), {"staff_share": 1.0, "customer_share": 1.0, "pii_rate": 0.0})
    >>> truth["staff_comments"], truth["customer_comments"], list(staff.columns)
    (2, 1, ['staff_id', 'suggestion'])
    """
    unknown = sorted(set(cfg or {}) - set(COMMENT_DEFAULTS))
    if unknown:
        raise ValueError(f"simulation model: comments has unknown key(s) {', '.join(unknown)}; "
                         f"use {', '.join(COMMENT_DEFAULTS)}")
    settings = {**COMMENT_DEFAULTS, **(cfg or {})}
    common = {"pii_rate": settings["pii_rate"], "weak": settings["weak"]}
    staff["suggestion"] = staff_suggestions(staff_scores, rng, settings["staff_share"], **common).to_numpy()
    customers["comment"] = customer_comments(customer_scores, rng, settings["customer_share"], **common).to_numpy()
    return {**settings, "staff_comments": int(staff["suggestion"].ne("").sum()),
            "customer_comments": int(customers["comment"].ne("").sum())}
