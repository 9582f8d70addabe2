-- The ledger (issue 5): the Merkle tree over `event`, the ward's signing keys, and signed
-- checkpoints. Leaf i of the tree is event id i + 1; `ledger_head.size` counts the leaves whose
-- hashes are stored, and an event and its hashes are written in one transaction.

-- Stored hashes in the layout of Go's sumdb/tlog (tlog_tiles::stored_hash_index): every leaf
-- hash and the root of every complete subtree, each written once and never changed.
CREATE TABLE ledger_hash (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
);
CREATE TRIGGER ledger_hash_is_append_only_update BEFORE UPDATE ON ledger_hash
BEGIN SELECT RAISE(ABORT, 'ledger_hash is append-only'); END;
CREATE TRIGGER ledger_hash_is_append_only_delete BEFORE DELETE ON ledger_hash
BEGIN SELECT RAISE(ABORT, 'ledger_hash is append-only'); END;

CREATE TABLE ledger_head (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    size INTEGER NOT NULL
);
INSERT INTO ledger_head (one, size) VALUES (1, 0);

-- Public halves of the ward's signing keys, current and retired. The private key of the
-- current one is a 0600 file; a retired key's file is erased when it is retired.
CREATE TABLE ledger_key (
    id           INTEGER PRIMARY KEY,
    verifier_key TEXT NOT NULL UNIQUE,       -- C2SP signed-note verifier key
    created_us   INTEGER NOT NULL,
    retired_us   INTEGER
);

-- Signed checkpoints, kept so anyone can fetch every one the ward ever signed.
CREATE TABLE ledger_checkpoint (
    id      INTEGER PRIMARY KEY,
    size    INTEGER NOT NULL,
    root    BLOB NOT NULL CHECK (length(root) = 32),
    time_us INTEGER NOT NULL,
    key_id  INTEGER NOT NULL REFERENCES ledger_key (id),
    note    TEXT NOT NULL                     -- the signed note, as published
);
CREATE INDEX ledger_checkpoint_by_size ON ledger_checkpoint (size);
CREATE TRIGGER ledger_checkpoint_is_append_only_update BEFORE UPDATE ON ledger_checkpoint
BEGIN SELECT RAISE(ABORT, 'ledger_checkpoint is append-only'); END;
CREATE TRIGGER ledger_checkpoint_is_append_only_delete BEFORE DELETE ON ledger_checkpoint
BEGIN SELECT RAISE(ABORT, 'ledger_checkpoint is append-only'); END;
