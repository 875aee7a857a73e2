//! The schema can be distributed by `tenant_id` (docs/scaling.md): read from the catalog of a
//! migrated database, every table but the global ones carries a NOT NULL `tenant_id`, every
//! primary key and unique index includes it, and every foreign key between tenant tables joins
//! on it, so a tenant's rows and every constraint over them can live on one node.

use comanda_testkit::TestDatabase;
use tokio_postgres::Client;

/// Tables shared by every tenant: Citus reference tables (copied to every node).
const GLOBAL_TABLES: &[&str] = &[
    "__diesel_schema_migrations",
    "billing_events",
    "operator_audit_log",
    "plans",
    "tenants",
    "whatsapp_numbers",
];

/// Every way the schema in `client`'s database breaks the rules, one line each.
async fn distribution_problems(client: &Client) -> Vec<String> {
    let globals: Vec<String> = GLOBAL_TABLES.iter().map(|t| (*t).to_owned()).collect();
    let mut problems = Vec::new();

    let present: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
               AND table_name = ANY($1) ORDER BY 1",
            &[&globals],
        )
        .await
        .expect("global tables")
        .iter()
        .map(|row| row.get(0))
        .collect();
    for global in GLOBAL_TABLES {
        if !present.iter().any(|table| table == global) {
            problems.push(format!("{global}: listed as global but does not exist"));
        }
    }

    for row in client
        .query(
            "SELECT t.table_name::text FROM information_schema.tables t \
             WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
               AND t.table_name <> ALL($1) \
               AND NOT EXISTS (SELECT 1 FROM information_schema.columns c \
                   WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name \
                     AND c.column_name = 'tenant_id' AND c.is_nullable = 'NO') \
             ORDER BY 1",
            &[&globals],
        )
        .await
        .expect("tenant columns")
    {
        let table: String = row.get(0);
        problems.push(format!(
            "{table}: a tenant table without a NOT NULL tenant_id"
        ));
    }

    // Unique indexes cover primary keys, UNIQUE constraints and CREATE UNIQUE INDEX alike.
    for row in client
        .query(
            "SELECT t.relname::text, i.relname::text FROM pg_index x \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND x.indisunique AND t.relname <> ALL($1) \
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid \
                   AND a.attname = 'tenant_id' AND a.attnum = ANY(x.indkey)) \
             ORDER BY 1, 2",
            &[&globals],
        )
        .await
        .expect("unique indexes")
    {
        let (table, index): (String, String) = (row.get(0), row.get(1));
        problems.push(format!(
            "{table}: unique index {index} does not include tenant_id"
        ));
    }

    for row in client
        .query(
            "SELECT c.conname::text, src.relname::text, dst.relname::text, \
                    (SELECT array_agg(a.attname::text ORDER BY k.n) \
                     FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n) \
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), \
                    (SELECT array_agg(a.attname::text ORDER BY k.n) \
                     FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n) \
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) \
             FROM pg_constraint c \
             JOIN pg_class src ON src.oid = c.conrelid \
             JOIN pg_class dst ON dst.oid = c.confrelid \
             JOIN pg_namespace n ON n.oid = src.relnamespace \
             WHERE c.contype = 'f' AND n.nspname = 'public' ORDER BY 2, 1",
            &[],
        )
        .await
        .expect("foreign keys")
    {
        let (name, from, to): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let (from_columns, to_columns): (Vec<String>, Vec<String>) = (row.get(3), row.get(4));
        let global = |table: &str| GLOBAL_TABLES.contains(&table);
        match (global(&from), global(&to)) {
            (true, false) => problems.push(format!(
                "{from}: global table references tenant table {to} ({name})"
            )),
            (false, false) => {
                let joins_on_tenant = from_columns
                    .iter()
                    .zip(&to_columns)
                    .any(|(from, to)| from == "tenant_id" && to == "tenant_id");
                if !joins_on_tenant {
                    problems.push(format!(
                        "{from}: foreign key {name} to {to} does not join on tenant_id \
                         ({from_columns:?} -> {to_columns:?})"
                    ));
                }
            }
            // A tenant row may point at a global row (its tenant, a plan).
            (_, true) => {}
        }
    }
    problems
}

#[tokio::test]
async fn every_table_can_be_distributed_by_tenant() {
    let db = TestDatabase::new().await;
    let problems = distribution_problems(&db.client().await).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_table_that_breaks_a_rule_is_reported() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE notes_without_tenant (id UUID PRIMARY KEY);
             CREATE TABLE notes_keyed_by_id (
                 id UUID PRIMARY KEY,
                 tenant_id UUID NOT NULL,
                 order_id UUID NOT NULL,
                 FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id));
             CREATE TABLE notes_on_orders (
                 id UUID NOT NULL,
                 tenant_id UUID NOT NULL,
                 order_id UUID NOT NULL,
                 product_id UUID NOT NULL,
                 PRIMARY KEY (tenant_id, id),
                 UNIQUE (tenant_id, product_id),
                 FOREIGN KEY (order_id, product_id) REFERENCES products (tenant_id, id));
             CREATE UNIQUE INDEX notes_on_orders_order_idx ON notes_on_orders (order_id);
             ALTER TABLE plans ADD COLUMN sample_order UUID, ADD COLUMN sample_tenant UUID,
                 ADD FOREIGN KEY (sample_tenant, sample_order) REFERENCES orders (tenant_id, id);",
        )
        .await
        .expect("rogue tables");
    let problems = distribution_problems(&client).await;
    let reported = |table: &str, what: &str| {
        problems
            .iter()
            .any(|problem| problem.starts_with(&format!("{table}:")) && problem.contains(what))
    };
    assert!(
        reported("notes_without_tenant", "without a NOT NULL tenant_id"),
        "{problems:#?}"
    );
    assert!(
        reported("notes_keyed_by_id", "notes_keyed_by_id_pkey"),
        "{problems:#?}"
    );
    assert!(
        reported("notes_on_orders", "notes_on_orders_order_idx"),
        "{problems:#?}"
    );
    assert!(
        reported("notes_on_orders", "does not join on tenant_id"),
        "{problems:#?}"
    );
    assert!(
        reported("plans", "references tenant table orders"),
        "{problems:#?}"
    );
    assert!(
        reported("notes_without_tenant", "notes_without_tenant_pkey"),
        "{problems:#?}"
    );
    assert_eq!(
        problems.len(),
        6,
        "only the planted problems: {problems:#?}"
    );
}
