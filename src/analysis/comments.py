"""Open comments: personal data masked, themes from Chinese word segmentation, a respondent threshold.

Comments are shown only for groups of at least ``k_comments`` respondents (default 10, Viva Glint's
threshold), masked (best effort, ``docs/comments.md``), in an order that says nothing of who answered when.

jieba is set up on first use, once per process, behind a lock, its log silenced. Measured on this
project's shared 2-core machine: the first call takes 2–6 s (import; dictionary from jieba's cache
in the temp folder); then :func:`mask_personal` takes ~0.1 ms for a 20-character comment with no
name-like word and ~2 ms with one (POS tagger): 10,000 simulated comments in 1–2 s.

References
----------
Microsoft (2024). Privacy protection in Viva Glint reporting ("For comments, the minimum response
threshold is 10"). https://learn.microsoft.com/en-us/viva/glint/setup/privacy-protection-reporting
公安部户政管理研究中心 (2021). 《二〇二〇年全国姓名报告》 (ranking of common surnames).
Sun, J. (2012–2020). jieba 0.42.1, Chinese word segmentation. https://github.com/fxsjy/jieba
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

import pandas as pd

from analysis.errors import StudyError
from analysis.privacy import MIN_GROUP_SIZE, check_min_group_size

COMMENT_THRESHOLD = 10
MASKS = {"zh": {"phone": "[电话]", "name": "[姓名]", "id": "[证件号]", "email": "[邮箱]", "account": "[账号]", "url": "[网址]"},
         "en": {"phone": "[phone]", "name": "[name]", "id": "[ID number]", "email": "[email]", "account": "[account]", "url": "[URL]"}}
# About a hundred of the most common surnames (cf. the 2020 national name report), compound surnames.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程"
            "魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常萧")
COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛", "司徒", "慕容", "令狐", "夏侯", "皇甫", "尉迟", "公孙", "长孙")
# Forms of address after a surname (王经理, 李老师, 陈姐); 总 is handled apart (何总是 is "why always").
TITLES = ("经理", "主任", "组长", "店长", "厅长", "班长", "主管", "师傅", "老师", "总监", "科长", "部长",
          "先生", "女士", "小姐", "阿姨", "叔叔", "大姐", "大哥", "姐姐", "哥哥", "姐", "哥", "叔", "姨")
# Words the name rules below would take for names: 小/老 + surname, or three characters tagged nr
# in jieba's dictionary (which tags many ordinary words nr).
NOT_NAMES = frozenset(
    "小于 小白 小钱 小段 小孔 小黄车 小马过河 小万 老于 老白干 许可证 高新区 高中生 段时间 严重性 严重者 陈列馆 陈列室 程式化 常见病 高水平 白皮书 "
    "马拉松 白开水 夏令营 龙卷风 雷阵雨 白花花 金灿灿 黄澄澄 高高的 白森森 黄绿色 向心力 严肃性 孙女儿 孙女婿 曾祖父 胡萝卜 黄金周 金字塔 石家庄 张家口 "
    "张家界 张家港 黄鹤楼 莫斯科 马其顿 白米饭 丁香花 金银花 杜鹃花 白杨树 高尔夫 唐人街 王府井 陆家嘴 徐家汇 石景山 金刚石 金元宝 陆海空 万分之 黄梅戏 "
    "龙井茶 高帽子 顾问团 胡同口 林子里 白话文 雷达站 金钱豹".split())

_SURNAME_SET = frozenset(SURNAMES)
# No title rule for surnames that are also prepositions before a title (向经理反映, 由于经理).
_TITLE_ALT = "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES.replace("向", "").replace("于", "") + "]"
_HALF = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}  # full-width ASCII → ASCII, 1:1
_CUE = r"(?:号码|号)?(?:是|为)?[ :]*"
# (kind, regex, group): applied to the half-width text in this order; earlier spans win.
_PATTERNS = [(kind, re.compile(rx, flags), grp) for kind, rx, flags, grp in [
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", 0, 0),
    ("url", (r"(?:https?://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff]+|(?<![A-Za-z0-9.@-])(?:[A-Za-z0-9-]+\.)+"
             r"(?:com|cn|net|org|gov|edu|info|top|xyz|cc|io|me)(?![A-Za-z0-9])(?:/[^\s\u4e00-\u9fff]*)?"), re.IGNORECASE, 0),
    ("id", r"(?<![0-9A-Za-z])(?:[0-9]{17}[0-9Xx]|[0-9]{6}[ -][0-9]{8}[ -][0-9]{3}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])", 0, 0),
    ("phone", r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])", 0, 0),
    ("phone", r"(?<![0-9])(?:\(0[0-9]{2,3}\) ?|0[0-9]{2,3}[ -]?)[0-9]{7,8}(?:(?:-|转|ext\.?)[0-9]{1,5})?(?![0-9])", 0, 0),
    ("phone", rf"(?:电话|手机|座机|联系方式|tel){_CUE}([0-9][0-9 -]{{5,}}[0-9])", re.IGNORECASE, 1),
    ("account", r"wxid_[A-Za-z0-9_-]+", re.IGNORECASE, 0),
    ("account", rf"(?:qq|扣扣){_CUE}([1-9][0-9]{{4,11}})(?![0-9])", re.IGNORECASE, 1),
    ("account", rf"(?:微信|vx|wx|weixin|wechat|v信){_CUE}([A-Za-z][A-Za-z0-9_-]{{5,19}}|[0-9]{{5,20}})(?![A-Za-z0-9_-])", re.IGNORECASE, 1),
    ("account", rf"(?:工号|员工号|员工编号|工牌号?){_CUE}([A-Za-z]{{0,3}}[0-9]{{3,12}})(?![0-9])", 0, 1),
    ("name", rf"[小老]?(?:{_TITLE_ALT})(?:{'|'.join(TITLES)}|总(?![是之共体结算部额监裁经]))", 0, 0),
    ("name", r"@(?:[A-Za-z0-9_.\-]{1,30}|[\u4e00-\u9fff·]{1,3})", 0, 0),
]]
# Mask tokens of both languages: masking twice changes nothing, and jieba never sees them.
_MASK_RE = re.compile("(" + "|".join(re.escape(t) for lang in MASKS.values() for t in lang.values()) + ")")

_LOCK = threading.Lock()
_STATE: dict[str, tuple] = {}
os.register_at_fork(after_in_child=lambda: globals().update(_LOCK=threading.Lock()))  # a lock held at fork


def _jieba() -> tuple:
    """(tokenizer, POS tagger, TF-IDF) of jieba, once per process. Our own Tokenizer, so nobody's
    ``jieba.add_word`` changes our results; jieba writes its dictionary cache atomically (temp + rename)."""
    if "jieba" not in _STATE:
        with _LOCK, warnings.catch_warnings():  # jieba 0.42 leaves its IDF file open
            warnings.simplefilter("ignore")
            if "jieba" not in _STATE:
                import jieba.analyse
                import jieba.posseg
                jieba.setLogLevel(logging.CRITICAL)  # progress lines; a failed cache write only slows the start
                tokenizer, tfidf = jieba.Tokenizer(), jieba.analyse.TFIDF()
                tokenizer.initialize()
                tfidf.tokenizer, tfidf.postokenizer = tokenizer, jieba.posseg.POSTokenizer(tokenizer)
                _STATE["jieba"] = (tokenizer, tfidf.postokenizer, tfidf)
    return _STATE["jieba"]


def _is_word(text: str) -> bool:
    return _jieba()[0].FREQ.get(text, 0) > 0


@functools.lru_cache(maxsize=32)
def _id_regex(id_pattern: str) -> re.Pattern:
    try:
        return re.compile(rf"(?<![A-Za-z0-9])(?:{id_pattern})(?![A-Za-z0-9])")
    except re.error as exc:
        raise ValueError(f"id_pattern={id_pattern!r} is not a regular expression ({exc}); e.g. r'S\\d{{6}}'") from None


def _spans(norm: str, id_regex: re.Pattern | None) -> list[tuple[int, int, str]]:
    patterns = _PATTERNS if id_regex is None else [*_PATTERNS[:-2], ("account", id_regex, 0), *_PATTERNS[-2:]]
    taken: list[tuple[int, int, str]] = []
    starts: set[int] | None = None  # where jieba's tokens start: 提高经理 has no surname 高
    for kind, regex, grp in patterns:
        for m in regex.finditer(norm):
            start, end = m.span(grp)
            if kind == "url":
                while end > start and norm[end - 1] in ".,;:!?)]}'\"":
                    end -= 1
            elif kind == "name" and start > 0 and norm[start] not in "小老@":
                starts = {b for _, b, _ in _jieba()[0].tokenize(norm)} if starts is None else starts
                if start not in starts:
                    continue
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, kind))
    return sorted(taken)


def _is_name(word: str, tag: str) -> bool:
    if word in NOT_NAMES:
        return False
    if len(word) == 2 and word[0] in "小老" and word[1] in _SURNAME_SET:
        return True  # 小张, 老李
    if not tag.startswith("nr") or not 2 <= len(word) <= 4 or not (word[0] in _SURNAME_SET or word[:2] in COMPOUND_SURNAMES):
        return False  # 全家福, 老师傅, 华为: tagged nr, but no surname
    # Out of the dictionary: jieba's HMM recognised a name. In it, jieba tags many ordinary
    # two-character words nr (顾客, 高峰, 谢谢, 陈列); three-character ones are mostly names.
    return not _is_word(word) or len(word) >= 3


def _mask_names(segment: str, token: str) -> str:
    if not _SURNAME_SET.intersection(segment):
        return segment
    tokenizer, pos, _ = _jieba()
    # The POS tagger takes ~2 ms: first a plain cut, for a token that could start a name (OOV ones as nr).
    if not any((len(w) == 1 and w in _SURNAME_SET) or _is_name(w, pos.word_tag_tab.get(w, "nr"))
               for w in tokenizer.cut(segment)):
        return segment
    pairs = [(p.word, p.flag) for p in pos.cut(segment)] + [("", "")]
    out, i = [], 0
    while i < len(pairs) - 1:
        (word, tag), (following, ftag) = pairs[i], pairs[i + 1]
        joined = (word in ("小", "老") and len(following) == 1 and following in _SURNAME_SET) or (  # 小 + 王 apart
            word in _SURNAME_SET and tag.startswith("nr") and len(following) == 2 and following not in NOT_NAMES
            and (ftag.startswith(("nr", "nz")) or not _is_word(following)))  # 周 + 建文: the given name apart
        out.append(token if joined or _is_name(word, tag) else word)
        i += 2 if joined else 1
    return "".join(out)


def mask_personal(text: str, *, lang: str = "zh", id_pattern: str | None = None) -> str:
    """Replace personal data in one comment by fixed tokens.

    Parameters
    ----------
    text : the comment (a non-string, e.g. NA, is returned as it is).
    lang : ``"zh"`` (``[电话] [姓名] [证件号] [邮箱] [账号] [网址]``) or ``"en"`` (``[phone] [name] ...``).
    id_pattern : regex of the study's staff ids (``r"S\\d{6}"``), masked wherever one stands alone.

    Returns
    -------
    str: e-mails, URLs, ID card numbers (18/15 digits), mobiles (+86, spaced, dashed), landlines
    (020-12345678, (0755)1234567), numbers after 电话/手机/座机, ids after QQ/微信/VX/工号, names.

    Notes
    -----
    Patterns see a half-width copy (full-width digits count); service numbers like 10000 stay. Names:
    surname + title (王经理; not 提高经理), 小/老 + surname (小王; not 小于, 老顾客, 小程序), and
    tokens jieba's POS tagger tags ``nr*`` that begin with a surname, if out of its dictionary (the
    HMM found a name) or of 3+ characters; two-character dictionary words tagged nr (顾客, 谢谢, but
    also 李娜) stay. Names with a rarer surname, or cut apart, are missed: recall about 0.9 (tests).

    Examples
    --------
    >>> mask_personal("王经理很耐心，电话138 1234 5678")
    '[姓名]很耐心，电话[电话]'
    >>> mask_personal("小王很热情，等了一个小时，老顾客了", lang="en")
    '[name]很热情，等了一个小时，老顾客了'
    """
    if lang not in MASKS:
        raise ValueError(f"lang={lang!r}: use 'zh' or 'en'")
    if not isinstance(text, str) or not text.strip():
        return text
    tokens, norm = MASKS[lang], text.translate(_HALF)
    parts, last = [], 0
    for start, end, kind in _spans(norm, _id_regex(id_pattern) if id_pattern else None):
        parts += [text[last:start], tokens[kind]]
        last = end
    pieces = _MASK_RE.split("".join(parts) + text[last:])  # odd positions: mask tokens
    return "".join(p if i % 2 else _mask_names(p, tokens["name"]) for i, p in enumerate(pieces))


def mask_series(series: pd.Series, *, lang: str = "zh", id_pattern: str | None = None) -> pd.Series:
    """:func:`mask_personal` over a Series (each distinct text masked once); NA stays NA.

    Parameters
    ----------
    series : free-text answers.
    lang, id_pattern : as in :func:`mask_personal`.

    Examples
    --------
    >>> mask_series(pd.Series(["邮箱 a.b@qq.com", "小王很好"], index=[3, 7])).to_dict()
    {3: '邮箱 [邮箱]', 7: '[姓名]很好'}
    """
    lookup = {t: mask_personal(t, lang=lang, id_pattern=id_pattern) for t in series.dropna().unique()}
    return series.where(series.isna(), series.map(lookup))


@dataclass(frozen=True)
class Lexicon:
    """A checked theme lexicon: themes (code → labels, dimension, surveys, keywords) and word lists.

    Attributes
    ----------
    themes : theme code -> label_zh, label_en, dimension, surveys, keywords (lower case).
    no_comment : answers that mean "no comment" (无, 没有), not counted as comments.
    stop_words : words left out of the keyword lists.

    Examples
    --------
    >>> lex = check_lexicon({"themes": {"waiting": {"label": {"zh": "排队", "en": "Queues"},
    ...                                            "keywords": ["排队", " 等待 "]}}, "stop_words": ["的"]})
    >>> lex.themes["waiting"]["keywords"], sorted(lex.stop_words)
    (('排队', '等待'), ['的'])
    """

    themes: dict[str, dict]
    no_comment: frozenset[str]
    stop_words: frozenset[str]


def check_lexicon(raw: Mapping | Lexicon) -> Lexicon:
    """Validate a theme lexicon as parsed from YAML; a :class:`StudyError` names the bad key.

    Parameters
    ----------
    raw : the lexicon as parsed from YAML (``themes``, ``no_comment``, ``stop_words``), or a checked one.

    Examples
    --------
    >>> lex = check_lexicon({"themes": {"waiting": {"label": {"zh": "排队", "en": "Queues"},
    ...                                            "keywords": ["排队", " 等待 "]}}, "stop_words": ["的"]})
    >>> lex.themes["waiting"]["label_en"]
    'Queues'
    >>> check_lexicon({"themes": {"waiting": {"label": {"zh": "排队"}, "keywords": ["排队"]}}})
    Traceback (most recent call last):
    ...
    analysis.errors.StudyError: comment lexicon: themes.waiting.label: needs zh and en
    """
    if isinstance(raw, Lexicon):
        return raw
    def fail(problem: str) -> NoReturn:
        raise StudyError(f"comment lexicon: {problem}")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("themes"), Mapping) or not raw["themes"]:
        fail("themes: missing or empty; give a mapping of theme codes to label, dimension and keywords")
    if "kind" in raw:
        fail("kind: a lexicon has no 'kind' key (the instrument loader would read the file as a codebook)")
    themes = {}
    for code, spec in raw["themes"].items():
        label, words = (spec.get("label"), spec.get("keywords")) if isinstance(spec, Mapping) else (None, None)
        if not (isinstance(label, Mapping) and label.get("zh") and label.get("en")):
            fail(f"themes.{code}.label: needs zh and en")
        if not (isinstance(words, list) and words and all(isinstance(w, str) and w.strip() for w in words)):
            fail(f"themes.{code}.keywords: must be a non-empty list of words")
        themes[str(code)] = {"label_zh": str(label["zh"]), "label_en": str(label["en"]), "dimension": spec.get("dimension"),
                             "surveys": tuple(spec.get("surveys") or ()), "keywords": tuple(w.strip().lower() for w in words)}
    lists = [frozenset(str(w).strip().lower() for w in raw.get(key) or ()) for key in ("no_comment", "stop_words")]
    return Lexicon(themes, *lists)


def _clean(texts: Iterable, lexicon: Lexicon) -> list[str]:
    """Non-blank comments, trimmed, without answers that only say there is none (无, 没有, n/a)."""
    pairs = [(t.strip(), t.strip().rstrip("。.!！~～…").strip().lower()) for t in texts if isinstance(t, str)]
    return [t for t, core in pairs if core and core not in lexicon.no_comment]


def _mentions(text: str, tokens: list[str], keywords: tuple[str, ...]) -> bool:
    return any((len(k) >= 3 and k in text) or any(t == k or (len(k) >= 2 and k in t) for t in tokens) for k in keywords)


def _example(candidates: list[str], width: int = 60) -> str:
    best = min(candidates, key=lambda c: (not 6 <= len(c) <= width, len(c), c), default="")  # shortest of 6-60
    return best if len(best) <= width else best[: width - 1] + "…"


THEME_COLUMNS = ["theme", "label", "label_zh", "label_en", "dimension", "n_comments", "n", "share", "example", "weight"]


def _tokenised(masked: list[str]) -> tuple[list[str], list[list[str]]]:
    """Each masked comment in lower case without its mask tokens (neither themes nor keywords), and its jieba tokens."""
    tokenizer = _jieba()[0]
    plain = [_MASK_RE.sub(" ", t).lower() for t in masked]
    return plain, [tokenizer.lcut(t) for t in plain]


def _tfidf_weights(tokens: list[list[str]]) -> list[tuple[str, float]]:
    """``jieba.analyse.extract_tags("\n".join(plain), topK=None, withWeight=True)`` from the comments' tokens.

    The same numbers (jieba cuts a text at every newline, so the joined text's words are the
    comments' tokens), without cutting every comment again for each level it is reported at.
    """
    tfidf = _jieba()[2]
    freq: dict[str, float] = {}
    for words in tokens:
        for w in words:
            if len(w.strip()) >= 2 and w.lower() not in tfidf.stop_words:
                freq[w] = freq.get(w, 0.0) + 1.0
    total = sum(freq.values())
    return [(w, f * tfidf.idf_freq.get(w, tfidf.median_idf) / total) for w, f in freq.items()]


def _themes(masked: list[str], lex: Lexicon, *, survey: str | None, lang: str, top_keywords: int,
            min_keyword_comments: int, tokenised: tuple[list[str], list[list[str]]] | None = None) -> pd.DataFrame:
    if lang not in MASKS:
        raise ValueError(f"lang={lang!r}: use 'zh' or 'en'")
    plain, tokens = tokenised or _tokenised(masked)
    n, rows = len(masked), []
    for code, spec in lex.themes.items():
        if survey is None or not spec["surveys"] or survey in spec["surveys"]:
            hits = [masked[i] for i in range(n) if _mentions(plain[i], tokens[i], spec["keywords"])]
            rows.append({"theme": code, "label": spec[f"label_{lang}"], **{k: spec[k] for k in ("label_zh", "label_en", "dimension")},
                         "n_comments": len(hits), "example": _example(hits), "weight": float("nan")})
    rows.sort(key=lambda r: (-r["n_comments"], r["theme"]))
    token_sets, keywords = [set(t) for t in tokens], []
    for word, weight in sorted(_tfidf_weights(tokens) if n else [], key=lambda p: (-p[1], p[0])):
        if len(keywords) == top_keywords:
            break
        hits = [masked[i] for i in range(n) if word in token_sets[i]]
        if word not in lex.stop_words and re.search(r"[\u4e00-\u9fffa-z]", word) and len(hits) >= min_keyword_comments:
            keywords.append({"theme": "keyword", "label": word, "label_zh": word, "label_en": word, "dimension": None,
                             "n_comments": len(hits), "example": _example(hits), "weight": weight})
    out = pd.DataFrame(rows + keywords, columns=[c for c in THEME_COLUMNS if c not in ("n", "share")])
    out["n"], out["share"] = n, out["n_comments"] / n if n else float("nan")
    return out[THEME_COLUMNS]


def comment_themes(texts: Iterable, *, lexicon: Mapping | Lexicon, survey: str | None = None, lang: str = "zh",
                   top_keywords: int = 10, min_keyword_comments: int = 2, id_pattern: str | None = None) -> pd.DataFrame:
    """Themes of a set of comments: the lexicon's themes, then the top TF-IDF keywords.

    Parameters
    ----------
    texts : comments (NA, blank and "no comment" answers such as 无 are left out).
    lexicon : ``surveys/comment_themes.yml`` as parsed (or a :class:`Lexicon`).
    survey : ``"staff"`` or ``"customer"``: the lexicon's themes for it (None: all).
    lang : language of ``label`` and of the mask tokens; ``id_pattern`` as in :func:`mask_personal`.
    top_keywords, min_keyword_comments : how many keywords, each in at least that many comments.

    Returns
    -------
    DataFrame: a row per theme (most mentioned first, ties by code), then up to ``top_keywords``
    rows of ``theme == "keyword"``: ``theme, label`` (in ``lang``), ``label_zh, label_en, dimension``
    (the study's code or None), ``n_comments`` (mentioning it), ``n`` (comments), ``share``
    (n_comments / n), ``example`` (masked; the shortest of 6–60 characters, ties by text), ``weight``.

    Notes
    -----
    A comment mentions a theme when one of its jieba tokens is or contains a keyword (产品培训
    contains 培训), or a keyword of three or more characters occurs in it. Keywords: ranked by
    ``jieba.analyse.extract_tags`` (term frequency × jieba's IDF; ``weight``, NaN for themes), ties by
    the word, no stop words. Masked first, so no name is a keyword. No threshold: see :func:`comment_tables`.

    Examples
    --------
    >>> lex = {"themes": {"waiting": {"label": {"zh": "排队", "en": "Queues"}, "keywords": ["排队"]}}}
    >>> comment_themes(["排队太久", "态度很好", ""], lexicon=lex, top_keywords=0)[["theme", "n_comments", "n"]]
         theme  n_comments  n
    0  waiting           1  2
    """
    lex = check_lexicon(lexicon)
    masked = [mask_personal(t, lang=lang, id_pattern=id_pattern) for t in _clean(texts, lex)]
    return _themes(masked, lex, survey=survey, lang=lang, top_keywords=top_keywords, min_keyword_comments=min_keyword_comments)


def comment_tables(
    frame: pd.DataFrame, *, text: str, group: str | list[str], lexicon: Mapping | Lexicon, survey: str | None = None,
    k_comments: int = COMMENT_THRESHOLD, k: int = MIN_GROUP_SIZE, respondents: pd.Series | Mapping[str, pd.Series] | None = None,
    seed: int = 0, lang: str = "zh", id_pattern: str | None = None, top_keywords: int = 10,
) -> dict[str, pd.DataFrame]:
    """Masked comments and their themes for every group with at least ``k_comments`` respondents.

    Parameters
    ----------
    frame : one row per respondent, with the comment column ``text`` (blank for none).
    group : the group column, or several (e.g. ``["branch_id", "district", "company"]``).
    respondents : respondents per group (Series by group value; for several levels a mapping level →
        Series) if ``frame`` lacks some; default: rows per group. Respondents count, not comments.
    k_comments : the comment threshold (default 10), never below the study's ``k``.
    seed : order of the comments in a group: a keyed hash of the text, not row order or answer time.
    lexicon, survey, lang, id_pattern, top_keywords : as in :func:`comment_themes`.

    Returns
    -------
    dict of ``comment_groups`` (level, group, n, n_comments), ``comments`` (level, group, comment),
    ``comment_themes`` (level, group, :func:`comment_themes`' columns): groups of n >= k_comments only.

    Notes
    -----
    10, not the k of the figures, is Viva Glint's default comment threshold: 10 responses to the
    survey in the group, however many commented (Microsoft 2024). A comment can give its writer
    away where a mean cannot, and masking is best effort: show comments only to the group's manager.

    Examples
    --------
    >>> lex = {"themes": {"waiting": {"label": {"zh": "排队", "en": "Queues"}, "keywords": ["排队"]}}}
    >>> data = pd.DataFrame({"b": ["x"] * 10 + ["y"] * 9, "c": ["排队太久"] + [""] * 18})
    >>> comment_tables(data, text="c", group="b", lexicon=lex)["comment_groups"]
      level group   n  n_comments
    0     b     x  10           1
    """
    if k_comments < check_min_group_size(k):
        raise ValueError(f"k_comments={k_comments} is below the minimum reporting size k={k}; use k_comments >= {k}")
    levels = [group] if isinstance(group, str) else list(group)
    for col in [text, *levels]:
        if col not in frame.columns:
            raise KeyError(f"comment_tables: column '{col}' not in the data (columns: {', '.join(map(str, frame.columns))})")
    lex = check_lexicon(lexicon)
    valid = frame[text].map(lambda t: bool(_clean([t], lex)))
    masked_all = mask_series(frame.loc[valid, text].map(str.strip), lang=lang, id_pattern=id_pattern)
    # cut once: every comment is reported at each level (branch, district, company)
    plain_all, tokens_all = _tokenised(masked_all.tolist())
    cut = dict(zip(masked_all.tolist(), zip(plain_all, tokens_all)))
    groups, comments, themes = [], [], []
    for level in levels:
        sizes = rows = frame[level].value_counts()
        if respondents is not None:
            given = respondents.get(level) if isinstance(respondents, Mapping) else respondents
            if given is None:
                raise KeyError(f"respondents: no counts for level '{level}'; give a Series per level")
            sizes = pd.Series(given).reindex(rows.index).fillna(0)
            for g in sizes.index[sizes < rows]:
                raise ValueError(f"respondents: group '{g}' of '{level}' has {int(sizes[g])} respondents but "
                                 f"{int(rows[g])} rows of data; give the number of all its respondents")
        for g in sorted((g for g in sizes.index if sizes[g] >= k_comments), key=str):
            masked = masked_all[(frame.loc[valid, level] == g).to_numpy()].tolist()
            masked.sort(key=lambda c: (hashlib.blake2b(f"{seed}\x1f{level}\x1f{g}\x1f{c}".encode(), digest_size=8).digest(), c))
            groups.append({"level": level, "group": g, "n": int(sizes[g]), "n_comments": len(masked)})
            comments += [{"level": level, "group": g, "comment": c} for c in masked]
            if masked:
                table = _themes(masked, lex, survey=survey, lang=lang, top_keywords=top_keywords, min_keyword_comments=2,
                                tokenised=([cut[c][0] for c in masked], [cut[c][1] for c in masked]))
                themes.append(table.assign(level=level, group=g))
    cols = ["level", "group", *THEME_COLUMNS]
    return {"comment_groups": pd.DataFrame(groups, columns=["level", "group", "n", "n_comments"]),
            "comments": pd.DataFrame(comments, columns=["level", "group", "comment"]),
            "comment_themes": pd.concat(themes, ignore_index=True)[cols] if themes else pd.DataFrame(columns=cols)}
