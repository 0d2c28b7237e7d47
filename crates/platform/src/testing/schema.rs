//! What a service's migrations make, read back from the database, in one
//! form for both backends: tables, columns (type family, nullability),
//! primary keys, indexes (unique or not, their columns) and foreign keys.
//!
//! The migrations are written once per backend (`migrations/sqlite`,
//! `migrations/postgres`); [`assert_same_schema`] applies both and fails on
//! any difference, so the two cannot drift apart unnoticed.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::AnyConnection;

use super::{TestBackend, backends, fresh_database};
use crate::{
    Database,
    db::{Backend, MigrationSet},
};

/// A schema as both backends can describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables by name (the migrations' own bookkeeping table left out).
    pub tables: BTreeMap<String, Table>,
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Columns by name.
    pub columns: BTreeMap<String, Column>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// Every index other than the primary key's.
    pub indexes: BTreeSet<Index>,
    /// Every foreign key.
    pub foreign_keys: BTreeSet<ForeignKey>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// `text`, `integer`, `bytes`, `boolean`, or the type as declared.
    pub family: String,
    /// Whether it accepts NULL (primary-key columns never do).
    pub nullable: bool,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    /// The name of an index made by `CREATE INDEX`; empty for one that
    /// backs a `UNIQUE` constraint (each backend names those its own way).
    pub name: String,
    /// Whether it is unique.
    pub unique: bool,
    /// Its columns, in index order.
    pub columns: Vec<String>,
}

/// One foreign key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// The referring columns.
    pub columns: Vec<String>,
    /// The table referred to.
    pub references: String,
    /// Its columns.
    pub referenced_columns: Vec<String>,
}

/// The type family of a declared type, the same on both backends.
fn family(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    match t.split_whitespace().next().unwrap_or_default() {
        "text" | "varchar" | "character" => "text".into(),
        "integer" | "int" | "bigint" | "smallint" => "integer".into(),
        "blob" | "bytea" => "bytes".into(),
        "boolean" | "bool" => "boolean".into(),
        _ => t,
    }
}

/// Reads the schema of `db`'s service.
pub async fn read(db: &Database) -> Result<Schema, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    match db.backend() {
        Backend::Sqlite => read_sqlite(&mut conn).await,
        Backend::Postgres => read_postgres(&mut conn).await,
    }
}

async fn read_sqlite(conn: &mut AnyConnection) -> Result<Schema, sqlx::Error> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut schema = Schema::default();
    for (name,) in names {
        let mut table = Table::default();
        let columns: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
        let mut key: Vec<(i64, String)> = Vec::new();
        for (column, declared, not_null, pk) in columns {
            if pk > 0 {
                key.push((pk, column.clone()));
            }
            table.columns.insert(
                column,
                Column {
                    family: family(&declared),
                    nullable: not_null == 0 && pk == 0,
                },
            );
        }
        key.sort();
        table.primary_key = key.into_iter().map(|(_, c)| c).collect();
        let indexes: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<(String,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut *conn)
                    .await?;
            table.indexes.insert(Index {
                name: if origin == "c" { index } else { String::new() },
                unique: unique != 0,
                columns: columns.into_iter().map(|(c,)| c).collect(),
            });
        }
        let keys: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, seq, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list($1) ORDER BY id, seq",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
        for (id, _, references, from, to) in keys {
            let fk = by_id.entry(id).or_insert_with(|| ForeignKey {
                columns: Vec::new(),
                references: references.clone(),
                referenced_columns: Vec::new(),
            });
            fk.columns.push(from);
            fk.referenced_columns.extend(to);
        }
        table.foreign_keys.extend(by_id.into_values());
        schema.tables.insert(name, table);
    }
    // A foreign key written without its columns refers to the primary key.
    let keys: BTreeMap<String, Vec<String>> = schema
        .tables
        .iter()
        .map(|(n, t)| (n.clone(), t.primary_key.clone()))
        .collect();
    for table in schema.tables.values_mut() {
        table.foreign_keys = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .map(|mut fk| {
                if fk.referenced_columns.is_empty() {
                    fk.referenced_columns = keys.get(&fk.references).cloned().unwrap_or_default();
                }
                fk
            })
            .collect();
    }
    Ok(schema)
}

/// Splits a `string_agg` list.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn read_postgres(conn: &mut AnyConnection) -> Result<Schema, sqlx::Error> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut schema = Schema::default();
    for (name,) in names {
        let mut table = Table::default();
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        for (column, declared, nullable) in columns {
            table.columns.insert(
                column,
                Column {
                    family: family(&declared),
                    nullable: nullable == "YES",
                },
            );
        }
        // Every index with its columns in order, whether it is the primary
        // key's, and whether a UNIQUE constraint made it.
        let indexes: Vec<(String, bool, bool, bool, String)> = sqlx::query_as(
            "SELECT c.relname::text, i.indisunique, i.indisprimary, \
             EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u'), \
             COALESCE((SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) \
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum), '') \
             FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        for (index, unique, primary, constraint, columns) in indexes {
            if primary {
                table.primary_key = list(&columns);
            } else {
                table.indexes.insert(Index {
                    name: if constraint { String::new() } else { index },
                    unique,
                    columns: list(&columns),
                });
            }
        }
        for column in &table.primary_key {
            if let Some(c) = table.columns.get_mut(column) {
                c.nullable = false;
            }
        }
        let keys: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT f.relname::text, \
             (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), \
             (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord) \
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) \
             FROM pg_constraint c JOIN pg_class f ON f.oid = c.confrelid \
             WHERE c.contype = 'f' AND c.conrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        for (references, columns, referenced) in keys {
            table.foreign_keys.insert(ForeignKey {
                columns: list(&columns),
                references,
                referenced_columns: list(&referenced),
            });
        }
        schema.tables.insert(name, table);
    }
    Ok(schema)
}

/// Every difference between two schemas, one line each, naming the table
/// and what differs; empty when they are the same.
pub fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.tables.keys().chain(postgres.tables.keys()).collect();
    for name in names {
        let (Some(a), Some(b)) = (sqlite.tables.get(name), postgres.tables.get(name)) else {
            let side = if sqlite.tables.contains_key(name) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: only on {side}"));
            continue;
        };
        let columns: BTreeSet<&String> = a.columns.keys().chain(b.columns.keys()).collect();
        for column in columns {
            match (a.columns.get(column), b.columns.get(column)) {
                (Some(x), Some(y)) if x == y => {}
                (x, y) => out.push(format!("{name}.{column}: SQLite {x:?}, PostgreSQL {y:?}")),
            }
        }
        if a.primary_key != b.primary_key {
            out.push(format!(
                "{name}: primary key SQLite {:?}, PostgreSQL {:?}",
                a.primary_key, b.primary_key
            ));
        }
        for i in a.indexes.symmetric_difference(&b.indexes) {
            let side = if a.indexes.contains(i) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("{name}: index {i:?} only on {side}"));
        }
        for k in a.foreign_keys.symmetric_difference(&b.foreign_keys) {
            let side = if a.foreign_keys.contains(k) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("{name}: foreign key {k:?} only on {side}"));
        }
    }
    out
}

/// The steps (version and description) of a migrator.
fn steps(m: &sqlx::migrate::Migrator) -> Vec<(i64, String)> {
    m.iter()
        .map(|s| (s.version, s.description.to_string()))
        .collect()
}

/// Checks a service's migrations: both backends have the same steps (one
/// file of the same name in each folder), and, when
/// `PROBITY_TEST_POSTGRES_URL` is set, applying each backend's steps to a
/// fresh database gives the same tables, columns, nullability, primary
/// keys, indexes and foreign keys. Panics with every difference found.
pub async fn assert_same_schema(schema: &'static str, set: &'static MigrationSet) {
    assert_eq!(
        steps(&set.sqlite),
        steps(&set.postgres),
        "{schema}: migrations/sqlite and migrations/postgres must hold the same steps"
    );
    let Some(postgres) = backends()
        .into_iter()
        .find(|b| matches!(b, TestBackend::Postgres(_)))
    else {
        eprintln!(
            "{schema}: PROBITY_TEST_POSTGRES_URL is not set; schemas compared on SQLite only"
        );
        return;
    };
    let mut read_back = Vec::new();
    for backend in [TestBackend::Sqlite, postgres] {
        let (db, dir) = fresh_database(&backend, schema).await;
        db.migrate(set).await.expect("migrations apply");
        read_back.push(read(&db).await.expect("schema readable"));
        db.close().await;
        drop(dir);
    }
    let (sqlite, postgres) = (&read_back[0], &read_back[1]);
    assert!(
        !sqlite.tables.is_empty(),
        "{schema}: the migrations made no table"
    );
    let diff = differences(sqlite, postgres);
    assert!(
        diff.is_empty(),
        "{schema}: the backends' migrations disagree:\n  {}",
        diff.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_families_match_across_backends() {
        assert_eq!(family("BIGINT"), family("bigint"));
        assert_eq!(family("INTEGER"), family("smallint"));
        assert_eq!(family("BLOB"), family("bytea"));
        assert_eq!(family("TEXT"), family("text"));
        assert_ne!(family("TEXT"), family("BIGINT"));
    }

    #[test]
    fn differences_name_the_table_and_the_column() {
        let mut a = Schema::default();
        let mut t = Table::default();
        t.columns.insert(
            "id".into(),
            Column {
                family: "text".into(),
                nullable: false,
            },
        );
        a.tables.insert("things".into(), t.clone());
        let mut b = a.clone();
        assert!(differences(&a, &b).is_empty());
        b.tables.get_mut("things").unwrap().columns.insert(
            "id".into(),
            Column {
                family: "integer".into(),
                nullable: false,
            },
        );
        b.tables.insert("more".into(), Table::default());
        let diff = differences(&a, &b);
        assert_eq!(diff.len(), 2, "{diff:?}");
        assert!(diff[0].contains("more: only on PostgreSQL"));
        assert!(diff[1].starts_with("things.id:"));
    }
}
