"""Dazi's long-term memory: every message searchable, durable facts, forgetting and export.

The embedded default needs nothing but SQLite: FTS5 with Porter stemming for English and jieba
(rjieba) segmentation for Chinese, ranked with BM25 inside each user's own history, neighbouring
turns, time hints and a small expansion table. An optional :class:`Embedder` adds dense vectors
(of each message with its preceding turn), whose similarities are fused with the lexical scores.
"""

from bot.memory.embeddings import Embedder, OpenAIEmbedder
from bot.memory.extractor import ExtractionResult, FactExtractor
from bot.memory.ingest import ContextPolicy
from bot.memory.media import MediaRecord
from bot.memory.ranking import RankingConfig
from bot.memory.recall import Recall
from bot.memory.store import MemoryStore, StoreOptions
from bot.memory.types import Fact, ForgetPreview, MemoryHit, MemoryKeys, NewMessage

__all__ = [
    "ContextPolicy",
    "Embedder",
    "ExtractionResult",
    "Fact",
    "FactExtractor",
    "ForgetPreview",
    "MediaRecord",
    "MemoryHit",
    "MemoryKeys",
    "MemoryStore",
    "NewMessage",
    "OpenAIEmbedder",
    "RankingConfig",
    "Recall",
    "StoreOptions",
]
