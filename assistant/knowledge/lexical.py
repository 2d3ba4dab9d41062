"""Keyword search: BM25 over jieba tokens (Chinese) and light-stemmed words (English), with
domain synonyms expanding the question."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.knowledge.entries import KnowledgeEntry

CJK = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[a-z][a-z0-9'-]*|\d+")

# Words that carry no topic: question words and fillers, in both languages.
STOP_ZH = set(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "么",
        "嘛",
        "呀",
        "哦",
        "是",
        "在",
        "要",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "这些",
        "那些",
        "有",
        "没有",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "还",
        "又",
        "再",
        "才",
        "被",
        "把",
        "给",
        "对",
        "从",
        "向",
        "让",
        "得",
        "地",
        "着",
        "过",
        "一个",
        "一下",
        "一些",
        "个",
        "一",
        "上",
        "下",
        "去",
        "来",
        "看",
        "能",
        "会",
        "可以",
        "需要",
        "应该",
        "如何",
        "怎么",
        "怎样",
        "怎么样",
        "什么",
        "啥",
        "哪些",
        "哪",
        "为什么",
        "吗",
        "多少",
        "是否",
        "是不是",
        "不",
        "没",
        "很",
        "太",
        "比较",
        "最",
        "更",
        "点",
        "请问",
        "请",
        "帮",
        "帮我",
        "一般",
        "通常",
        "主要",
        "其他",
        "时候",
        "方面",
        "情况",
        "问题",
        "这种",
        "那种",
        "还是",
        "以及",
        "然后",
        "如果",
        "的话",
        "之后",
        "以后",
        "之前",
        "里",
        "中",
        "时",
        "后",
        "前",
        "呗",
        "咋",
        "咋办",
        "办",
        "干",
        "干嘛",
        "做",
        "说",
        "想",
        "知道",
        "告诉",
        "下来",
        "起来",
        "这边",
        "那边",
        "为",
        "以",
        "等",
    ]
)
STOP_EN = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "about",
        "as",
        "into",
        "over",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "when",
        "where",
        "why",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "need",
        "needs",
        "not",
        "no",
        "yes",
        "any",
        "some",
        "all",
        "there",
        "here",
        "just",
        "also",
        "too",
        "very",
        "really",
        "much",
        "many",
        "more",
        "most",
        "than",
        "again",
        "once",
        "only",
        "own",
        "same",
        "get",
        "got",
        "go",
        "going",
        "s",
        "t",
        "don",
        "doesn",
        "isn",
        "aren",
        "won",
        "let",
        "lets",
        "ok",
        "please",
        "tell",
        "know",
        "want",
        "like",
        "thing",
        "things",
        "anything",
        "something",
        "way",
        "one",
    ]
)


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, collapsed spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def stem(word: str) -> str:
    """A deliberately light English stemmer: enough to meet 'photos'/'photo', 'checked'/'check'."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


@dataclass(frozen=True)
class Synonyms:
    """Groups of terms that mean the same, normalised; read by ``search_files.load_synonyms``."""

    groups: tuple[tuple[str, ...], ...]

    def expand(self, text: str) -> list[str]:
        """The terms of every group that ``text`` mentions."""
        lowered = normalise(text)
        extra: list[str] = []
        for group in self.groups:
            if any(_mentions(lowered, term) for term in group):
                extra.extend(group)
        return extra


def _mentions(text: str, term: str) -> bool:
    if CJK.search(term):
        return term in text
    return re.search(rf"(?<![a-z]){re.escape(term)}(?![a-z])", text) is not None


class Tokenizer:
    """Splits mixed Chinese and English text into search tokens.

    Chinese is segmented by jieba. Its full dictionary takes about half a second to load, which
    is most of a cold start, so once the knowledge base is known the tokenizer is rebuilt on a
    small dictionary of the words the knowledge base actually uses (:meth:`vocabulary_dictionary`):
    a question word outside that vocabulary could never match a keyword anyway.
    """

    def __init__(self, domain_words: list[str], dictionary: Path | None = None) -> None:
        self._domain_words = domain_words
        self._dictionary = dictionary
        self._jieba: Any = None
        self._lock = threading.Lock()

    def _segmenter(self) -> Any:
        with self._lock:
            if self._jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = (
                    jieba.Tokenizer(dictionary=str(self._dictionary))
                    if self._dictionary
                    else jieba.Tokenizer()
                )
                for word in self._domain_words:
                    if CJK.fullmatch(word):
                        tokenizer.add_word(word, freq=20000)
                self._jieba = tokenizer
            return self._jieba

    def tokens(self, text: str) -> list[str]:
        text = normalise(text)
        found: list[str] = []
        for word in WORD.findall(text):
            if word not in STOP_EN:
                found.append(stem(word))
        segmenter = self._segmenter()
        for run in CJK.findall(text):
            found.extend(t for t in segmenter.cut_for_search(run) if t not in STOP_ZH)
        return found

    def vocabulary_dictionary(self, texts: list[str], path: Path) -> None:
        """Write a jieba dictionary of the Chinese words that ``texts`` segment into."""
        segmenter = self._segmenter()
        words: set[str] = set()
        for text in texts:
            for run in CJK.findall(normalise(text)):
                words.update(segmenter.cut_for_search(run))
                words.update(segmenter.cut(run))
        lines = [
            f"{word} {segmenter.FREQ.get(word) or 20000}"
            for word in sorted(words)
            if CJK.fullmatch(word)
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.replace(path)


def entry_document(entry: KnowledgeEntry) -> str:
    return "\n".join(
        [
            entry.title.zh,
            entry.title.en,
            entry.body_zh,
            entry.body_en,
            *entry.questions_zh,
            *entry.questions_en,
            *entry.keywords_zh,
            *entry.keywords_en,
        ]
    )


class LexicalIndex:
    """BM25 (Okapi) over every entry's full text in both languages."""

    def __init__(
        self, entries: list[KnowledgeEntry], tokenizer: Tokenizer, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.ids = [entry.id for entry in entries]
        self.tokenizer = tokenizer
        self.k1, self.b = k1, b
        documents = [tokenizer.tokens(entry_document(entry)) for entry in entries]
        self.term_counts = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.average_length = sum(self.lengths) / max(len(documents), 1)
        frequency: Counter[str] = Counter()
        for counts in self.term_counts:
            frequency.update(counts.keys())
        total = len(documents)
        self.idf = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }
        self.max_idf = math.log(1 + (total + 0.5) / 0.5)

    @property
    def vocabulary(self) -> set[str]:
        return set(self.idf)

    def scores(self, query_tokens: list[str]) -> dict[str, float]:
        weights = Counter(query_tokens)
        result: dict[str, float] = {}
        for entry_id, counts, length in zip(self.ids, self.term_counts, self.lengths, strict=True):
            score = 0.0
            for term, times in weights.items():
                tf = counts.get(term, 0)
                if not tf:
                    continue
                norm = (
                    tf
                    * (self.k1 + 1)
                    / (tf + self.k1 * (1 - self.b + self.b * length / self.average_length))
                )
                score += self.idf[term] * norm * (1 + math.log(times))
            if score > 0:
                result[entry_id] = score
        return result

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of the question's information (idf-weighted) that the knowledge base knows."""
        unique = set(query_tokens)
        if not unique:
            return 0.0
        total = sum(self.idf.get(t, self.max_idf) for t in unique)
        known = sum(self.idf[t] for t in unique if t in self.idf)
        return known / total
