//! Many rows per statement: multi-row `INSERT`s and `IN` lists.
//!
//! A statement per row costs a round trip each (on SQLite a hand-off to
//! sqlx's worker thread), so bulk writes (member batches, attendance, plan
//! rosters, audit entries) insert many rows per statement with
//! [`insert_rows`].
//!
//! How the parameters are written matters on SQLite: sqlx looks every
//! parameter up by its name, and SQLite finds a name by walking the list of
//! the statement's named parameters, so binding `$1 … $N` costs the square
//! of N (`sqlite3_bind_parameter_name` was the top symbol under `perf`
//! with 120 parameters per statement). Bare `?` parameters have no name:
//! sqlx numbers them in order and binding is linear. So a `VALUES` list is
//! written with `?` on SQLite and `$N` on PostgreSQL (which has no `?`),
//! and the statement must have no other parameter — [`insert_rows`] checks.

use sqlx::{Any, AnyConnection, any::AnyArguments, query::Query};

/// A query on the `Any` driver, as [`insert_rows`] hands it to be bound.
pub type AnyQuery = Query<'static, Any, AnyArguments>;

/// Parameters per multi-row `INSERT`: large enough that a batch of 1,000
/// members or a class's attendance is one or a few statements, well under
/// both backends' limits (SQLite 32,766, PostgreSQL 65,535).
pub const INSERT_PARAMETERS: usize = 1000;

/// Values per `IN` list built with [`placeholders`], which are
/// numbered (`$N`) on both backends and so cost the square of their count
/// to bind on SQLite; around a hundred keeps binding below the lookup's
/// own cost.
pub const IN_LIST_PARAMETERS: usize = 120;

/// Placeholders for an `IN` list: `n` parameters numbered from `$first`
/// on, e.g. `$2, $3, $4`. Chunk the keys by [`IN_LIST_PARAMETERS`].
pub fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts `rows` in as few statements as [`INSERT_PARAMETERS`] allows.
/// `sql` is the statement with `{values}` where the `VALUES` list goes
/// (`INSERT INTO t (a, b) VALUES {values} ON CONFLICT …`) and no other
/// parameter; `bind` binds one row's `columns` values in column order.
/// Returns the rows affected.
pub async fn insert_rows<R>(
    conn: &mut AnyConnection,
    sql: &str,
    columns: usize,
    rows: &[R],
    bind: impl Fn(AnyQuery, &R) -> AnyQuery,
) -> Result<u64, sqlx::Error> {
    debug_assert!(
        sql.contains("{values}") && !sql.contains('$'),
        "insert_rows takes a statement with {{values}} and no other parameter: {sql}"
    );
    let positional = conn.backend_name() == "SQLite";
    let per_statement = (INSERT_PARAMETERS / columns.max(1)).max(1);
    let mut affected = 0;
    for chunk in rows.chunks(per_statement) {
        let list = values_list(positional, chunk.len(), columns);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.replacen("{values}", &list, 1)));
        for row in chunk {
            q = bind(q, row);
        }
        affected += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

/// Placeholders for a multi-row `VALUES`: `rows` groups of `columns`
/// parameters, `(?, ?), (?, ?)` when `positional`, else numbered from
/// `$1`: `($1, $2), ($3, $4)`.
fn values_list(positional: bool, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            if positional {
                out.push('?');
            } else {
                out.push('$');
                out.push_str(&(1 + r * columns + c).to_string());
            }
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists() {
        assert_eq!(values_list(false, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values_list(true, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(values_list(false, 0, 3), "");
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
    }

    /// Enough rows for several statements and a short last one, read back
    /// in order on SQLite and, when `PROBITY_TEST_POSTGRES_URL` is set, on
    /// PostgreSQL: every value lands in its own row and column.
    #[tokio::test]
    async fn inserts_every_row_in_order_on_both_backends() {
        let dir = std::env::temp_dir().join(format!("probity-bulk-{}", crate::resource::new_id()));
        let mut urls = vec![format!("sqlite://{}/bulk.db", dir.display())];
        if let Ok(url) = std::env::var("PROBITY_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            urls.push(url);
        }
        let rows: Vec<(i64, Option<String>, String)> = (0..2_501)
            .map(|i| {
                let b = (i % 7 != 0).then(|| format!("b{i}"));
                (i, b, format!("c{i} ? $1 '"))
            })
            .collect();
        for url in urls {
            let schema = format!("bulk_t{}", &crate::resource::new_id()[20..]);
            let db = crate::Database::connect(&url, &schema, 2)
                .await
                .expect("open");
            let mut conn = db.pool().acquire().await.expect("connection");
            sqlx::query("CREATE TABLE t (a BIGINT PRIMARY KEY, b TEXT, c TEXT NOT NULL)")
                .execute(&mut *conn)
                .await
                .expect("table");
            let affected = insert_rows(
                &mut conn,
                "INSERT INTO t (a, b, c) VALUES {values}",
                3,
                &rows,
                |q, (a, b, c)| q.bind(*a).bind(b.as_deref()).bind(c),
            )
            .await
            .expect("insert");
            assert_eq!(affected, 2_501, "{url}");
            let back: Vec<(i64, Option<String>, String)> =
                sqlx::query_as("SELECT a, b, c FROM t ORDER BY a")
                    .fetch_all(&mut *conn)
                    .await
                    .expect("read back");
            assert_eq!(back, rows, "{url}");
            // A conflict clause after the list, and a failing row: the
            // statement's error comes back.
            let again = insert_rows(
                &mut conn,
                "INSERT INTO t (a, b, c) VALUES {values} ON CONFLICT (a) DO UPDATE SET c = excluded.c",
                3,
                &rows[..2],
                |q, (a, b, _)| q.bind(*a).bind(b.as_deref()).bind("changed"),
            )
            .await
            .expect("upsert");
            assert_eq!(again, 2);
            let duplicate = insert_rows(
                &mut conn,
                "INSERT INTO t (a, b, c) VALUES {values}",
                3,
                &rows[5..6],
                |q, (a, b, c)| q.bind(*a).bind(b.as_deref()).bind(c),
            )
            .await;
            assert!(duplicate.is_err(), "{url}");
            drop(conn);
            db.close().await;
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
