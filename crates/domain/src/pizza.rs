//! Pizza by size and flavours (SPEC §17): a pizza product has sizes, its flavours come from one
//! category and have a price per size, and a pizza of several flavours is priced by the tenant's
//! `pizza_pricing` rule.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{PizzaSizeId, ProductId};

/// Most flavours one pizza can be split into.
pub const MAX_FLAVORS: u8 = 4;

/// How a pizza of several flavours is priced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PizzaPricing {
    /// The average of the flavours' prices for the size, rounded half up to the cent. The
    /// default: charging the dearest half for the whole pizza is treated as abusive under
    /// Brazilian consumer law (CDC art. 39).
    #[default]
    Proportional,
    /// The dearest flavour's price for the size.
    Highest,
}

impl PizzaPricing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proportional => "proportional",
            Self::Highest => "highest",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "proportional" => Some(Self::Proportional),
            "highest" => Some(Self::Highest),
            _ => None,
        }
    }
}

/// A flavour chosen for a pizza: which product, its name, and its price for the chosen size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedFlavor<'a> {
    pub product_id: ProductId,
    pub name: &'a str,
    pub price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PizzaError {
    #[error("choose 1 to {max} flavours for this size")]
    FlavorCount { max: u8 },
    #[error("flavour {0} has no price for this size")]
    NoPriceForSize(ProductId),
}

/// The price of one pizza of `flavors` (a flavour may repeat: ½ + ½ of the same is a whole).
pub fn pizza_price(
    pricing: PizzaPricing,
    max_flavors: u8,
    flavors: &[PricedFlavor<'_>],
) -> Result<i64, PizzaError> {
    let count = flavors.len();
    let max = max_flavors.clamp(1, MAX_FLAVORS);
    if count == 0 || count > usize::from(max) {
        return Err(PizzaError::FlavorCount { max });
    }
    let prices = flavors.iter().map(|flavor| flavor.price_cents.max(0));
    Ok(match pricing {
        PizzaPricing::Highest => prices.max().unwrap_or(0),
        PizzaPricing::Proportional => {
            let sum = prices.fold(0i64, i64::saturating_add);
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            // Half up: (sum + count/2) / count, in integers, for non-negative prices.
            sum.saturating_mul(2).saturating_add(count) / count.saturating_mul(2)
        }
    })
}

/// Each flavour's price for `size`, in the order chosen; a flavour without a price for the size
/// cannot be chosen in it.
pub fn flavor_prices<'a>(
    size: PizzaSizeId,
    flavors: &[(ProductId, &'a str, &BTreeMap<PizzaSizeId, i64>)],
) -> Result<Vec<PricedFlavor<'a>>, PizzaError> {
    flavors
        .iter()
        .map(|(product_id, name, prices)| {
            prices
                .get(&size)
                .map(|price_cents| PricedFlavor {
                    product_id: *product_id,
                    name,
                    price_cents: *price_cents,
                })
                .ok_or(PizzaError::NoPriceForSize(*product_id))
        })
        .collect()
}

/// The flavours as a line shows them: "½ Calabresa + ½ Margherita", "⅓ Atum + ⅔ Mussarela",
/// a single flavour (or one flavour chosen every time) by its name alone. First-chosen first.
pub fn flavors_label(names: &[&str]) -> String {
    let total = names.len();
    let mut parts: Vec<(&str, usize)> = Vec::new();
    for name in names {
        match parts.iter_mut().find(|(known, _)| known == name) {
            Some((_, count)) => *count += 1,
            None => parts.push((name, 1)),
        }
    }
    if parts.len() <= 1 {
        return parts
            .first()
            .map(|(name, _)| (*name).to_owned())
            .unwrap_or_default();
    }
    parts
        .iter()
        .map(|(name, count)| format!("{} {name}", fraction(*count, total)))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// `count` parts of `total` as a vulgar fraction (totals up to [`MAX_FLAVORS`]).
fn fraction(count: usize, total: usize) -> String {
    let divisor = gcd(count, total).max(1);
    match (count / divisor, total / divisor) {
        (1, 2) => "½".into(),
        (1, 3) => "⅓".into(),
        (2, 3) => "⅔".into(),
        (1, 4) => "¼".into(),
        (3, 4) => "¾".into(),
        (numerator, denominator) => format!("{numerator}/{denominator}"),
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn flavor(n: u128, price_cents: i64) -> PricedFlavor<'static> {
        PricedFlavor {
            product_id: ProductId::from_uuid(uuid::Uuid::from_u128(n)),
            name: "sabor",
            price_cents,
        }
    }

    #[test]
    fn half_and_half_is_the_average_rounded_half_up() {
        let halves = [flavor(1, 4500), flavor(2, 5001)];
        // (4500 + 5001) / 2 = 4750.5 → 4751
        assert_eq!(
            pizza_price(PizzaPricing::Proportional, 2, &halves),
            Ok(4751)
        );
        assert_eq!(pizza_price(PizzaPricing::Highest, 2, &halves), Ok(5001));
        let thirds = [flavor(1, 1000), flavor(2, 1000), flavor(3, 1001)];
        // 3001 / 3 = 1000.33 → 1000
        assert_eq!(
            pizza_price(PizzaPricing::Proportional, 3, &thirds),
            Ok(1000)
        );
    }

    #[test]
    fn the_flavour_count_is_one_to_the_sizes_maximum() {
        assert_eq!(
            pizza_price(PizzaPricing::Proportional, 2, &[]),
            Err(PizzaError::FlavorCount { max: 2 })
        );
        let three = [flavor(1, 1), flavor(2, 2), flavor(3, 3)];
        assert_eq!(
            pizza_price(PizzaPricing::Proportional, 2, &three),
            Err(PizzaError::FlavorCount { max: 2 })
        );
        let five = [
            flavor(1, 1),
            flavor(2, 1),
            flavor(3, 1),
            flavor(4, 1),
            flavor(5, 1),
        ];
        assert_eq!(
            pizza_price(PizzaPricing::Highest, 9, &five),
            Err(PizzaError::FlavorCount { max: MAX_FLAVORS })
        );
    }

    #[test]
    fn a_flavour_without_a_price_for_the_size_cannot_be_chosen() {
        let calabresa = ProductId::from_uuid(uuid::Uuid::from_u128(1));
        let (media, grande) = (
            PizzaSizeId::from_uuid(uuid::Uuid::from_u128(10)),
            PizzaSizeId::from_uuid(uuid::Uuid::from_u128(11)),
        );
        let prices: BTreeMap<PizzaSizeId, i64> = [(media, 4000)].into();
        assert_eq!(
            flavor_prices(grande, &[(calabresa, "Calabresa", &prices)]),
            Err(PizzaError::NoPriceForSize(calabresa))
        );
        assert_eq!(
            flavor_prices(media, &[(calabresa, "Calabresa", &prices)]).map(|f| f[0].price_cents),
            Ok(4000)
        );
    }

    #[test]
    fn labels_name_each_flavour_with_its_share() {
        assert_eq!(flavors_label(&["Calabresa"]), "Calabresa");
        assert_eq!(flavors_label(&["Calabresa", "Calabresa"]), "Calabresa");
        assert_eq!(
            flavors_label(&["Calabresa", "Margherita"]),
            "½ Calabresa + ½ Margherita"
        );
        assert_eq!(
            flavors_label(&["Atum", "Mussarela", "Mussarela"]),
            "⅓ Atum + ⅔ Mussarela"
        );
        assert_eq!(flavors_label(&["A", "B", "A", "A"]), "¾ A + ¼ B");
        assert_eq!(flavors_label(&["A", "B", "A", "B"]), "½ A + ½ B");
        assert_eq!(flavors_label(&["A", "B", "C"]), "⅓ A + ⅓ B + ⅓ C");
    }

    #[test]
    fn pricing_names_round_trip() {
        for pricing in [PizzaPricing::Proportional, PizzaPricing::Highest] {
            assert_eq!(PizzaPricing::parse(pricing.as_str()), Some(pricing));
        }
        assert_eq!(PizzaPricing::parse("dearest"), None);
        assert_eq!(PizzaPricing::default(), PizzaPricing::Proportional);
    }

    fn flavors_strategy() -> impl Strategy<Value = Vec<i64>> {
        prop::collection::vec(0i64..=1_000_000, 1..=usize::from(MAX_FLAVORS))
    }

    proptest! {
        #[test]
        fn proportional_is_never_above_highest_nor_below_the_cheapest(prices in flavors_strategy()) {
            let flavors: Vec<_> = prices.iter().enumerate().map(|(i, p)| flavor(i as u128, *p)).collect();
            let proportional = pizza_price(PizzaPricing::Proportional, MAX_FLAVORS, &flavors).expect("priced");
            let highest = pizza_price(PizzaPricing::Highest, MAX_FLAVORS, &flavors).expect("priced");
            let cheapest = *prices.iter().min().expect("one flavour");
            prop_assert!(proportional <= highest, "{proportional} > {highest}");
            prop_assert!(proportional >= cheapest, "{proportional} < {cheapest}");
            prop_assert_eq!(highest, *prices.iter().max().expect("one flavour"));
        }

        #[test]
        fn a_whole_of_one_flavour_costs_exactly_its_size_price(price in 0i64..=1_000_000, parts in 1usize..=usize::from(MAX_FLAVORS)) {
            let flavors: Vec<_> = (0..parts).map(|_| flavor(7, price)).collect();
            for pricing in [PizzaPricing::Proportional, PizzaPricing::Highest] {
                prop_assert_eq!(pizza_price(pricing, MAX_FLAVORS, &flavors), Ok(price));
            }
        }

        #[test]
        fn proportional_is_within_half_a_cent_of_the_exact_average(prices in flavors_strategy()) {
            let flavors: Vec<_> = prices.iter().enumerate().map(|(i, p)| flavor(i as u128, *p)).collect();
            let charged = pizza_price(PizzaPricing::Proportional, MAX_FLAVORS, &flavors).expect("priced");
            let sum: i64 = prices.iter().sum();
            let n = prices.len() as i64;
            // |charged - sum/n| <= 1/2, and exactly halves go up.
            prop_assert!((charged * n * 2 - sum * 2).abs() <= n, "{charged} for {prices:?}");
            prop_assert!(charged * n * 2 - sum * 2 != -n, "a half rounded down: {prices:?}");
        }
    }
}
