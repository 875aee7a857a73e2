//! `comanda import customers | products | orders`: rows from the original system's CSV exports,
//! validated one by one; the valid ones are written in one transaction, the others reported with
//! their line and reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use comanda_domain::identity::Email;
use comanda_domain::orders::{Fulfillment, OrderStatus, PaymentMethod};
use comanda_domain::pagination::PageRequest;
use comanda_domain::phone::Phone;
use comanda_domain::{StoreId, TenantId};
use comanda_ports::catalog::PizzaSizeInput;
use comanda_ports::imports::{
    CustomerRow, ImportCounts, ImportRepository, OrderItemRow, OrderRow, PizzaColumns, ProductRow,
    Progress,
};
use comanda_ports::{Actor, StoreRepository};

use crate::ServiceError;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Customers,
    Products,
    Orders,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Products => "products",
            Self::Orders => "orders",
        }
    }

    /// Columns the header must have.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            Self::Customers => &["name", "phone"],
            Self::Products => &["category", "name", "price"],
            Self::Orders => &[
                "number",
                "created_at",
                "store",
                "customer_name",
                "customer_phone",
                "status",
                "product",
                "quantity",
                "unit_price",
            ],
        }
    }

    /// Columns read when present.
    pub fn optional_columns(self) -> &'static [&'static str] {
        match self {
            Self::Customers => &["email", "notes"],
            Self::Products => &["description", "active", "track_stock"],
            Self::Orders => &["fulfillment", "payment_method", "shipping_fee", "discount"],
        }
    }
}

/// One data line of the file, by lower-case column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRecord {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub fields: HashMap<String, String>,
}

impl CsvRecord {
    fn get(&self, column: &str) -> &str {
        self.fields.get(column).map_or("", |value| value.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data lines read.
    pub rows: usize,
    pub counts: ImportCounts,
    /// Lines not imported, in file order.
    pub rejected: Vec<Rejected>,
}

#[derive(Clone)]
pub struct ImportService {
    imports: Arc<dyn ImportRepository>,
    stores: Arc<dyn StoreRepository>,
}

type RowResult<T> = Result<T, String>;

fn required<'a>(record: &'a CsvRecord, column: &str) -> RowResult<&'a str> {
    match record.get(column) {
        "" => Err(format!("{column}: required")),
        value => Ok(value),
    }
}

fn phone(record: &CsvRecord, column: &str) -> RowResult<Phone> {
    let raw = required(record, column)?;
    Phone::parse(raw).map_err(|error| format!("{column}: `{raw}` is {error}"))
}

/// Reais as people write them: `12`, `12,5`, `12,50`, `12.50`, `1.234,56`, `R$ 9,90`.
pub fn parse_amount_cents(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches("R$")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('-') {
        return None;
    }
    // The last separator followed by one or two digits is the decimal one; others group thousands.
    let (whole, fraction) = match cleaned.rfind([',', '.']) {
        Some(at) if cleaned.len() - at - 1 <= 2 => (&cleaned[..at], &cleaned[at + 1..]),
        _ => (cleaned.as_str(), ""),
    };
    let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let reais: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    reais.checked_mul(100)?.checked_add(cents)
}

fn amount(record: &CsvRecord, column: &str, default: Option<i64>) -> RowResult<i64> {
    match (record.get(column), default) {
        ("", Some(default)) => Ok(default),
        ("", None) => Err(format!("{column}: required")),
        (raw, _) => parse_amount_cents(raw)
            .ok_or_else(|| format!("{column}: `{raw}` is not an amount in reais (e.g. 12,50)")),
    }
}

fn flag(record: &CsvRecord, column: &str, default: bool) -> RowResult<bool> {
    match record.get(column).to_lowercase().as_str() {
        "" => Ok(default),
        "1" | "true" | "yes" | "sim" | "s" | "y" => Ok(true),
        "0" | "false" | "no" | "não" | "nao" | "n" => Ok(false),
        other => Err(format!("{column}: `{other}` is not yes or no")),
    }
}

/// RFC 3339, or São Paulo local time as `2025-03-01 19:30[:00]` or `01/03/2025 19:30[:00]`.
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%d/%m/%Y"]
            .iter()
            .find_map(|format| NaiveDate::parse_from_str(raw, format).ok())
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    })?;
    chrono_tz::America::Sao_Paulo
        .from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
}

fn customer_row(record: &CsvRecord) -> RowResult<CustomerRow> {
    let email = match record.get("email") {
        "" => None,
        raw => Some(
            Email::parse(raw)
                .map_err(|_| format!("email: `{raw}` is not an e-mail address"))?
                .as_str()
                .to_owned(),
        ),
    };
    Ok(CustomerRow {
        line: record.line,
        name: record.get("name").to_owned(),
        phone: phone(record, "phone")?,
        email,
        notes: record.get("notes").to_owned(),
    })
}

fn product_row(record: &CsvRecord) -> RowResult<ProductRow> {
    let name = required(record, "name")?;
    if name.chars().count() > 200 {
        return Err("name: at most 200 characters".into());
    }
    Ok(ProductRow {
        line: record.line,
        category: required(record, "category")?.to_owned(),
        name: name.to_owned(),
        description: record.get("description").to_owned(),
        price_cents: amount(record, "price", None)?,
        is_active: flag(record, "active", true)?,
        track_stock: flag(record, "track_stock", false)?,
        pizza: pizza_columns(record)?,
    })
}

/// A pizza menu's columns: `kind` `pizza` with `sizes` (`Broto:4:1|Média:6:2`: name, slices,
/// most flavours), or a flavour: `flavor_of` (the pizza's name) with `prices` by size name
/// (`Broto=29,90|Média=42,90`).
fn pizza_columns(record: &CsvRecord) -> RowResult<Option<PizzaColumns>> {
    let kind = record.get("kind").to_lowercase();
    let (sizes, flavor_of, prices) = (
        record.get("sizes"),
        record.get("flavor_of"),
        record.get("prices"),
    );
    match kind.as_str() {
        "" | "simple" if sizes.is_empty() && flavor_of.is_empty() && prices.is_empty() => Ok(None),
        "" | "simple" if flavor_of.is_empty() || prices.is_empty() => {
            Err("sizes are for a pizza (kind pizza); a flavour needs flavor_of and prices".into())
        }
        "" | "simple" => {
            let prices = prices
                .split('|')
                .map(|pair| {
                    let (size, price) = pair.split_once('=').ok_or_else(|| {
                        format!("prices: `{pair}` is not size=price (e.g. Grande=54,90)")
                    })?;
                    let cents = parse_amount_cents(price.trim())
                        .ok_or_else(|| format!("prices: `{price}` is not an amount in reais"))?;
                    Ok((size.trim().to_owned(), cents))
                })
                .collect::<RowResult<Vec<_>>>()?;
            Ok(Some(PizzaColumns::Flavor {
                pizza: flavor_of.to_owned(),
                prices,
            }))
        }
        "pizza" if !flavor_of.is_empty() || !prices.is_empty() => {
            Err("a pizza has sizes, not flavor_of or prices".into())
        }
        "pizza" => {
            let sizes = sizes
                .split('|')
                .filter(|size| !size.trim().is_empty())
                .map(|size| {
                    let parts: Vec<&str> = size.split(':').map(str::trim).collect();
                    match parts.as_slice() {
                        [name, slices, most] if !name.is_empty() => Ok(PizzaSizeInput {
                            id: None,
                            name: (*name).to_owned(),
                            slices: slices
                                .parse()
                                .ok()
                                .filter(|n| (1..=64).contains(n))
                                .ok_or_else(|| format!("sizes: `{size}`: slices are 1 to 64"))?,
                            max_flavors: most
                                .parse()
                                .ok()
                                .filter(|n| (1..=4).contains(n))
                                .ok_or_else(|| {
                                    format!("sizes: `{size}`: most flavours are 1 to 4")
                                })?,
                        }),
                        _ => Err(format!("sizes: `{size}` is not name:slices:most flavours")),
                    }
                })
                .collect::<RowResult<Vec<_>>>()?;
            if sizes.is_empty() || sizes.len() > 10 {
                return Err("sizes: a pizza has 1 to 10 sizes".into());
            }
            Ok(Some(PizzaColumns::Pizza(sizes)))
        }
        other => Err(format!("kind: `{other}` is not simple or pizza")),
    }
}

/// The order fields every line of one order repeats.
/// `stores`: the tenant's stores as (id, name).
fn order_head(record: &CsvRecord, stores: &[(StoreId, String)]) -> RowResult<OrderRow> {
    let number_raw = required(record, "number")?;
    let number = number_raw
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|number| *number > 0)
        .ok_or_else(|| format!("number: `{number_raw}` is not a positive whole number"))?;
    let created_raw = required(record, "created_at")?;
    let created_at = parse_timestamp(created_raw).ok_or_else(|| {
        format!("created_at: `{created_raw}` is not a date and time (2025-03-01 19:30 or RFC 3339)")
    })?;
    let store_raw = required(record, "store")?;
    let store: StoreId = stores
        .iter()
        .find(|(id, name)| {
            id.to_string() == store_raw || name.trim().eq_ignore_ascii_case(store_raw)
        })
        .map(|(id, _)| *id)
        .ok_or_else(|| format!("store: no store named `{store_raw}`"))?;
    let status_raw = required(record, "status")?;
    let status = status_raw
        .to_lowercase()
        .parse::<OrderStatus>()
        .map_err(|_| format!("status: `{status_raw}` is not an order status"))?;
    let fulfillment = match record.get("fulfillment") {
        "" => Fulfillment::Delivery,
        raw => raw
            .to_lowercase()
            .parse()
            .map_err(|_| format!("fulfillment: `{raw}` is not delivery or pickup"))?,
    };
    let payment_method = match record.get("payment_method") {
        "" => PaymentMethod::Pix,
        raw => raw.to_lowercase().parse().map_err(|_| {
            format!("payment_method: `{raw}` is not pix, cash, card_on_delivery or online")
        })?,
    };
    Ok(OrderRow {
        line: record.line,
        number,
        created_at,
        store_id: store,
        customer_name: record.get("customer_name").to_owned(),
        customer_phone: phone(record, "customer_phone")?,
        status,
        fulfillment,
        payment_method,
        items: Vec::new(),
        shipping_fee_cents: amount(record, "shipping_fee", Some(0))?,
        discount_cents: amount(record, "discount", Some(0))?,
    })
}

fn order_item(record: &CsvRecord) -> RowResult<OrderItemRow> {
    let quantity_raw = required(record, "quantity")?;
    let quantity = quantity_raw
        .parse::<i32>()
        .ok()
        .filter(|quantity| (1..=10_000).contains(quantity))
        .ok_or_else(|| format!("quantity: `{quantity_raw}` is not a whole number from 1"))?;
    Ok(OrderItemRow {
        product_name: required(record, "product")?.to_owned(),
        quantity,
        unit_price_cents: amount(record, "unit_price", None)?,
    })
}

/// Lines of one order, grouped by number: the order is taken whole or not at all.
fn orders(
    records: &[CsvRecord],
    stores: &[(StoreId, String)],
    rejected: &mut Vec<Rejected>,
) -> Vec<OrderRow> {
    let mut by_number: BTreeMap<i64, (OrderRow, Vec<u64>)> = BTreeMap::new();
    let mut broken: BTreeMap<i64, String> = BTreeMap::new();
    for record in records {
        let head = match order_head(record, stores) {
            Ok(head) => head,
            Err(reason) => {
                rejected.push(Rejected {
                    line: record.line,
                    reason,
                });
                // The order's other lines are refused below, once its number is known.
                if let Ok(number) = record.get("number").trim_start_matches('#').parse::<i64>() {
                    broken.entry(number).or_insert_with(|| {
                        format!("line {} of this order was refused", record.line)
                    });
                }
                continue;
            }
        };
        let item = match order_item(record) {
            Ok(item) => item,
            Err(reason) => {
                rejected.push(Rejected {
                    line: record.line,
                    reason,
                });
                broken
                    .entry(head.number)
                    .or_insert_with(|| format!("line {} of this order was refused", record.line));
                continue;
            }
        };
        match by_number.get_mut(&head.number) {
            None => {
                let mut order = head;
                order.items.push(item);
                by_number.insert(order.number, (order, vec![record.line]));
            }
            Some((order, lines)) => {
                let same = order.created_at == head.created_at
                    && order.store_id == head.store_id
                    && order.customer_phone == head.customer_phone
                    && order.status == head.status
                    && order.fulfillment == head.fulfillment
                    && order.payment_method == head.payment_method;
                if same {
                    order.items.push(item);
                    lines.push(record.line);
                } else {
                    rejected.push(Rejected {
                        line: record.line,
                        reason: format!(
                            "number {}: differs from line {} in date, store, customer, status, fulfillment or payment",
                            head.number, order.line
                        ),
                    });
                    broken.entry(head.number).or_insert_with(|| {
                        format!("line {} of this order was refused", record.line)
                    });
                }
            }
        }
    }
    let mut kept = Vec::new();
    for (number, (order, lines)) in by_number {
        match broken.get(&number) {
            Some(reason) => rejected.extend(lines.into_iter().map(|line| Rejected {
                line,
                reason: format!("number {number}: {reason}"),
            })),
            None => kept.push(order),
        }
    }
    rejected.sort_by_key(|rejected| rejected.line);
    kept
}

/// The row, or its line and reason noted in `rejected`.
fn keep<T>(rejected: &mut Vec<Rejected>, record: &CsvRecord, result: RowResult<T>) -> Option<T> {
    match result {
        Ok(row) => Some(row),
        Err(reason) => {
            rejected.push(Rejected {
                line: record.line,
                reason,
            });
            None
        }
    }
}

impl ImportService {
    pub fn new(imports: Arc<dyn ImportRepository>, stores: Arc<dyn StoreRepository>) -> Self {
        Self { imports, stores }
    }

    /// Validates every record, then writes the valid ones in one transaction. Nothing is
    /// written when the write fails.
    pub async fn import(
        &self,
        tenant: TenantId,
        kind: ImportKind,
        records: &[CsvRecord],
        actor: &Actor,
        progress: Progress<'_>,
    ) -> Result<ImportReport, ServiceError> {
        let mut rejected = Vec::new();
        let counts = match kind {
            ImportKind::Customers => {
                let rows: Vec<CustomerRow> = records
                    .iter()
                    .filter_map(|record| keep(&mut rejected, record, customer_row(record)))
                    .collect();
                self.imports
                    .customers(tenant, &rows, actor, progress)
                    .await?
            }
            ImportKind::Products => {
                let rows: Vec<ProductRow> = records
                    .iter()
                    .filter_map(|record| keep(&mut rejected, record, product_row(record)))
                    .collect();
                self.imports
                    .products(tenant, &rows, actor, progress)
                    .await?
            }
            ImportKind::Orders => {
                let stores = self
                    .stores
                    .list_all(
                        tenant,
                        PageRequest::new(Some(200), None).unwrap_or_default(),
                    )
                    .await?
                    .items
                    .into_iter()
                    .map(|store| (store.id, store.name))
                    .collect::<Vec<_>>();
                let rows = orders(records, &stores, &mut rejected);
                self.imports.orders(tenant, &rows, actor, progress).await?
            }
        };
        Ok(ImportReport {
            rows: records.len(),
            counts,
            rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_write_them() {
        for (raw, cents) in [
            ("12", 1200),
            ("12,5", 1250),
            ("12,50", 1250),
            ("12.50", 1250),
            ("1.234,56", 123_456),
            ("1,234.56", 123_456),
            ("R$ 9,90", 990),
            ("0,99", 99),
            ("1.000", 100_000),
        ] {
            assert_eq!(parse_amount_cents(raw), Some(cents), "{raw}");
        }
        for raw in ["", "-5", "abc", "12,5x", "R$"] {
            assert_eq!(parse_amount_cents(raw), None, "{raw}");
        }
    }

    #[test]
    fn local_times_are_sao_paulo_time() {
        let expected = Utc.with_ymd_and_hms(2025, 3, 1, 22, 30, 0).single();
        assert_eq!(parse_timestamp("2025-03-01 19:30"), expected);
        assert_eq!(parse_timestamp("01/03/2025 19:30:00"), expected);
        assert_eq!(parse_timestamp("2025-03-01T19:30:00-03:00"), expected);
        assert_eq!(parse_timestamp("ontem"), None);
    }

    fn record(line: u64, fields: &[(&str, &str)]) -> CsvRecord {
        CsvRecord {
            line,
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_bad_line_of_an_order_refuses_the_whole_order() {
        let store = (StoreId::generate(), "Centro".to_owned());
        let line = |line, number: &str, quantity: &str| {
            record(
                line,
                &[
                    ("number", number),
                    ("created_at", "2025-03-01 19:30"),
                    ("store", "centro"),
                    ("customer_name", "Ana"),
                    ("customer_phone", "11987654321"),
                    ("status", "delivered"),
                    ("product", "Pizza"),
                    ("quantity", quantity),
                    ("unit_price", "50,00"),
                ],
            )
        };
        let mut rejected = Vec::new();
        let kept = orders(
            &[
                line(2, "7", "1"),
                line(3, "7", "zero"),
                line(4, "8", "2"),
                line(5, "8", "1"),
            ],
            &[store],
            &mut rejected,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].number, 8);
        assert_eq!(kept[0].items.len(), 2);
        let lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert!(rejected[1].reason.starts_with("quantity"));
    }
}
