//! Pricing an order (docs/api.md#checkout, docs/api.md#tenant-portal): lines from server prices and chosen add-ons, at most one
//! discount (the coupon when given, else the best automatic campaign), free shipping when a
//! campaign or the store grants it, and totals that are never negative.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::catalog::Product;
use crate::ids::{AddonId, CampaignId, CategoryId, ProductId, StoreId};

/// Most units of one product in one order line.
pub const MAX_QUANTITY: u32 = 99;
/// Most units of one add-on on one line.
pub const MAX_ADDON_QUANTITY: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignKind {
    /// Percent off the eligible items (1 to 100).
    Percentage(u32),
    /// Cents off the eligible items, at most their value.
    Fixed(i64),
    FreeShipping,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub kind: CampaignKind,
    /// Without a code the campaign applies by itself.
    pub coupon_code: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub min_subtotal_cents: i64,
    /// Empty: every store.
    pub store_ids: BTreeSet<StoreId>,
    /// Both empty: every product.
    pub product_ids: BTreeSet<ProductId>,
    pub category_ids: BTreeSet<CategoryId>,
    pub usage_limit: Option<i32>,
    pub per_customer_limit: Option<i32>,
    pub uses: i32,
    pub is_active: bool,
}

/// What a campaign is checked against.
#[derive(Debug, Clone)]
pub struct CampaignContext<'a> {
    pub now: DateTime<Utc>,
    pub store: StoreId,
    /// How many times this customer already used each campaign.
    pub customer_uses: &'a HashMap<CampaignId, i32>,
}

impl Campaign {
    /// Whether the campaign can apply to an order now (dates, store, limits), before looking at
    /// the order's items.
    pub fn is_live(&self, context: &CampaignContext<'_>) -> bool {
        let started = self.starts_at.is_none_or(|start| start <= context.now);
        let not_ended = self.ends_at.is_none_or(|end| context.now < end);
        let in_store = self.store_ids.is_empty() || self.store_ids.contains(&context.store);
        let uses_left = self.usage_limit.is_none_or(|limit| self.uses < limit);
        let customer_uses = context.customer_uses.get(&self.id).copied().unwrap_or(0);
        let customer_left = self
            .per_customer_limit
            .is_none_or(|limit| customer_uses < limit);
        self.is_active && started && not_ended && in_store && uses_left && customer_left
    }

    fn covers(&self, line: &PricedLine) -> bool {
        (self.product_ids.is_empty() && self.category_ids.is_empty())
            || self.product_ids.contains(&line.product_id)
            || self.category_ids.contains(&line.category_id)
    }

    /// The value of the lines the campaign covers.
    fn eligible_cents(&self, lines: &[PricedLine]) -> i64 {
        lines
            .iter()
            .filter(|line| self.covers(line))
            .map(|line| line.line_total_cents)
            .fold(0, i64::saturating_add)
    }

    /// Whether the order qualifies: live, enough subtotal, and something it covers.
    pub fn applies(
        &self,
        lines: &[PricedLine],
        subtotal_cents: i64,
        context: &CampaignContext<'_>,
    ) -> bool {
        self.is_live(context)
            && subtotal_cents >= self.min_subtotal_cents
            && self.eligible_cents(lines) > 0
    }

    /// The discount on these lines: never more than what it covers.
    pub fn discount_cents(&self, lines: &[PricedLine]) -> i64 {
        let eligible = self.eligible_cents(lines);
        match self.kind {
            CampaignKind::Percentage(percent) => {
                eligible.saturating_mul(i64::from(percent.min(100))) / 100
            }
            CampaignKind::Fixed(cents) => cents.clamp(0, eligible),
            CampaignKind::FreeShipping => 0,
        }
    }

    fn code_matches(&self, code: &str) -> bool {
        self.coupon_code
            .as_deref()
            .is_some_and(|own| own.trim().eq_ignore_ascii_case(code.trim()))
    }
}

/// One add-on chosen for a line: `(add-on, quantity)`.
pub type AddonChoice = (AddonId, u32);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedAddon {
    pub id: AddonId,
    pub name: String,
    pub group_name: String,
    pub quantity: u32,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub product_id: ProductId,
    pub category_id: CategoryId,
    pub name: String,
    pub quantity: u32,
    /// The product's price plus its add-ons, per unit.
    pub unit_price_cents: i64,
    pub addons: Vec<PricedAddon>,
    pub line_total_cents: i64,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("quantity must be 1 to {MAX_QUANTITY}")]
    Quantity,
    #[error("add-on {0} is not an option of this product")]
    UnknownAddon(AddonId),
    #[error("add-on {0} is not available")]
    AddonUnavailable(AddonId),
    #[error("add-on quantity must be 1 to {MAX_ADDON_QUANTITY}")]
    AddonQuantity,
    #[error("choose {min} to {max} in \"{group}\"")]
    Choices { group: String, min: i32, max: i32 },
}

/// Prices one line from the product as stored (never from client prices), checking each add-on
/// group's `min`/`max`.
pub fn price_line(
    product: &Product,
    quantity: u32,
    choices: &[AddonChoice],
    notes: &str,
) -> Result<PricedLine, PricingError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(PricingError::Quantity);
    }
    let mut addons = Vec::with_capacity(choices.len());
    let mut per_group: HashMap<usize, u32> = HashMap::new();
    for (addon_id, addon_quantity) in choices {
        if !(1..=MAX_ADDON_QUANTITY).contains(addon_quantity) {
            return Err(PricingError::AddonQuantity);
        }
        let (group_index, group, addon) = product
            .addon_groups
            .iter()
            .enumerate()
            .find_map(|(index, group)| {
                group
                    .addons
                    .iter()
                    .find(|addon| addon.id == *addon_id)
                    .map(|addon| (index, group, addon))
            })
            .ok_or(PricingError::UnknownAddon(*addon_id))?;
        if !addon.is_available {
            return Err(PricingError::AddonUnavailable(*addon_id));
        }
        *per_group.entry(group_index).or_default() += addon_quantity;
        addons.push(PricedAddon {
            id: addon.id,
            name: addon.name.clone(),
            group_name: group.name.clone(),
            quantity: *addon_quantity,
            unit_price_cents: addon.price_cents,
        });
    }
    for (index, group) in product.addon_groups.iter().enumerate() {
        let chosen = i64::from(per_group.get(&index).copied().unwrap_or(0));
        if chosen < i64::from(group.min_choices) || chosen > i64::from(group.max_choices) {
            return Err(PricingError::Choices {
                group: group.name.clone(),
                min: group.min_choices,
                max: group.max_choices,
            });
        }
    }
    let addons_cents = addons
        .iter()
        .map(|addon| {
            addon
                .unit_price_cents
                .saturating_mul(i64::from(addon.quantity))
        })
        .fold(0, i64::saturating_add);
    let unit_price_cents = product.price_cents.saturating_add(addons_cents);
    Ok(PricedLine {
        product_id: product.id,
        category_id: product.category_id,
        name: product.name.clone(),
        quantity,
        unit_price_cents,
        addons,
        line_total_cents: unit_price_cents.saturating_mul(i64::from(quantity)),
        notes: notes.trim().chars().take(500).collect(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPrice {
    pub lines: Vec<PricedLine>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_fee_cents: i64,
    pub total_cents: i64,
    pub discount_campaign: Option<CampaignId>,
    pub free_shipping_campaign: Option<CampaignId>,
}

impl OrderPrice {
    /// Every campaign that shaped the price.
    pub fn applied_campaigns(&self) -> Vec<CampaignId> {
        let mut applied: Vec<CampaignId> = self.discount_campaign.into_iter().collect();
        if let Some(free) = self.free_shipping_campaign
            && !applied.contains(&free)
        {
            applied.push(free);
        }
        applied
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the coupon is unknown, expired, used up or does not apply to this order")]
pub struct InvalidCoupon;

/// What the order costs to deliver, before campaigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingCharge {
    pub fee_cents: i64,
    /// The store ships free from this subtotal.
    pub free_above_cents: Option<i64>,
}

/// The order's totals. `shipping` is `None` for pickup.
pub fn price_order(
    lines: Vec<PricedLine>,
    shipping: Option<ShippingCharge>,
    campaigns: &[Campaign],
    coupon: Option<&str>,
    context: &CampaignContext<'_>,
) -> Result<OrderPrice, InvalidCoupon> {
    let subtotal_cents = lines
        .iter()
        .map(|line| line.line_total_cents)
        .fold(0, i64::saturating_add);
    let applicable: Vec<&Campaign> = campaigns
        .iter()
        .filter(|campaign| campaign.applies(&lines, subtotal_cents, context))
        .collect();
    let coupon = coupon.map(str::trim).filter(|code| !code.is_empty());
    let coupon_campaign = match coupon {
        Some(code) => Some(
            applicable
                .iter()
                .copied()
                .find(|campaign| campaign.code_matches(code))
                .ok_or(InvalidCoupon)?,
        ),
        None => None,
    };
    let automatic = || {
        applicable
            .iter()
            .copied()
            .filter(|campaign| campaign.coupon_code.is_none())
    };

    let discount_campaign = match coupon_campaign {
        Some(campaign) if campaign.kind != CampaignKind::FreeShipping => Some(campaign),
        _ => automatic()
            .filter(|campaign| campaign.kind != CampaignKind::FreeShipping)
            // The best for the customer; ties go to the lowest id, so the price is stable.
            .max_by_key(|campaign| {
                (
                    campaign.discount_cents(&lines),
                    std::cmp::Reverse(campaign.id),
                )
            }),
    };
    let discount_cents = discount_campaign
        .map(|campaign| campaign.discount_cents(&lines))
        .unwrap_or(0)
        .clamp(0, subtotal_cents);
    let discount_campaign = discount_campaign.filter(|_| discount_cents > 0);

    let free_shipping_campaign = coupon_campaign
        .filter(|campaign| campaign.kind == CampaignKind::FreeShipping)
        .or_else(|| {
            automatic()
                .filter(|campaign| campaign.kind == CampaignKind::FreeShipping)
                .min_by_key(|campaign| campaign.id)
        });
    let shipping_fee_cents = match shipping {
        None => 0,
        Some(_) if free_shipping_campaign.is_some() => 0,
        Some(charge)
            if charge
                .free_above_cents
                .is_some_and(|threshold| subtotal_cents >= threshold) =>
        {
            0
        }
        Some(charge) => charge.fee_cents.max(0),
    };
    let free_shipping_campaign = free_shipping_campaign.filter(|_| shipping.is_some());
    Ok(OrderPrice {
        total_cents: subtotal_cents
            .saturating_sub(discount_cents)
            .saturating_add(shipping_fee_cents)
            .max(0),
        lines,
        subtotal_cents,
        discount_cents,
        shipping_fee_cents,
        discount_campaign: discount_campaign.map(|campaign| campaign.id),
        free_shipping_campaign: free_shipping_campaign.map(|campaign| campaign.id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Addon, AddonGroup};
    use crate::ids::AddonGroupId;
    use proptest::prelude::*;

    fn product(price_cents: i64) -> Product {
        let id = ProductId::generate();
        let group_id = AddonGroupId::generate();
        Product {
            id,
            category_id: CategoryId::generate(),
            name: "Pizza".into(),
            description: String::new(),
            price_cents,
            image_url: None,
            video_url: None,
            position: 0,
            is_active: true,
            track_stock: false,
            addon_groups: vec![AddonGroup {
                id: group_id,
                product_id: id,
                name: "Borda".into(),
                min_choices: 0,
                max_choices: 1,
                position: 0,
                addons: vec![
                    Addon {
                        id: AddonId::generate(),
                        group_id,
                        name: "Catupiry".into(),
                        price_cents: 900,
                        is_available: true,
                        position: 0,
                    },
                    Addon {
                        id: AddonId::generate(),
                        group_id,
                        name: "Cheddar".into(),
                        price_cents: 700,
                        is_available: false,
                        position: 1,
                    },
                ],
            }],
            schedule: None,
            kind: crate::catalog::ProductKind::Simple,
            sizes: Vec::new(),
            flavor_prices: std::collections::BTreeMap::new(),
            slots: Vec::new(),
        }
    }

    fn campaign(kind: CampaignKind, code: Option<&str>) -> Campaign {
        Campaign {
            id: CampaignId::generate(),
            name: "Promo".into(),
            kind,
            coupon_code: code.map(str::to_owned),
            starts_at: None,
            ends_at: None,
            min_subtotal_cents: 0,
            store_ids: BTreeSet::new(),
            product_ids: BTreeSet::new(),
            category_ids: BTreeSet::new(),
            usage_limit: None,
            per_customer_limit: None,
            uses: 0,
            is_active: true,
        }
    }

    fn context(uses: &HashMap<CampaignId, i32>) -> CampaignContext<'_> {
        CampaignContext {
            now: "2026-12-01T12:00:00Z".parse().expect("instant"),
            store: StoreId::from_uuid(uuid::Uuid::nil()),
            customer_uses: uses,
        }
    }

    const DELIVERY: Option<ShippingCharge> = Some(ShippingCharge {
        fee_cents: 800,
        free_above_cents: None,
    });

    #[test]
    fn lines_are_priced_from_the_product_and_its_addons() {
        let pizza = product(5000);
        let catupiry = pizza.addon_groups[0].addons[0].id;
        let line = price_line(&pizza, 2, &[(catupiry, 1)], " sem cebola ").expect("priced");
        assert_eq!(line.unit_price_cents, 5900);
        assert_eq!(line.line_total_cents, 11_800);
        assert_eq!(line.notes, "sem cebola");
    }

    #[test]
    fn addon_rules_are_enforced() {
        let pizza = product(5000);
        let [catupiry, cheddar] = [
            pizza.addon_groups[0].addons[0].id,
            pizza.addon_groups[0].addons[1].id,
        ];
        assert_eq!(price_line(&pizza, 0, &[], ""), Err(PricingError::Quantity));
        assert_eq!(
            price_line(&pizza, 100, &[], ""),
            Err(PricingError::Quantity)
        );
        assert_eq!(
            price_line(&pizza, 1, &[(cheddar, 1)], ""),
            Err(PricingError::AddonUnavailable(cheddar))
        );
        let stranger = AddonId::generate();
        assert_eq!(
            price_line(&pizza, 1, &[(stranger, 1)], ""),
            Err(PricingError::UnknownAddon(stranger))
        );
        assert!(matches!(
            price_line(&pizza, 1, &[(catupiry, 2)], ""),
            Err(PricingError::Choices { .. })
        ));
        let mut required = pizza.clone();
        required.addon_groups[0].min_choices = 1;
        assert!(matches!(
            price_line(&required, 1, &[], ""),
            Err(PricingError::Choices { .. })
        ));
    }

    #[test]
    fn the_best_automatic_discount_applies_when_no_coupon_is_given() {
        let uses = HashMap::new();
        let lines = vec![price_line(&product(10_000), 1, &[], "").expect("line")];
        let ten_percent = campaign(CampaignKind::Percentage(10), None);
        let fifteen_off = campaign(CampaignKind::Fixed(1500), None);
        let coupon_only = campaign(CampaignKind::Percentage(50), Some("METADE"));
        let price = price_order(
            lines,
            DELIVERY,
            &[ten_percent, fifteen_off.clone(), coupon_only],
            None,
            &context(&uses),
        )
        .expect("priced");
        assert_eq!(price.discount_cents, 1500);
        assert_eq!(price.discount_campaign, Some(fifteen_off.id));
        assert_eq!(price.total_cents, 10_000 - 1500 + 800);
    }

    #[test]
    fn a_coupon_replaces_the_automatic_discount_and_free_shipping_stacks() {
        let uses = HashMap::new();
        let lines = vec![price_line(&product(10_000), 1, &[], "").expect("line")];
        let automatic = campaign(CampaignKind::Percentage(30), None);
        let coupon = campaign(CampaignKind::Fixed(1000), Some("DEZ"));
        let free = campaign(CampaignKind::FreeShipping, None);
        let price = price_order(
            lines,
            DELIVERY,
            &[automatic, coupon.clone(), free.clone()],
            Some(" dez "),
            &context(&uses),
        )
        .expect("priced");
        assert_eq!(price.discount_cents, 1000);
        assert_eq!(price.shipping_fee_cents, 0);
        assert_eq!(price.applied_campaigns(), vec![coupon.id, free.id]);
    }

    #[test]
    fn unknown_expired_exhausted_or_unmet_coupons_are_invalid() {
        let lines = || vec![price_line(&product(3000), 1, &[], "").expect("line")];
        let mut expired = campaign(CampaignKind::Fixed(500), Some("VELHO"));
        expired.ends_at = Some("2026-11-01T00:00:00Z".parse().expect("instant"));
        let mut exhausted = campaign(CampaignKind::Fixed(500), Some("ACABOU"));
        exhausted.usage_limit = Some(3);
        exhausted.uses = 3;
        let mut minimum = campaign(CampaignKind::Fixed(500), Some("MINIMO"));
        minimum.min_subtotal_cents = 5000;
        let mut mine_twice = campaign(CampaignKind::Fixed(500), Some("UMAVEZ"));
        mine_twice.per_customer_limit = Some(1);
        let uses = HashMap::from([(mine_twice.id, 1)]);
        let all = [expired, exhausted, minimum, mine_twice];
        for code in ["NADA", "VELHO", "ACABOU", "MINIMO", "UMAVEZ"] {
            assert_eq!(
                price_order(lines(), DELIVERY, &all, Some(code), &context(&uses)),
                Err(InvalidCoupon),
                "{code}"
            );
        }
    }

    #[test]
    fn scoped_campaigns_discount_only_what_they_cover() {
        let uses = HashMap::new();
        let pizza = product(4000);
        let soda = product(1000);
        let lines = vec![
            price_line(&pizza, 1, &[], "").expect("line"),
            price_line(&soda, 2, &[], "").expect("line"),
        ];
        let mut sodas_half = campaign(CampaignKind::Percentage(50), None);
        sodas_half.product_ids = [soda.id].into_iter().collect();
        let price = price_order(lines, None, &[sodas_half], None, &context(&uses)).expect("priced");
        assert_eq!(price.discount_cents, 1000);
        assert_eq!(price.shipping_fee_cents, 0, "pickup has no shipping");
        assert_eq!(price.total_cents, 5000);
    }

    #[test]
    fn the_store_ships_free_above_its_threshold() {
        let uses = HashMap::new();
        let lines = vec![price_line(&product(15_000), 1, &[], "").expect("line")];
        let charge = Some(ShippingCharge {
            fee_cents: 800,
            free_above_cents: Some(15_000),
        });
        assert_eq!(
            price_order(lines, charge, &[], None, &context(&uses))
                .expect("priced")
                .shipping_fee_cents,
            0
        );
    }

    fn any_campaign() -> impl Strategy<Value = Campaign> {
        (
            0u8..3,
            0u32..=100,
            0i64..50_000,
            prop::option::of("[A-C]"),
            0i64..20_000,
        )
            .prop_map(|(kind, percent, cents, code, minimum)| {
                let kind = match kind {
                    0 => CampaignKind::Percentage(percent),
                    1 => CampaignKind::Fixed(cents),
                    _ => CampaignKind::FreeShipping,
                };
                let mut campaign = campaign(kind, code.as_deref());
                campaign.min_subtotal_cents = minimum;
                campaign
            })
    }

    proptest! {
        #[test]
        fn totals_are_never_negative_and_discounts_never_exceed_the_subtotal(
            prices in prop::collection::vec(0i64..100_000, 1..6),
            quantities in prop::collection::vec(1u32..=99, 6),
            fee in 0i64..5_000,
            campaigns in prop::collection::vec(any_campaign(), 0..5),
            coupon in prop::option::of("[A-D]"),
            delivery in any::<bool>(),
        ) {
            let uses = HashMap::new();
            let lines: Vec<PricedLine> = prices
                .iter()
                .zip(&quantities)
                .map(|(price, quantity)| price_line(&product(*price), *quantity, &[], "").expect("line"))
                .collect();
            let shipping = delivery.then_some(ShippingCharge { fee_cents: fee, free_above_cents: None });
            let first = price_order(lines.clone(), shipping, &campaigns, coupon.as_deref(), &context(&uses));
            let second = price_order(lines, shipping, &campaigns, coupon.as_deref(), &context(&uses));
            prop_assert_eq!(&first, &second, "the same input always gives the same price");
            if let Ok(price) = first {
                prop_assert!(price.total_cents >= 0);
                prop_assert!(price.discount_cents >= 0);
                prop_assert!(price.discount_cents <= price.subtotal_cents);
                prop_assert_eq!(price.total_cents, price.subtotal_cents - price.discount_cents + price.shipping_fee_cents);
                let most_shipping = if delivery { fee } else { 0 };
                prop_assert!(price.shipping_fee_cents <= most_shipping);
            }
        }

        /// A pizza is rounded once, per pizza: n of them on a line cost n times one, and the
        /// order's subtotal is the sum of its lines to the cent, whatever the split.
        #[test]
        fn pizza_rounding_never_loses_a_cent_across_lines(
            pizzas in prop::collection::vec(
                (prop::collection::vec(0i64..20_000, 1..=4), 1u32..=5, any::<bool>()),
                1..6,
            ),
        ) {
            use crate::pizza::{PizzaPricing, PricedFlavor, pizza_price};
            let uses = HashMap::new();
            let mut lines = Vec::new();
            let mut expected = 0i64;
            for (flavors, quantity, highest) in &pizzas {
                let priced: Vec<PricedFlavor<'_>> = flavors
                    .iter()
                    .map(|price| PricedFlavor { product_id: ProductId::generate(), name: "sabor", price_cents: *price })
                    .collect();
                let pricing = if *highest { PizzaPricing::Highest } else { PizzaPricing::Proportional };
                let one = pizza_price(pricing, 4, &priced).expect("priced");
                let line = price_line(&product(one), *quantity, &[], "").expect("line");
                prop_assert_eq!(line.unit_price_cents, one);
                prop_assert_eq!(line.line_total_cents, one * i64::from(*quantity));
                expected += one * i64::from(*quantity);
                lines.push(line);
            }
            let price = price_order(lines, None, &[], None, &context(&uses)).expect("no coupon");
            prop_assert_eq!(price.subtotal_cents, expected);
            prop_assert_eq!(price.total_cents, expected);
        }
    }
}
