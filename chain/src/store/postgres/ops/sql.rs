//! Every SQL statement the operations run, in one place: they are prepared
//! once per connection and cached by their text, and reading them side by
//! side with the schema shows which columns and indexes each one needs.

pub(super) const LOCK: &str = "SELECT mempool_seq FROM chain WHERE id = 1 FOR UPDATE";
pub(super) const TIP: &str = "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1";
pub(super) const INSERT_BLOCK: &str = "INSERT INTO blocks \
     (height, hash, header, miner, received_at, confirmed_by) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const RECENT: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     ORDER BY height DESC LIMIT $1";
pub(super) const BLOCK: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     WHERE height = $1";
pub(super) const BLOCKS: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     WHERE height >= $1 ORDER BY height LIMIT $2";
pub(super) const BLOCKS_COUNTED: &str = "SELECT b.height, b.hash, b.header, b.miner, b.received_at, \
     b.confirmed_by, (SELECT count(*) FROM block_txs t WHERE t.height = b.height) \
     FROM blocks b WHERE b.height >= $1 ORDER BY b.height LIMIT $2";
pub(super) const BODIES: &str = "SELECT height, raw FROM block_txs WHERE height BETWEEN $1 AND $2 \
     ORDER BY height, position";
pub(super) const HEIGHT_OF: &str = "SELECT height FROM blocks WHERE hash = $1";
pub(super) const INSERT_BODY: &str = "INSERT INTO block_txs (id, height, position, raw) \
     SELECT t.id, $2, (t.n - 1)::integer, t.raw \
     FROM UNNEST($1::bytea[], $3::bytea[]) WITH ORDINALITY AS t(id, raw, n)";
pub(super) const UNPEND: &str = "DELETE FROM mempool WHERE id = ANY($1::bytea[])";
pub(super) const INSERT_TRADES: &str = "INSERT INTO trades \
     (seq, height, taker, maker, taker_side, buyer, seller, price, amount) \
     SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], \
     $5::smallint[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bigint[])";
pub(super) const CLEAR_TEMPLATES: &str = "DELETE FROM templates";
pub(super) const NOTIFY: &str = "SELECT pg_notify($1, $2)";
pub(super) const MEMPOOL: &str = "SELECT \
     (SELECT hash FROM blocks ORDER BY height DESC LIMIT 1), \
     (SELECT mempool_seq FROM chain WHERE id = 1), \
     m.seq, m.raw, m.received_at \
     FROM (SELECT 1) AS one \
     LEFT JOIN (SELECT seq, raw, received_at FROM mempool WHERE seq > $1) AS m ON true \
     ORDER BY m.seq";
pub(super) const ADMIT: &str = "INSERT INTO mempool (seq, id, raw, received_at) \
     SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[])";
pub(super) const SET_SEQ: &str = "UPDATE chain SET mempool_seq = $1 WHERE id = 1";
pub(super) const KEEP_DROPPED: &str = "INSERT INTO dropped (id, raw, code, reason, height) \
     SELECT m.id, m.raw, d.code, d.reason, $4 \
     FROM UNNEST($1::bytea[], $2::text[], $3::text[]) AS d(id, code, reason) \
     JOIN mempool m ON m.id = d.id \
     ON CONFLICT (id) DO UPDATE SET raw = excluded.raw, code = excluded.code, \
     reason = excluded.reason, height = excluded.height";
pub(super) const PRUNE_DROPPED: &str =
    "DELETE FROM dropped WHERE n <= (SELECT max(n) FROM dropped) - $1";
pub(super) const TEMPLATE_SEQ: &str =
    "UPDATE chain SET template_seq = template_seq + 1 WHERE id = 1 RETURNING template_seq";
pub(super) const OTHER_TEMPLATES: &str = "DELETE FROM templates WHERE parent <> $1";
pub(super) const PUT_TEMPLATE: &str = "INSERT INTO templates (merkle_root, parent, seq, body) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (merkle_root) DO UPDATE SET seq = excluded.seq";
pub(super) const OLD_TEMPLATES: &str = "DELETE FROM templates WHERE seq <= $1";
pub(super) const TEMPLATE: &str = "SELECT parent, body FROM templates WHERE merkle_root = $1";
pub(super) const TRANSACTION: &str = "\
     SELECT 0 AS place, raw, height AS n, position, NULL::text AS code, NULL::text AS reason \
       FROM block_txs WHERE id = $1 \
     UNION ALL SELECT 1, raw, seq, 0, NULL, NULL FROM mempool WHERE id = $1 \
     UNION ALL SELECT 2, raw, height, 0, code, reason FROM dropped WHERE id = $1 \
     ORDER BY place LIMIT 1";
pub(super) const TRADES: &str = "SELECT seq, height, taker, maker, taker_side, buyer, seller, price, amount \
     FROM trades WHERE seq >= $1 ORDER BY seq LIMIT $2";
