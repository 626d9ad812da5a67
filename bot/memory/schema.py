"""The memory component's tables: search indexes over the core ``messages`` table, facts, vectors.

SQLite (:data:`MEMORY_MIGRATIONS`):

Full-text search uses one FTS5 table for messages and one for facts, both with the Porter stemmer
over unicode61 and ``detail=none`` (no positions: the ranker only needs which rows hold a term,
which keeps the index small and ingest fast). Every indexed term carries a short per-scope prefix
(see :mod:`bot.memory.index`), so one user's terms never match another user's rows and a search
reads only the postings of its own scope, however large the table grows.

PostgreSQL (:data:`MEMORY_POSTGRES_MIGRATIONS`, same versions, tables and columns): each index
table keeps the same ``rowid`` and ``body`` (the same prefixed, segmented words), plus a
``tsvector`` made of exactly those words, with a GIN index. The words are not parsed again (no
text search configuration splits them): ``memory_lexeme`` stems the English word after the scope
prefix with PostgreSQL's Snowball stemmer (``english_stem``; FTS5 uses Porter) and keeps
everything else as it is, so Chinese words stay jieba's.
"""

from __future__ import annotations

from bot.storage import Migration

__all__ = ["MEMORY_MIGRATIONS", "MEMORY_POSTGRES_MIGRATIONS"]

MEMORY_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        -- One row per memory scope (a user's private memory or a group's): the short key that
        -- prefixes its index terms, and the counts the ranker needs (documents, indexed terms).
        CREATE TABLE memory_scopes (
            key INTEGER PRIMARY KEY AUTOINCREMENT,
            scope_id INTEGER NOT NULL UNIQUE,
            docs INTEGER NOT NULL DEFAULT 0,
            terms INTEGER NOT NULL DEFAULT 0
        );
        -- rowid = messages.id; body = the message's prefixed terms, space separated.
        CREATE VIRTUAL TABLE memory_fts USING fts5(
            body, detail=none, columnsize=0, tokenize='porter unicode61 remove_diacritics 2'
        );
        -- Durable knowledge distilled from the conversation. An update never overwrites: the old
        -- fact becomes 'superseded' and points at its replacement; 'deleted' = no longer true.
        CREATE TABLE memory_facts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            subject TEXT,                            -- whom or what the fact is about
            kind TEXT NOT NULL DEFAULT 'fact',       -- preference, plan, biography, ...
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'superseded', 'deleted')),
            superseded_by INTEGER REFERENCES memory_facts (id) ON DELETE SET NULL,
            source_message_ids TEXT NOT NULL DEFAULT '[]',   -- JSON list of messages.id
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX memory_facts_scope ON memory_facts (scope_id, status, id);
        CREATE INDEX memory_facts_superseded_by ON memory_facts (superseded_by);
        -- rowid = memory_facts.id; every fact that still exists, whatever its status.
        CREATE VIRTUAL TABLE memory_fact_fts USING fts5(
            body, detail=none, columnsize=0, tokenize='porter unicode61 remove_diacritics 2'
        );
        -- Time hints ("last week") select a scope's messages by date.
        CREATE INDEX memory_messages_scope_at ON messages (scope_id, at);
        -- Dense vectors when sqlite-vec cannot be loaded: unit-length float32 blobs.
        CREATE TABLE memory_vectors (
            kind TEXT NOT NULL CHECK (kind IN ('message', 'fact')),
            item_id INTEGER NOT NULL,
            scope_id INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (kind, item_id)
        ) WITHOUT ROWID;
        CREATE INDEX memory_vectors_scope ON memory_vectors (scope_id, kind, item_id);
        -- Items still waiting for a vector (the embedder was busy, down or not yet called).
        CREATE TABLE memory_embed_queue (
            kind TEXT NOT NULL CHECK (kind IN ('message', 'fact')),
            item_id INTEGER NOT NULL,
            PRIMARY KEY (kind, item_id)
        ) WITHOUT ROWID;
        -- Settings of the component, e.g. the vector backend and dimension once chosen.
        CREATE TABLE memory_meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    Migration(
        2,
        """
        -- Validity of a fact: when it stopped being true (superseded or retracted), and the
        -- message that said so (the user's "I moved to Berlin"). NULL while the fact holds.
        ALTER TABLE memory_facts ADD COLUMN valid_until TEXT;
        ALTER TABLE memory_facts ADD COLUMN ended_by_message_id INTEGER;
        UPDATE memory_facts SET valid_until = updated_at WHERE status != 'active';
        """,
    ),
    Migration(
        3,
        """
        -- What a message carried besides text (voice note, photo, document): never the bytes,
        -- the Telegram file id and what was understood. Goes with its message when forgotten.
        CREATE TABLE memory_media (
            message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            kind TEXT NOT NULL,                     -- voice, audio, video_note, photo, document
            file_id TEXT NOT NULL,                  -- Telegram's, to send the file again
            file_unique_id TEXT,
            duration REAL,                          -- seconds, for sound
            file_name TEXT,
            mime_type TEXT,
            part INTEGER,                           -- a document chunk's number, 1-based
            content TEXT NOT NULL DEFAULT ''        -- transcript, description or text
        );
        CREATE INDEX memory_media_message ON memory_media (message_id);
        """,
    ),
    Migration(
        4,
        """
        -- Summaries of stretches of conversation (a session, a topic), written in the background
        -- with the facts. Extra search keys: a summary matching a question lifts the messages
        -- of its stretch (first_message_id..last_message_id of the scope).
        CREATE TABLE memory_summaries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            scope_id INTEGER NOT NULL,
            text TEXT NOT NULL,
            first_message_id INTEGER NOT NULL,
            last_message_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX memory_summaries_scope ON memory_summaries (scope_id, first_message_id);
        -- rowid = memory_summaries.id.
        CREATE VIRTUAL TABLE memory_summary_fts USING fts5(
            body, detail=none, columnsize=0, tokenize='porter unicode61 remove_diacritics 2'
        );
        """,
    ),
]


#: The same schema on PostgreSQL (see the module docstring); versions match the SQLite ones.
MEMORY_POSTGRES_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        """
        CREATE TABLE memory_scopes (
            key BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            scope_id BIGINT NOT NULL UNIQUE,
            docs BIGINT NOT NULL DEFAULT 0,
            terms BIGINT NOT NULL DEFAULT 0
        );
        -- One stored index word ("cfxrecommended", "bx吉他") as its lexeme: the scope prefix,
        -- then the word stemmed (English) or as it is; capped far below the lexeme size limit.
        CREATE FUNCTION memory_lexeme(term TEXT) RETURNS TEXT
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN coalesce(substring(term from '^[bcdfghjklmnpqrstvw]*[xz]'), '')
                || coalesce(
                    (ts_lexize('english_stem',
                        left(substring(term from '^[bcdfghjklmnpqrstvw]*[xz]?(.*)$'), 200)))[1],
                    left(substring(term from '^[bcdfghjklmnpqrstvw]*[xz]?(.*)$'), 200));
        -- A stored body (space-separated words) as a tsvector, word for word.
        CREATE FUNCTION memory_tsvector(body TEXT) RETURNS tsvector
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN array_to_tsvector(ARRAY(
                SELECT memory_lexeme(word) FROM unnest(string_to_array(body, ' ')) AS word
                WHERE word <> ''));
        -- The query matching the rows that hold one stored word (the lexeme quoted: chr(39)
        -- is the quote, chr(92) the backslash).
        CREATE FUNCTION memory_query(term TEXT) RETURNS tsquery
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN (chr(39) || replace(replace(memory_lexeme(term), chr(92), chr(92) || chr(92)),
                chr(39), chr(39) || chr(39)) || chr(39))::tsquery;
        -- rowid = messages.id; body = the message's prefixed terms, space separated.
        CREATE TABLE memory_fts (
            rowid BIGINT PRIMARY KEY,
            body TEXT NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (memory_tsvector(body)) STORED
        );
        CREATE INDEX memory_fts_tsv ON memory_fts USING gin (tsv);
        CREATE TABLE memory_facts (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            scope_id BIGINT NOT NULL,
            text TEXT NOT NULL,
            subject TEXT,
            kind TEXT NOT NULL DEFAULT 'fact',
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'superseded', 'deleted')),
            superseded_by BIGINT REFERENCES memory_facts (id) ON DELETE SET NULL,
            source_message_ids TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX memory_facts_scope ON memory_facts (scope_id, status, id);
        CREATE INDEX memory_facts_superseded_by ON memory_facts (superseded_by);
        CREATE TABLE memory_fact_fts (
            rowid BIGINT PRIMARY KEY,
            body TEXT NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (memory_tsvector(body)) STORED
        );
        CREATE INDEX memory_fact_fts_tsv ON memory_fact_fts USING gin (tsv);
        CREATE INDEX memory_messages_scope_at ON messages (scope_id, at);
        -- Dense vectors: unit-length float32 bytes, scored in Python (where the server has
        -- pgvector, a vector(N) column takes them instead: bot/memory/embeddings.py).
        CREATE TABLE memory_vectors (
            kind TEXT NOT NULL CHECK (kind IN ('message', 'fact')),
            item_id BIGINT NOT NULL,
            scope_id BIGINT NOT NULL,
            vector BYTEA NOT NULL,
            PRIMARY KEY (kind, item_id)
        );
        CREATE INDEX memory_vectors_scope ON memory_vectors (scope_id, kind, item_id);
        CREATE TABLE memory_embed_queue (
            kind TEXT NOT NULL CHECK (kind IN ('message', 'fact')),
            item_id BIGINT NOT NULL,
            PRIMARY KEY (kind, item_id)
        );
        CREATE TABLE memory_meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    # Portable as written for SQLite (the PostgreSQL layer maps the column types).
    Migration(2, MEMORY_MIGRATIONS[1].sql),
    Migration(3, MEMORY_MIGRATIONS[2].sql),
    Migration(
        4,
        """
        CREATE TABLE memory_summaries (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            scope_id BIGINT NOT NULL,
            text TEXT NOT NULL,
            first_message_id BIGINT NOT NULL,
            last_message_id BIGINT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX memory_summaries_scope ON memory_summaries (scope_id, first_message_id);
        CREATE TABLE memory_summary_fts (
            rowid BIGINT PRIMARY KEY,
            body TEXT NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (memory_tsvector(body)) STORED
        );
        CREATE INDEX memory_summary_fts_tsv ON memory_summary_fts USING gin (tsv);
        """,
    ),
]
