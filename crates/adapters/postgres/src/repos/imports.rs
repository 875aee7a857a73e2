//! `comanda import`: one transaction per file, looked up and written a chunk at a time
//! (`= ANY`, `unnest`); a key repeated in the file is handled like a second run (updated or
//! unchanged, never a duplicate), exactly as the row-by-row import did.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::{PizzaSizeId, TenantId};
use comanda_ports::catalog::PizzaSizeInput;
use comanda_ports::imports::{
    CustomerRow, ImportCounts, ImportRepository, OrderItemRow, OrderRow, PizzaColumns, ProductRow,
    Progress,
};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::TxError;
use crate::repos::audit::{self, Change};
use crate::repos::catalog::{write_prices, write_sizes};
use crate::schema::{
    categories, customers, flavor_prices, orders, pizza_sizes, products, tenant_order_counters,
};

#[derive(Clone)]
pub struct PgImportRepository {
    db: Database,
    chunk: usize,
}

impl PgImportRepository {
    pub fn new(db: Database) -> Self {
        Self { db, chunk: CHUNK }
    }

    /// Reads and writes `rows` rows per statement (at least one) instead of [`CHUNK`].
    pub fn with_chunk(db: Database, rows: usize) -> Self {
        Self {
            db,
            chunk: rows.max(1),
        }
    }
}

async fn record_import(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    actor: &Actor,
    what: &str,
    counts: ImportCounts,
) -> QueryResult<()> {
    audit::record(
        conn,
        actor,
        Change {
            tenant: Some(tenant),
            action: &format!("import.{what}"),
            entity_type: what,
            entity_id: None,
            before: None,
            after: Some(serde_json::json!({
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
            })),
        },
    )
    .await
}

/// Rows written per statement: lookups and writes go a chunk at a time (`= ANY`, `unnest`),
/// with the file's earlier rows remembered, so a key repeated in the file is handled as the
/// row-by-row import handled it: updated or unchanged, never a duplicate.
const CHUNK: usize = 10_000;

/// A customer as the import knows it: as stored, or as an earlier row of the file left it.
struct KnownCustomer {
    id: Uuid,
    name: String,
    email: Option<String>,
    notes: String,
    stored: bool,
    changed: bool,
}

/// Loads the customers with these phones that the file has not met yet.
async fn remember_customers(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    phones: impl Iterator<Item = &str>,
    known: &mut HashMap<String, KnownCustomer>,
) -> QueryResult<()> {
    let unseen: BTreeSet<&str> = phones.filter(|phone| !known.contains_key(*phone)).collect();
    if unseen.is_empty() {
        return Ok(());
    }
    let rows: Vec<(Uuid, String, String, Option<String>, String)> = customers::table
        .filter(customers::tenant_id.eq(tenant.as_uuid()))
        .filter(customers::phone.eq_any(unseen))
        .select((
            customers::id,
            customers::phone,
            customers::name,
            customers::email,
            customers::notes,
        ))
        .load(conn)
        .await?;
    for (id, phone, name, email, notes) in rows {
        known.insert(
            phone,
            KnownCustomer {
                id,
                name,
                email,
                notes,
                stored: true,
                changed: false,
            },
        );
    }
    Ok(())
}

/// Writes the customers the file created or changed since the last call, then marks them stored.
async fn write_customers(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    created_in_order: &mut Vec<String>,
    known: &mut HashMap<String, KnownCustomer>,
) -> QueryResult<()> {
    let (mut ids, mut names, mut phones, mut emails, mut notes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for phone in created_in_order.drain(..) {
        if let Some(customer) = known.get_mut(&phone) {
            ids.push(customer.id);
            names.push(customer.name.clone());
            emails.push(customer.email.clone());
            notes.push(customer.notes.clone());
            phones.push(phone);
            customer.stored = true;
            customer.changed = false;
        }
    }
    if !ids.is_empty() {
        diesel::sql_query(
            "INSERT INTO customers (id, tenant_id, name, phone, email, notes) \
             SELECT r.id, $1, r.name, r.phone, r.email, r.notes \
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                  AS r(id, name, phone, email, notes)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Text>, _>(phones)
        .bind::<Array<Nullable<Text>>, _>(emails)
        .bind::<Array<Text>, _>(notes)
        .execute(conn)
        .await?;
    }
    let (mut ids, mut names, mut emails, mut notes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for customer in known.values_mut().filter(|customer| customer.changed) {
        ids.push(customer.id);
        names.push(customer.name.clone());
        emails.push(customer.email.clone());
        notes.push(customer.notes.clone());
        customer.changed = false;
    }
    if !ids.is_empty() {
        diesel::sql_query(
            "UPDATE customers c SET name = r.name, email = r.email, notes = r.notes, \
                    updated_at = now() \
             FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS r(id, name, email, notes) \
             WHERE c.tenant_id = $1 AND c.id = r.id",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Nullable<Text>>, _>(emails)
        .bind::<Array<Text>, _>(notes)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// PostgreSQL's own `lower()` of each name, so matching ignores case exactly as the database does.
async fn lowered(
    conn: &mut AsyncPgConnection,
    names: BTreeSet<&str>,
) -> QueryResult<HashMap<String, String>> {
    #[derive(QueryableByName)]
    struct Lowered {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        lower: String,
    }
    let names: Vec<&str> = names.into_iter().collect();
    let rows: Vec<Lowered> =
        diesel::sql_query("SELECT n AS name, lower(n) AS lower FROM unnest($1::text[]) AS n")
            .bind::<Array<Text>, _>(names)
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|row| (row.name, row.lower)).collect())
}

/// A product as the import knows it, keyed by its category and lower-cased name.
struct KnownProduct {
    id: Uuid,
    description: String,
    price_cents: i64,
    is_active: bool,
    track_stock: bool,
    stored: bool,
    changed: bool,
}

/// Writes the products the file created or changed since the last call, then marks them stored.
async fn write_products(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    created_in_order: &mut Vec<((Uuid, String), String)>,
    known: &mut HashMap<(Uuid, String), KnownProduct>,
) -> QueryResult<()> {
    let (mut ids, mut categories, mut names, mut descriptions, mut prices, mut active, mut tracked) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (key, name) in created_in_order.drain(..) {
        if let Some(product) = known.get_mut(&key) {
            ids.push(product.id);
            categories.push(key.0);
            names.push(name);
            descriptions.push(product.description.clone());
            prices.push(product.price_cents);
            active.push(product.is_active);
            tracked.push(product.track_stock);
            product.stored = true;
            product.changed = false;
        }
    }
    if !ids.is_empty() {
        diesel::sql_query(
            "INSERT INTO products (id, tenant_id, category_id, name, description, price_cents, \
                                   is_active, track_stock) \
             SELECT r.id, $1, r.category_id, r.name, r.description, r.price_cents, r.is_active, \
                    r.track_stock \
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::bigint[], \
                         $7::boolean[], $8::boolean[]) \
                  AS r(id, category_id, name, description, price_cents, is_active, track_stock)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<SqlUuid>, _>(categories)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Text>, _>(descriptions)
        .bind::<Array<BigInt>, _>(prices)
        .bind::<Array<Bool>, _>(active)
        .bind::<Array<Bool>, _>(tracked)
        .execute(conn)
        .await?;
    }
    let (mut ids, mut descriptions, mut prices, mut active, mut tracked) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for product in known.values_mut().filter(|product| product.changed) {
        ids.push(product.id);
        descriptions.push(product.description.clone());
        prices.push(product.price_cents);
        active.push(product.is_active);
        tracked.push(product.track_stock);
        product.changed = false;
    }
    if !ids.is_empty() {
        diesel::sql_query(
            "UPDATE products p SET description = r.description, price_cents = r.price_cents, \
                    is_active = r.is_active, track_stock = r.track_stock, updated_at = now() \
             FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::boolean[], $6::boolean[]) \
                  AS r(id, description, price_cents, is_active, track_stock) \
             WHERE p.tenant_id = $1 AND p.id = r.id",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Array<Text>, _>(descriptions)
        .bind::<Array<BigInt>, _>(prices)
        .bind::<Array<Bool>, _>(active)
        .bind::<Array<Bool>, _>(tracked)
        .execute(conn)
        .await?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct StoredProduct {
    #[diesel(sql_type = SqlUuid)]
    category_id: Uuid,
    #[diesel(sql_type = Text)]
    lower_name: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = BigInt)]
    price_cents: i64,
    #[diesel(sql_type = Bool)]
    is_active: bool,
    #[diesel(sql_type = Bool)]
    track_stock: bool,
}

#[derive(QueryableByName)]
struct StoredCategory {
    #[diesel(sql_type = Text)]
    lower_name: String,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

#[async_trait]
impl ImportRepository for PgImportRepository {
    async fn customers(
        &self,
        tenant: TenantId,
        rows: &[CustomerRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        let chunk_rows = self.chunk;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mut counts = ImportCounts::default();
            let mut known = HashMap::new();
            let mut created = Vec::new();
            let mut done = 0;
            for chunk in rows.chunks(chunk_rows) {
                let phones = chunk.iter().map(|row| row.phone.as_str());
                remember_customers(conn, tenant, phones, &mut known).await?;
                for row in chunk {
                    match known.get_mut(row.phone.as_str()) {
                        None => {
                            known.insert(
                                row.phone.as_str().to_owned(),
                                KnownCustomer {
                                    id: Uuid::now_v7(),
                                    name: row.name.clone(),
                                    email: row.email.clone(),
                                    notes: row.notes.clone(),
                                    stored: false,
                                    changed: false,
                                },
                            );
                            created.push(row.phone.as_str().to_owned());
                            counts.created += 1;
                        }
                        // Only what differs is written: a second run changes nothing.
                        Some(customer)
                            if customer.name != row.name
                                || customer.email != row.email
                                || customer.notes != row.notes =>
                        {
                            customer.name.clone_from(&row.name);
                            customer.email.clone_from(&row.email);
                            customer.notes.clone_from(&row.notes);
                            customer.changed = customer.stored;
                            counts.updated += 1;
                        }
                        Some(_) => counts.unchanged += 1,
                    }
                }
                write_customers(conn, tenant, &mut created, &mut known).await?;
                done += chunk.len();
                progress(done);
            }
            record_import(conn, tenant, &actor, "customers", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn products(
        &self,
        tenant: TenantId,
        rows: &[ProductRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        let chunk_rows = self.chunk;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let mut counts = ImportCounts::default();
            let mut categories_by_name: HashMap<String, Uuid> = HashMap::new();
            let mut products_by_key: HashMap<(Uuid, String), KnownProduct> = HashMap::new();
            let mut unchanged_lines: HashSet<u64> = HashSet::new();
            let mut created = Vec::new();
            let mut done = 0;
            for chunk in rows.chunks(chunk_rows) {
                let lower = lowered(
                    conn,
                    chunk
                        .iter()
                        .flat_map(|row| [row.category.as_str(), row.name.as_str()])
                        .collect(),
                )
                .await?;
                let lower_of = |name: &str| lower.get(name).cloned().unwrap_or_default();

                // Categories: the oldest with the name, else one created by the first row naming it.
                let wanted: BTreeSet<String> = chunk
                    .iter()
                    .map(|row| lower_of(&row.category))
                    .filter(|name| !categories_by_name.contains_key(name))
                    .collect();
                let stored: Vec<StoredCategory> = diesel::sql_query(
                    "SELECT DISTINCT ON (lower(name)) lower(name) AS lower_name, id \
                     FROM categories WHERE tenant_id = $1 AND lower(name) = ANY($2) \
                     ORDER BY lower(name), created_at",
                )
                .bind::<SqlUuid, _>(tenant.as_uuid())
                .bind::<Array<Text>, _>(wanted.into_iter().collect::<Vec<_>>())
                .load(conn)
                .await?;
                categories_by_name.extend(stored.into_iter().map(|row| (row.lower_name, row.id)));
                let (mut new_ids, mut new_names) = (Vec::new(), Vec::new());
                for row in chunk {
                    categories_by_name.entry(lower_of(&row.category)).or_insert_with(|| {
                        let id = Uuid::now_v7();
                        new_ids.push(id);
                        new_names.push(row.category.clone());
                        id
                    });
                }
                if !new_ids.is_empty() {
                    diesel::sql_query(
                        "INSERT INTO categories (id, tenant_id, name) \
                         SELECT r.id, $1, r.name FROM unnest($2::uuid[], $3::text[]) AS r(id, name)",
                    )
                    .bind::<SqlUuid, _>(tenant.as_uuid())
                    .bind::<Array<SqlUuid>, _>(new_ids)
                    .bind::<Array<Text>, _>(new_names)
                    .execute(conn)
                    .await?;
                }

                // Products: the oldest with the name in the category, else created.
                let keys: Vec<(Uuid, String)> = chunk
                    .iter()
                    .filter_map(|row| {
                        let category = *categories_by_name.get(&lower_of(&row.category))?;
                        Some((category, lower_of(&row.name)))
                    })
                    .collect();
                let stored: Vec<StoredProduct> = diesel::sql_query(
                    "SELECT DISTINCT ON (category_id, lower(name)) category_id, \
                            lower(name) AS lower_name, id, description, price_cents, is_active, \
                            track_stock \
                     FROM products WHERE tenant_id = $1 AND category_id = ANY($2) \
                       AND lower(name) = ANY($3) \
                     ORDER BY category_id, lower(name), created_at",
                )
                .bind::<SqlUuid, _>(tenant.as_uuid())
                .bind::<Array<SqlUuid>, _>(keys.iter().map(|(id, _)| *id).collect::<Vec<_>>())
                .bind::<Array<Text>, _>(keys.iter().map(|(_, name)| name.clone()).collect::<Vec<_>>())
                .load(conn)
                .await?;
                for row in stored {
                    products_by_key
                        .entry((row.category_id, row.lower_name))
                        .or_insert(KnownProduct {
                            id: row.id,
                            description: row.description,
                            price_cents: row.price_cents,
                            is_active: row.is_active,
                            track_stock: row.track_stock,
                            stored: true,
                            changed: false,
                        });
                }
                for row in chunk {
                    let category = categories_by_name
                        .get(&lower_of(&row.category))
                        .copied()
                        .unwrap_or_default();
                    let key = (category, lower_of(&row.name));
                    match products_by_key.get_mut(&key) {
                        None => {
                            products_by_key.insert(
                                key.clone(),
                                KnownProduct {
                                    id: Uuid::now_v7(),
                                    description: row.description.clone(),
                                    price_cents: row.price_cents,
                                    is_active: row.is_active,
                                    track_stock: row.track_stock,
                                    stored: false,
                                    changed: false,
                                },
                            );
                            created.push((key, row.name.clone()));
                            counts.created += 1;
                        }
                        Some(product)
                            if product.description != row.description
                                || product.price_cents != row.price_cents
                                || product.is_active != row.is_active
                                || product.track_stock != row.track_stock =>
                        {
                            product.description.clone_from(&row.description);
                            product.price_cents = row.price_cents;
                            product.is_active = row.is_active;
                            product.track_stock = row.track_stock;
                            product.changed = product.stored;
                            counts.updated += 1;
                        }
                        Some(_) => {
                            counts.unchanged += 1;
                            unchanged_lines.insert(row.line);
                        }
                    }
                }
                write_products(conn, tenant, &mut created, &mut products_by_key).await?;
                done += chunk.len();
                progress(done);
            }
            // A row whose product was unchanged but whose pizza part changed was updated.
            for line in import_pizza_menus(conn, tenant, &rows).await? {
                if unchanged_lines.remove(&line) {
                    counts.unchanged -= 1;
                    counts.updated += 1;
                }
            }
            record_import(conn, tenant, &actor, "products", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }

    async fn orders(
        &self,
        tenant: TenantId,
        rows: &[OrderRow],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> RepoResult<ImportCounts> {
        let mut conn = self.db.conn().await?;
        let rows = rows.to_vec();
        let actor = actor.clone();
        let chunk_rows = self.chunk;
        conn.transaction::<_, TxError, _>(async move |conn| {
            // Past orders are history: the order desk hears nothing of them.
            diesel::sql_query("SET LOCAL comanda.quiet_order_events = 'on'")
                .execute(conn)
                .await?;
            let mut counts = ImportCounts::default();
            let highest = rows.iter().map(|order| order.number).fold(0, i64::max);
            let mut numbers_taken: HashSet<i64> = HashSet::new();
            let mut customers_known = HashMap::new();
            let mut customers_created = Vec::new();
            let mut done = 0;
            for chunk in rows.chunks(chunk_rows) {
                let numbers: Vec<i64> = chunk
                    .iter()
                    .map(|order| order.number)
                    .filter(|number| !numbers_taken.contains(number))
                    .collect();
                let stored: Vec<i64> = orders::table
                    .filter(orders::tenant_id.eq(tenant.as_uuid()))
                    .filter(orders::number.eq_any(numbers))
                    .select(orders::number)
                    .load(conn)
                    .await?;
                numbers_taken.extend(stored);
                let phones = chunk.iter().map(|order| order.customer_phone.as_str());
                remember_customers(conn, tenant, phones, &mut customers_known).await?;

                let mut imported = ImportedOrders::default();
                for order in chunk {
                    if !numbers_taken.insert(order.number) {
                        counts.unchanged += 1;
                        continue;
                    }
                    let phone = order.customer_phone.as_str();
                    let customer = match customers_known.get(phone) {
                        Some(customer) => customer.id,
                        None => {
                            let id = Uuid::now_v7();
                            customers_known.insert(
                                phone.to_owned(),
                                KnownCustomer {
                                    id,
                                    name: order.customer_name.clone(),
                                    email: None,
                                    notes: String::new(),
                                    stored: false,
                                    changed: false,
                                },
                            );
                            customers_created.push(phone.to_owned());
                            id
                        }
                    };
                    imported.push(order, customer);
                    counts.created += 1;
                }
                write_customers(conn, tenant, &mut customers_created, &mut customers_known).await?;
                imported.write(conn, tenant).await?;
                done += chunk.len();
                progress(done);
            }
            // New orders get numbers after the imported ones.
            if highest > 0 {
                diesel::insert_into(tenant_order_counters::table)
                    .values((
                        tenant_order_counters::tenant_id.eq(tenant.as_uuid()),
                        tenant_order_counters::last_number.eq(highest),
                    ))
                    .on_conflict(tenant_order_counters::tenant_id)
                    .do_update()
                    .set(tenant_order_counters::last_number.eq(diesel::dsl::sql::<
                        diesel::sql_types::BigInt,
                    >(
                        "GREATEST(tenant_order_counters.last_number, excluded.last_number)",
                    )))
                    .execute(conn)
                    .await?;
            }
            record_import(conn, tenant, &actor, "orders", counts).await?;
            Ok(counts)
        })
        .await
        .map_err(RepoError::from)
    }
}

/// The product a row names: the oldest with its name in its category (case does not matter).
async fn product_named(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    row: &ProductRow,
) -> Result<(Uuid, Uuid), TxError> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = SqlUuid)]
        category_id: Uuid,
    }
    let found: Option<Found> = diesel::sql_query(
        "SELECT p.id, p.category_id FROM products p \
         JOIN categories c ON c.tenant_id = p.tenant_id AND c.id = p.category_id \
         WHERE p.tenant_id = $1 AND lower(c.name) = lower($2) AND lower(p.name) = lower($3) \
         ORDER BY c.created_at, p.created_at LIMIT 1",
    )
    .bind::<SqlUuid, _>(tenant.as_uuid())
    .bind::<Text, _>(&row.category)
    .bind::<Text, _>(&row.name)
    .get_result(conn)
    .await
    .optional()?;
    let found = found.ok_or(RepoError::NotFound("product"))?;
    Ok((found.id, found.category_id))
}

/// Pizza menus, once every row's product is written: a pizza's kind and sizes (sizes keep
/// their ids by name), then a flavour's category (`flavors_for` its pizza) and prices by size
/// name. Row by row: a menu has a few pizzas and some dozens of flavours. Writes only what
/// differs (a second run changes nothing) and answers the lines it changed.
async fn import_pizza_menus(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    rows: &[ProductRow],
) -> Result<Vec<u64>, TxError> {
    let mut changed = Vec::new();
    for row in rows {
        let Some(PizzaColumns::Pizza(sizes)) = &row.pizza else {
            continue;
        };
        let (product, _) = product_named(conn, tenant, row).await?;
        let kind_changed = diesel::update(
            products::table
                .find((tenant.as_uuid(), product))
                .filter(products::kind.ne("pizza")),
        )
        .set((
            products::kind.eq("pizza"),
            products::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        let existing: Vec<(Uuid, String, i32, i32)> = pizza_sizes::table
            .filter(pizza_sizes::tenant_id.eq(tenant.as_uuid()))
            .filter(pizza_sizes::product_id.eq(product))
            .order((pizza_sizes::position, pizza_sizes::id))
            .select((
                pizza_sizes::id,
                pizza_sizes::name,
                pizza_sizes::slices,
                pizza_sizes::max_flavors,
            ))
            .load(conn)
            .await?;
        let same = existing.len() == sizes.len()
            && existing
                .iter()
                .zip(sizes)
                .all(|((_, name, slices, most), size)| {
                    *name == size.name && *slices == size.slices && *most == size.max_flavors
                });
        if !same {
            let kept: Vec<PizzaSizeInput> = sizes
                .iter()
                .map(|size| PizzaSizeInput {
                    id: existing
                        .iter()
                        .find(|(_, name, _, _)| name.to_lowercase() == size.name.to_lowercase())
                        .map(|(id, _, _, _)| PizzaSizeId::from_uuid(*id)),
                    ..size.clone()
                })
                .collect();
            write_sizes(conn, tenant, product, &kept).await?;
        }
        if kind_changed > 0 || !same {
            changed.push(row.line);
        }
    }
    for row in rows {
        let Some(PizzaColumns::Flavor { pizza, prices }) = &row.pizza else {
            continue;
        };
        let (flavor, category) = product_named(conn, tenant, row).await?;
        #[derive(QueryableByName)]
        struct Pizza {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
        }
        let found: Option<Pizza> = diesel::sql_query(
            "SELECT id FROM products WHERE tenant_id = $1 AND kind = 'pizza' \
             AND lower(name) = lower($2) ORDER BY created_at LIMIT 1",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Text, _>(pizza)
        .get_result(conn)
        .await
        .optional()?;
        let pizza_id = found
            .ok_or_else(|| {
                RepoError::InvalidReference(format!("pizza `{pizza}` (line {})", row.line))
            })?
            .id;
        let category_changed = diesel::update(
            categories::table
                .find((tenant.as_uuid(), category))
                .filter(categories::flavors_for.is_distinct_from(Some(pizza_id))),
        )
        .set((
            categories::flavors_for.eq(Some(pizza_id)),
            categories::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
        let sizes: Vec<(Uuid, String)> = pizza_sizes::table
            .filter(pizza_sizes::tenant_id.eq(tenant.as_uuid()))
            .filter(pizza_sizes::product_id.eq(pizza_id))
            .select((pizza_sizes::id, pizza_sizes::name))
            .load(conn)
            .await?;
        let mut wanted = BTreeMap::new();
        for (size, cents) in prices {
            let id = sizes
                .iter()
                .find(|(_, name)| name.to_lowercase() == size.to_lowercase())
                .map(|(id, _)| PizzaSizeId::from_uuid(*id))
                .ok_or_else(|| {
                    RepoError::InvalidReference(format!(
                        "size `{size}` of pizza `{pizza}` (line {})",
                        row.line
                    ))
                })?;
            wanted.insert(id, *cents);
        }
        if let Some((_, name)) = sizes
            .iter()
            .find(|(id, _)| !wanted.contains_key(&PizzaSizeId::from_uuid(*id)))
        {
            return Err(RepoError::InvalidReference(format!(
                "a price for size `{name}` of pizza `{pizza}` (line {})",
                row.line
            ))
            .into());
        }
        let stored: BTreeMap<PizzaSizeId, i64> = flavor_prices::table
            .filter(flavor_prices::tenant_id.eq(tenant.as_uuid()))
            .filter(flavor_prices::product_id.eq(flavor))
            .select((flavor_prices::size_id, flavor_prices::price_cents))
            .load::<(Uuid, i64)>(conn)
            .await?
            .into_iter()
            .map(|(size, cents)| (PizzaSizeId::from_uuid(size), cents))
            .collect();
        if stored != wanted {
            write_prices(conn, tenant, flavor, &wanted).await?;
        }
        if category_changed > 0 || stored != wanted {
            changed.push(row.line);
        }
    }
    Ok(changed)
}

/// Orders of one chunk, column by column, written with one statement per table.
#[derive(Default)]
struct ImportedOrders {
    ids: Vec<Uuid>,
    numbers: Vec<i64>,
    stores: Vec<Uuid>,
    customers: Vec<Uuid>,
    statuses: Vec<&'static str>,
    fulfillments: Vec<&'static str>,
    payment_methods: Vec<&'static str>,
    subtotals: Vec<i64>,
    discounts: Vec<i64>,
    shipping_fees: Vec<i64>,
    totals: Vec<i64>,
    created_at: Vec<DateTime<Utc>>,
    item_ids: Vec<Uuid>,
    item_orders: Vec<Uuid>,
    item_names: Vec<String>,
    item_quantities: Vec<i32>,
    item_unit_prices: Vec<i64>,
    item_line_totals: Vec<i64>,
    item_positions: Vec<i32>,
    history_ids: Vec<Uuid>,
}

impl ImportedOrders {
    fn push(&mut self, order: &OrderRow, customer: Uuid) {
        let line_total =
            |item: &OrderItemRow| i64::from(item.quantity).saturating_mul(item.unit_price_cents);
        let subtotal: i64 = order.items.iter().map(line_total).sum();
        let discount = order.discount_cents.min(subtotal);
        let id = Uuid::now_v7();
        self.ids.push(id);
        self.numbers.push(order.number);
        self.stores.push(order.store_id.as_uuid());
        self.customers.push(customer);
        self.statuses.push(order.status.as_str());
        self.fulfillments.push(order.fulfillment.as_str());
        self.payment_methods.push(order.payment_method.as_str());
        self.subtotals.push(subtotal);
        self.discounts.push(discount);
        self.shipping_fees.push(order.shipping_fee_cents);
        self.totals
            .push(subtotal - discount + order.shipping_fee_cents);
        self.created_at.push(order.created_at);
        for (position, item) in order.items.iter().enumerate() {
            self.item_ids.push(Uuid::now_v7());
            self.item_orders.push(id);
            self.item_names.push(item.product_name.clone());
            self.item_quantities.push(item.quantity);
            self.item_unit_prices.push(item.unit_price_cents);
            self.item_line_totals.push(line_total(item));
            self.item_positions
                .push(i32::try_from(position).unwrap_or(i32::MAX));
        }
        self.history_ids.push(Uuid::now_v7());
    }

    async fn write(self, conn: &mut AsyncPgConnection, tenant: TenantId) -> QueryResult<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        diesel::sql_query(
            "INSERT INTO orders (id, tenant_id, number, store_id, customer_id, status, fulfillment, \
                                 subtotal_cents, discount_cents, shipping_fee_cents, total_cents, \
                                 created_at, updated_at) \
             SELECT r.id, $1, r.number, r.store_id, r.customer_id, r.status, r.fulfillment, \
                    r.subtotal, r.discount, r.shipping_fee, r.total, r.created_at, r.created_at \
             FROM unnest($2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], \
                         $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::timestamptz[]) \
                  AS r(id, number, store_id, customer_id, status, fulfillment, subtotal, discount, \
                       shipping_fee, total, created_at)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(&self.ids)
        .bind::<Array<BigInt>, _>(&self.numbers)
        .bind::<Array<SqlUuid>, _>(&self.stores)
        .bind::<Array<SqlUuid>, _>(&self.customers)
        .bind::<Array<Text>, _>(&self.statuses)
        .bind::<Array<Text>, _>(&self.fulfillments)
        .bind::<Array<BigInt>, _>(&self.subtotals)
        .bind::<Array<BigInt>, _>(&self.discounts)
        .bind::<Array<BigInt>, _>(&self.shipping_fees)
        .bind::<Array<BigInt>, _>(&self.totals)
        .bind::<Array<Timestamptz>, _>(&self.created_at)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO order_items (id, tenant_id, order_id, product_name, quantity, \
                                      unit_price_cents, line_total_cents, position) \
             SELECT r.id, $1, r.order_id, r.name, r.quantity, r.unit_price, r.line_total, r.position \
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::integer[], $6::bigint[], \
                         $7::bigint[], $8::integer[]) \
                  AS r(id, order_id, name, quantity, unit_price, line_total, position)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(&self.item_ids)
        .bind::<Array<SqlUuid>, _>(&self.item_orders)
        .bind::<Array<Text>, _>(&self.item_names)
        .bind::<Array<Integer>, _>(&self.item_quantities)
        .bind::<Array<BigInt>, _>(&self.item_unit_prices)
        .bind::<Array<BigInt>, _>(&self.item_line_totals)
        .bind::<Array<Integer>, _>(&self.item_positions)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO order_payments (order_id, tenant_id, method, amount_cents) \
             SELECT r.order_id, $1, r.method, r.amount FROM unnest($2::uuid[], $3::text[], $4::bigint[]) \
                  AS r(order_id, method, amount)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(&self.ids)
        .bind::<Array<Text>, _>(&self.payment_methods)
        .bind::<Array<BigInt>, _>(&self.totals)
        .execute(conn)
        .await?;
        diesel::sql_query(
            "INSERT INTO order_status_history (id, tenant_id, order_id, to_status, reason, created_at) \
             SELECT r.id, $1, r.order_id, r.status, 'imported', r.created_at \
             FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[]) \
                  AS r(id, order_id, status, created_at)",
        )
        .bind::<SqlUuid, _>(tenant.as_uuid())
        .bind::<Array<SqlUuid>, _>(&self.history_ids)
        .bind::<Array<SqlUuid>, _>(&self.ids)
        .bind::<Array<Text>, _>(&self.statuses)
        .bind::<Array<Timestamptz>, _>(&self.created_at)
        .execute(conn)
        .await
        .map(|_| ())
    }
}
