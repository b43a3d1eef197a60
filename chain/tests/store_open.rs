//! What a store finds when it opens a database, on real databases (an
//! SQLite file; a database of the tests' own PostgreSQL server): a chain
//! of an older schema is refused by name or migrated, keeping its blocks;
//! missing and foreign files, a database of something else and an empty
//! one are refused and left as they were; an unreachable server is said
//! at once, its password never.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::store::CreateParams;
use chain::{Location, SqliteStore, StoreError};
use common::{Backend, ZERO_BITS, next_block, on_both_stores};

on_both_stores!(
    a_chain_of_the_schema_before_the_ledger_is_refused_by_name,
    a_chain_of_version_2_gains_confirmed_by_and_keeps_its_blocks,
);

#[test]
fn foreign_and_missing_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert!(matches!(
        SqliteStore::open_existing(&missing),
        Err(StoreError::Missing(_))
    ));
    assert!(!missing.exists(), "open_existing must not create a file");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    for result in [
        SqliteStore::open(&other, None),
        SqliteStore::open_existing(&other),
    ] {
        assert!(
            matches!(result, Err(StoreError::NotAChain(_))),
            "{result:?}"
        );
    }

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        SqliteStore::open_existing(&empty),
        Err(StoreError::NotAChain(_))
    ));

    let text = dir.path().join("text.db");
    std::fs::write(
        &text,
        "not a database, but long enough to have a header page ".repeat(20),
    )
    .unwrap();
    let err = SqliteStore::open(&text, None).unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .starts_with("not a database")
    );
}

fn a_chain_of_the_schema_before_the_ledger_is_refused_by_name(backend: Backend) {
    let Some(db) = backend.fresh("a_chain_of_the_schema_before") else {
        return;
    };
    let old_tables = "CREATE TABLE chain (id INTEGER PRIMARY KEY, schema_version INTEGER, zero_bits INTEGER, genesis_hash BYTES);
         CREATE TABLE blocks (height INTEGER PRIMARY KEY);
         INSERT INTO chain VALUES (1, 1, 24, NULL);";
    match &db.location {
        Location::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(&old_tables.replace("BYTES", "BLOB"))
            .unwrap(),
        Location::Postgres(_) => postgres_client(&db.location)
            .batch_execute(&old_tables.replace("BYTES", "BYTEA"))
            .unwrap(),
    }
    let err = db.open_with(CreateParams::default()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Schema {
                found: 1,
                expected: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("schema version 1"), "{err}");
}

/// A plain client of the test database at `location`.
fn postgres_client(location: &Location) -> postgres::Client {
    let Location::Postgres(url) = location else {
        panic!("not a database: {location}");
    };
    postgres::Client::connect(url.shown(), postgres::NoTls).unwrap()
}

#[test]
fn a_database_of_something_else_is_refused_and_left_alone() {
    let Some(db) = Backend::Postgres.fresh("a_database_of_something_else") else {
        return;
    };
    postgres_client(&db.location)
        .batch_execute("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    let err = db.open_with(CreateParams::default()).unwrap_err();
    assert!(matches!(err, StoreError::ForeignTables { .. }), "{err:?}");
    assert!(err.to_string().contains("notes"), "{err}");
    assert!(matches!(
        db.location.open_existing(),
        Err(StoreError::NotAChain(_))
    ));
    let rows = postgres_client(&db.location)
        .query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 1, "nothing was created");
}

#[test]
fn an_empty_database_is_no_chain_to_export() {
    let Some(db) = Backend::Postgres.fresh("an_empty_database") else {
        return;
    };
    assert!(matches!(
        db.location.open_existing(),
        Err(StoreError::NotAChain(_))
    ));
}

#[test]
fn an_unreachable_server_is_said_at_once_and_the_password_never() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://alice:s3cret@127.0.0.1:{port}/chain");
    let location = Location::parse(&url).unwrap();
    assert_eq!(
        location.to_string(),
        format!("postgres://alice@127.0.0.1:{port}/chain")
    );
    let err = location.open(CreateParams::default()).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && !text.contains("s3cret"),
        "{text}"
    );
    // Given as a parameter, the password is no more shown.
    let location = Location::parse(&format!(
        "postgres://alice@127.0.0.1:{port}/chain?password=s3cret&connect_timeout=1"
    ))
    .unwrap();
    let err = location.open(CreateParams::default()).unwrap_err();
    for text in [location.to_string(), err.to_string()] {
        assert!(
            text.contains("connect_timeout=1") && !text.contains("s3cret"),
            "{text}"
        );
    }
    for bad in [
        "postgres://",
        "postgres://127.0.0.1/db",
        "mysql://u@h/db",
        "",
    ] {
        assert!(Location::parse(bad).is_err(), "{bad:?}");
    }
}

/// Runs `sql` on the database at `db` (outside any store).
fn execute(db: &common::Db, sql: &str) {
    match &db.location {
        Location::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(sql)
            .unwrap(),
        Location::Postgres(_) => postgres_client(&db.location).batch_execute(sql).unwrap(),
    }
}

fn schema_version(db: &common::Db) -> i64 {
    let sql = "SELECT schema_version FROM chain";
    match &db.location {
        Location::Sqlite(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap(),
        Location::Postgres(_) => postgres_client(&db.location)
            .query_one(sql, &[])
            .unwrap()
            .get(0),
    }
}

fn a_chain_of_version_2_gains_confirmed_by_and_keeps_its_blocks(backend: Backend) {
    let Some(db) = backend.fresh("a_chain_of_version_2") else {
        return;
    };
    let store = db.open(Some(ZERO_BITS));
    let next = next_block(store.as_ref(), 0, "m");
    next.append(store.as_ref()).unwrap();
    drop(store);
    // The chain as version 2 wrote it: no confirmed_by column.
    execute(
        &db,
        "ALTER TABLE blocks DROP COLUMN confirmed_by; UPDATE chain SET schema_version = 2;",
    );
    let store = db.open(None);
    assert_eq!(schema_version(&db), 3);
    assert_eq!(store.blocks(0, 10).unwrap()[1], next.block);
    let mut confirmed = next_block(store.as_ref(), 0, "m2");
    confirmed.block.confirmed_by = vec![1, 3];
    confirmed.append(store.as_ref()).unwrap();
    assert_eq!(store.block(2).unwrap().unwrap().confirmed_by, [1, 3]);
    assert!(store.block(1).unwrap().unwrap().confirmed_by.is_empty());
    drop(store);
    // Opened again, by another instance too: nothing left to migrate.
    let (a, b) = (db.open(None), db.open(None));
    assert_eq!(a.blocks(0, 10).unwrap(), b.blocks(0, 10).unwrap());
    assert_eq!(schema_version(&db), 3);
}
