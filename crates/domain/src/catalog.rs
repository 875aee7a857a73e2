//! The menu: ordered categories, products, add-on groups with `min`/`max` choices.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::ids::{AddonGroupId, AddonId, CategoryId, ComboSlotId, PizzaSizeId, ProductId};
use crate::opening_hours::OpeningHours;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub is_active: bool,
    /// When its products are sold (a lunch menu), in the store's time zone; `None`: always.
    pub schedule: Option<OpeningHours>,
    /// The pizza whose flavours its products are (they are offered only as its flavours).
    pub flavors_for: Option<ProductId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addon {
    pub id: AddonId,
    pub group_id: AddonGroupId,
    pub name: String,
    pub price_cents: i64,
    pub is_available: bool,
    pub position: i32,
}

/// "Choose 1 to 2 sauces": a product's add-ons with how many may (`max`) and must (`min`) be
/// chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonGroup {
    pub id: AddonGroupId,
    pub product_id: ProductId,
    pub name: String,
    pub min_choices: i32,
    pub max_choices: i32,
    pub position: i32,
    pub addons: Vec<Addon>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub category_id: CategoryId,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub position: i32,
    pub is_active: bool,
    pub track_stock: bool,
    pub addon_groups: Vec<AddonGroup>,
    /// When it is sold, in the store's time zone; `None`: whenever its category is.
    pub schedule: Option<OpeningHours>,
    pub kind: ProductKind,
    /// A pizza's sizes, in order (empty for other kinds).
    pub sizes: Vec<PizzaSize>,
    /// A flavour's price for each size of its pizza (empty for other products).
    pub flavor_prices: BTreeMap<PizzaSizeId, i64>,
    /// A combo's slots, in order (empty for other kinds).
    pub slots: Vec<ComboSlot>,
}

/// "Choose a drink": a combo's slot, how many of its options may (`max`) and must (`min`) be
/// chosen, each option a product of the menu at an extra price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComboSlot {
    pub id: ComboSlotId,
    pub name: String,
    pub min_choices: i32,
    pub max_choices: i32,
    pub options: Vec<ComboOption>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComboOption {
    pub product_id: ProductId,
    pub extra_cents: i64,
}

/// What a product is: sold as it is, or a pizza made of flavours by size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ProductKind {
    #[default]
    Simple,
    Pizza,
    Combo,
}

impl ProductKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::Pizza => "pizza",
            Self::Combo => "combo",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "simple" => Some(Self::Simple),
            "pizza" => Some(Self::Pizza),
            "combo" => Some(Self::Combo),
            _ => None,
        }
    }
}

/// A size of a pizza: "Grande", 8 slices, up to 4 flavours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PizzaSize {
    pub id: PizzaSizeId,
    pub name: String,
    pub slices: i32,
    pub max_flavors: i32,
    pub position: i32,
}

/// Whether a schedule (none: always) includes `at`, read in the store's `time_zone`.
pub fn on_schedule(schedule: Option<&OpeningHours>, at: DateTime<Utc>, time_zone: Tz) -> bool {
    schedule.is_none_or(|schedule| schedule.is_open_at(at, time_zone))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("name must not be empty (at most 200 characters)")]
    BadName,
    #[error("price_cents must not be negative")]
    NegativePrice,
    #[error("choices need 0 <= min <= max and max >= 1 (at most 50)")]
    BadChoices,
}

pub fn check_name(name: &str) -> Result<String, CatalogError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(CatalogError::BadName);
    }
    Ok(name.to_owned())
}

pub fn check_price(price_cents: i64) -> Result<i64, CatalogError> {
    if price_cents < 0 {
        return Err(CatalogError::NegativePrice);
    }
    Ok(price_cents)
}

pub fn check_choices(min_choices: i32, max_choices: i32) -> Result<(), CatalogError> {
    if min_choices < 0 || max_choices < 1 || min_choices > max_choices || max_choices > 50 {
        return Err(CatalogError::BadChoices);
    }
    Ok(())
}

/// What one store says about a product: whether staff switched it off there, its stock when
/// stock is tracked there, and until when staff marked it sold out ("acabou por hoje").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreProductState {
    pub enabled: bool,
    pub stock: Option<i32>,
    pub sold_out_until: Option<DateTime<Utc>>,
}

impl StoreProductState {
    /// Whether staff marked it sold out at `at`.
    pub fn sold_out_at(&self, at: DateTime<Utc>) -> bool {
        self.sold_out_until.is_some_and(|until| at < until)
    }
}

impl Default for StoreProductState {
    fn default() -> Self {
        Self {
            enabled: true,
            stock: None,
            sold_out_until: None,
        }
    }
}

/// A product as a store's menu shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub product: Product,
    /// Can be ordered now: enabled in the store, in stock, inside its schedule (a pizza: and
    /// with a flavour that can).
    pub available: bool,
    pub out_of_stock: bool,
    /// A pizza's flavours: the products of the category marked `flavors_for` it.
    pub flavors: Vec<MenuItem>,
    /// A combo's options (of all its slots), as the menu shows them.
    pub options: Vec<MenuItem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuSection {
    pub category: Category,
    pub items: Vec<MenuItem>,
}

/// Whether a product can be sold in a store at `at` given its state there: `(available,
/// out_of_stock)`. A tracked product with no stock row has none; one marked sold out is out of
/// stock until the time staff gave.
pub fn availability(
    product: &Product,
    state: StoreProductState,
    at: DateTime<Utc>,
) -> (bool, bool) {
    let out_of_stock =
        (product.track_stock && state.stock.unwrap_or(0) <= 0) || state.sold_out_at(at);
    (
        product.is_active && state.enabled && !out_of_stock,
        out_of_stock,
    )
}

/// Until when a menu assembled at `now` stays true without any change to the data: the first
/// sold-out mark that ends, or schedule that opens or closes, after `now` (none: until the data
/// changes).
pub fn menu_valid_until(
    categories: &[Category],
    products: &[Product],
    states: &HashMap<ProductId, StoreProductState>,
    now: DateTime<Utc>,
    time_zone: Tz,
) -> Option<DateTime<Utc>> {
    let marks = states
        .values()
        .filter_map(|state| state.sold_out_until)
        .filter(|until| *until > now);
    let schedules = categories
        .iter()
        .filter_map(|category| category.schedule.as_ref())
        .chain(
            products
                .iter()
                .filter_map(|product| product.schedule.as_ref()),
        )
        .filter_map(|schedule| schedule.next_change_after(now, time_zone));
    marks.chain(schedules).min()
}

/// A store's menu at `now` (read in the store's `time_zone`): active categories in order, each
/// with its active products in order. Unavailable, out-of-stock and out-of-schedule items are
/// marked, or left out when the store hides them; categories left empty are not shown.
pub fn assemble_menu(
    mut categories: Vec<Category>,
    products: Vec<Product>,
    states: &HashMap<ProductId, StoreProductState>,
    hide_unavailable: bool,
    now: DateTime<Utc>,
    time_zone: Tz,
) -> Vec<MenuSection> {
    categories.retain(|category| category.is_active);
    categories.sort_by_key(|category| (category.position, category.name.clone()));
    let flavors_of: HashMap<CategoryId, ProductId> = categories
        .iter()
        .filter_map(|category| Some((category.id, category.flavors_for?)))
        .collect();
    let schedules: HashMap<CategoryId, &OpeningHours> = categories
        .iter()
        .filter_map(|category| Some((category.id, category.schedule.as_ref()?)))
        .collect();
    let mut by_category: HashMap<CategoryId, Vec<MenuItem>> = HashMap::new();
    let mut by_pizza: HashMap<ProductId, Vec<MenuItem>> = HashMap::new();
    for mut product in products.into_iter().filter(|product| product.is_active) {
        let (in_stock, out_of_stock) = availability(
            &product,
            states.get(&product.id).copied().unwrap_or_default(),
            now,
        );
        let available = in_stock
            && on_schedule(schedules.get(&product.category_id).copied(), now, time_zone)
            && on_schedule(product.schedule.as_ref(), now, time_zone);
        if hide_unavailable && !available {
            continue;
        }
        product.addon_groups.sort_by_key(|group| group.position);
        for group in &mut product.addon_groups {
            group.addons.sort_by_key(|addon| addon.position);
        }
        product
            .sizes
            .sort_by_key(|size| (size.position, size.name.clone()));
        let item = MenuItem {
            product,
            available,
            out_of_stock,
            flavors: Vec::new(),
            options: Vec::new(),
        };
        // A flavour is offered inside its pizza, not on its own.
        match flavors_of.get(&item.product.category_id) {
            Some(pizza) => by_pizza.entry(*pizza).or_default().push(item),
            None => by_category
                .entry(item.product.category_id)
                .or_default()
                .push(item),
        }
    }
    // Combos show their options as the menu does: copied only when the menu has a combo.
    let has_combo = by_category
        .values()
        .flatten()
        .any(|item| item.product.kind == ProductKind::Combo);
    let shown: HashMap<ProductId, MenuItem> = if has_combo {
        by_category
            .values()
            .flatten()
            .map(|item| (item.product.id, item.clone()))
            .collect()
    } else {
        HashMap::new()
    };
    categories
        .into_iter()
        .filter(|category| category.flavors_for.is_none())
        .filter_map(|category| {
            let mut items = by_category.remove(&category.id)?;
            for item in items
                .iter_mut()
                .filter(|item| item.product.kind == ProductKind::Combo)
            {
                let mut options: Vec<MenuItem> = Vec::new();
                for option in item.product.slots.iter().flat_map(|slot| &slot.options) {
                    if let Some(shown) = shown.get(&option.product_id)
                        && !options
                            .iter()
                            .any(|known| known.product.id == option.product_id)
                    {
                        options.push(shown.clone());
                    }
                }
                // Every slot must be fillable with what can be ordered now.
                item.available &= item.product.slots.iter().all(|slot| {
                    let open = slot
                        .options
                        .iter()
                        .filter(|option| {
                            options.iter().any(|known| {
                                known.product.id == option.product_id && known.available
                            })
                        })
                        .count();
                    i64::try_from(open).unwrap_or(i64::MAX) >= i64::from(slot.min_choices)
                });
                item.options = options;
            }
            for item in items
                .iter_mut()
                .filter(|item| item.product.kind == ProductKind::Pizza)
            {
                let mut flavors = by_pizza.remove(&item.product.id).unwrap_or_default();
                flavors
                    .sort_by_key(|flavor| (flavor.product.position, flavor.product.name.clone()));
                item.available &= flavors.iter().any(|flavor| flavor.available);
                item.flavors = flavors;
            }
            items.retain(|item| !hide_unavailable || item.available);
            items.sort_by_key(|item| (item.product.position, item.product.name.clone()));
            (!items.is_empty()).then_some(MenuSection { category, items })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(name: &str, position: i32) -> Category {
        Category {
            id: CategoryId::generate(),
            name: name.into(),
            description: String::new(),
            position,
            is_active: true,
            schedule: None,
            flavors_for: None,
        }
    }

    fn product(category: &Category, name: &str, position: i32, track_stock: bool) -> Product {
        Product {
            id: ProductId::generate(),
            category_id: category.id,
            name: name.into(),
            description: String::new(),
            price_cents: 1000,
            image_url: None,
            video_url: None,
            position,
            is_active: true,
            track_stock,
            addon_groups: Vec::new(),
            schedule: None,
            kind: ProductKind::Simple,
            sizes: Vec::new(),
            flavor_prices: BTreeMap::new(),
            slots: Vec::new(),
        }
    }

    #[test]
    fn categories_and_products_come_in_order() {
        let drinks = category("Bebidas", 2);
        let pizzas = category("Pizzas", 1);
        let products = vec![
            product(&drinks, "Suco", 1, false),
            product(&pizzas, "Calabresa", 2, false),
            product(&pizzas, "Margherita", 1, false),
        ];
        let menu = assemble_menu(
            vec![drinks, pizzas],
            products,
            &HashMap::new(),
            false,
            Utc::now(),
            chrono_tz::America::Sao_Paulo,
        );
        let names: Vec<(&str, Vec<&str>)> = menu
            .iter()
            .map(|s| {
                (
                    s.category.name.as_str(),
                    s.items.iter().map(|i| i.product.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("Pizzas", vec!["Margherita", "Calabresa"]),
                ("Bebidas", vec!["Suco"])
            ]
        );
    }

    #[test]
    fn unavailable_and_out_of_stock_items_are_marked_not_hidden() {
        let pizzas = category("Pizzas", 1);
        let disabled = product(&pizzas, "Desligada", 1, false);
        let sold_out = product(&pizzas, "Esgotada", 2, true);
        let in_stock = product(&pizzas, "Em estoque", 3, true);
        let states = HashMap::from([
            (
                disabled.id,
                StoreProductState {
                    enabled: false,
                    ..StoreProductState::default()
                },
            ),
            (
                sold_out.id,
                StoreProductState {
                    stock: Some(0),
                    ..StoreProductState::default()
                },
            ),
            (
                in_stock.id,
                StoreProductState {
                    stock: Some(3),
                    ..StoreProductState::default()
                },
            ),
        ]);
        let products = vec![disabled, sold_out, in_stock];
        let menu = assemble_menu(
            vec![pizzas.clone()],
            products.clone(),
            &states,
            false,
            Utc::now(),
            chrono_tz::America::Sao_Paulo,
        );
        let flags: Vec<(bool, bool)> = menu[0]
            .items
            .iter()
            .map(|i| (i.available, i.out_of_stock))
            .collect();
        assert_eq!(flags, vec![(false, false), (false, true), (true, false)]);

        let hidden = assemble_menu(
            vec![pizzas],
            products,
            &states,
            true,
            Utc::now(),
            chrono_tz::America::Sao_Paulo,
        );
        assert_eq!(hidden[0].items.len(), 1);
        assert_eq!(hidden[0].items[0].product.name, "Em estoque");
    }

    #[test]
    fn a_product_marked_sold_out_is_out_of_stock_until_the_time_given() {
        let pizzas = category("Pizzas", 1);
        let margherita = product(&pizzas, "Margherita", 1, false);
        let closing = Utc::now() + chrono::TimeDelta::hours(3);
        let state = StoreProductState {
            sold_out_until: Some(closing),
            ..StoreProductState::default()
        };
        let before = closing - chrono::TimeDelta::seconds(1);
        assert_eq!(availability(&margherita, state, before), (false, true));
        assert_eq!(availability(&margherita, state, closing), (true, false));
        let states = HashMap::from([(margherita.id, state)]);
        let valid_until =
            |at| menu_valid_until(&[], &[], &states, at, chrono_tz::America::Sao_Paulo);
        assert_eq!(valid_until(before), Some(closing));
        assert_eq!(valid_until(closing), None, "an ended mark bounds nothing");
        let menu = assemble_menu(
            vec![pizzas],
            vec![margherita],
            &states,
            false,
            before,
            chrono_tz::America::Sao_Paulo,
        );
        assert!(menu[0].items[0].out_of_stock);
    }

    #[test]
    fn a_lunch_category_is_unavailable_outside_lunch_and_the_menu_ends_at_its_boundary() {
        use crate::opening_hours::TimeRange;
        use chrono::TimeZone;
        let sao_paulo = chrono_tz::America::Sao_Paulo;
        let lunch = OpeningHours::every_day(vec![TimeRange::new("11:00", "15:00").expect("range")])
            .expect("week");
        let mut executivo = category("Executivo", 1);
        executivo.schedule = Some(lunch.clone());
        let mut pizzas = category("Pizzas", 2);
        let prato = product(&executivo, "Prato do dia", 1, false);
        let mut brunch = product(&pizzas, "Pizza brunch", 1, false);
        brunch.schedule = Some(lunch);
        let pizza = product(&pizzas, "Margherita", 2, false);
        pizzas.schedule = None;
        let at = |hour| {
            sao_paulo
                .with_ymd_and_hms(2026, 12, 1, hour, 0, 0)
                .single()
                .expect("time")
                .to_utc()
        };
        let categories = vec![executivo, pizzas];
        let products = vec![prato, brunch, pizza];
        let flags = |now| {
            assemble_menu(
                categories.clone(),
                products.clone(),
                &HashMap::new(),
                false,
                now,
                sao_paulo,
            )
            .iter()
            .flat_map(|section| {
                section
                    .items
                    .iter()
                    .map(|item| (item.product.name.clone(), item.available))
            })
            .collect::<Vec<_>>()
        };
        let names = |flags: Vec<(String, bool)>| {
            flags
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(flags(at(12))),
            vec!["Prato do dia", "Pizza brunch", "Margherita"]
        );
        assert_eq!(
            names(flags(at(16))),
            vec!["Margherita"],
            "shown, not available, after lunch"
        );
        assert_eq!(flags(at(16)).len(), 3);
        assert_eq!(
            menu_valid_until(&categories, &products, &HashMap::new(), at(12), sao_paulo),
            Some(at(15))
        );
        assert_eq!(
            menu_valid_until(&categories, &products, &HashMap::new(), at(16), sao_paulo),
            Some(
                sao_paulo
                    .with_ymd_and_hms(2026, 12, 2, 11, 0, 0)
                    .single()
                    .expect("time")
                    .to_utc()
            )
        );
    }

    #[test]
    fn tracked_products_without_a_stock_row_are_out_of_stock() {
        let pizzas = category("Pizzas", 1);
        let tracked = product(&pizzas, "Sem linha", 1, true);
        assert_eq!(
            availability(&tracked, StoreProductState::default(), Utc::now()),
            (false, true)
        );
    }

    #[test]
    fn inactive_things_and_empty_categories_are_left_out() {
        let mut hidden_category = category("Escondida", 1);
        hidden_category.is_active = false;
        let empty = category("Vazia", 2);
        let pizzas = category("Pizzas", 3);
        let mut retired = product(&pizzas, "Aposentada", 1, false);
        retired.is_active = false;
        let products = vec![
            product(&hidden_category, "X", 1, false),
            retired,
            product(&pizzas, "Viva", 2, false),
        ];
        let menu = assemble_menu(
            vec![hidden_category, empty, pizzas],
            products,
            &HashMap::new(),
            false,
            Utc::now(),
            chrono_tz::America::Sao_Paulo,
        );
        assert_eq!(menu.len(), 1);
        assert_eq!(menu[0].items.len(), 1);
    }

    #[test]
    fn choices_and_prices_are_checked() {
        assert!(check_choices(0, 1).is_ok());
        assert!(check_choices(2, 2).is_ok());
        assert_eq!(check_choices(2, 1), Err(CatalogError::BadChoices));
        assert_eq!(check_choices(0, 0), Err(CatalogError::BadChoices));
        assert_eq!(check_choices(-1, 1), Err(CatalogError::BadChoices));
        assert_eq!(check_price(-1), Err(CatalogError::NegativePrice));
        assert_eq!(check_name("  "), Err(CatalogError::BadName));
        assert_eq!(check_name(" Pizza "), Ok("Pizza".into()));
    }
}
