//! Order statuses and the moves between them (docs/api.md#tenant-portal).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfillment {
    Delivery,
    Pickup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Pix,
    Cash,
    CardOnDelivery,
    Online,
}

/// Where an order's payment stands (SPEC §18): PIX orders wait for their payment, which may
/// expire or be refunded; other methods are paid on delivery (or at the counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    AwaitingPayment,
    Paid,
    Expired,
    Refunded,
    OnDelivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Preparing,
    Ready,
    OutForDelivery,
    Delivered,
    PickedUp,
    Canceled,
}

macro_rules! names {
    ($type:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name),+
                }
            }
        }

        impl FromStr for $type {
            type Err = UnknownName;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $($name => Ok($type::$variant),)+
                    other => Err(UnknownName(other.to_owned())),
                }
            }
        }
    };
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownName(pub String);

names!(Fulfillment { Delivery => "delivery", Pickup => "pickup" });
names!(PaymentMethod { Pix => "pix", Cash => "cash", CardOnDelivery => "card_on_delivery", Online => "online" });
names!(PaymentStatus {
    AwaitingPayment => "awaiting_payment",
    Paid => "paid",
    Expired => "expired",
    Refunded => "refunded",
    OnDelivery => "on_delivery",
});
names!(OrderStatus {
    Pending => "pending",
    Confirmed => "confirmed",
    Preparing => "preparing",
    Ready => "ready",
    OutForDelivery => "out_for_delivery",
    Delivered => "delivered",
    PickedUp => "picked_up",
    Canceled => "canceled",
});

impl OrderStatus {
    /// Nothing happens to an order after these.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::PickedUp | Self::Canceled)
    }

    /// Whether an order may move from `self` to `next`: one step forward along its path
    /// (`pending → confirmed → preparing → ready`, then `out_for_delivery → delivered` or
    /// `picked_up`), or to `canceled` from any non-final status.
    pub fn can_move_to(self, next: OrderStatus, fulfillment: Fulfillment) -> bool {
        use OrderStatus::*;
        if next == Canceled {
            return !self.is_final();
        }
        matches!(
            (self, next, fulfillment),
            (Pending, Confirmed, _)
                | (Confirmed, Preparing, _)
                | (Preparing, Ready, _)
                | (Ready, OutForDelivery, Fulfillment::Delivery)
                | (OutForDelivery, Delivered, Fulfillment::Delivery)
                | (Ready, PickedUp, Fulfillment::Pickup)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn delivery_and_pickup_paths() {
        let delivery = [
            Pending,
            Confirmed,
            Preparing,
            Ready,
            OutForDelivery,
            Delivered,
        ];
        for pair in delivery.windows(2) {
            assert!(
                pair[0].can_move_to(pair[1], Fulfillment::Delivery),
                "{pair:?}"
            );
        }
        assert!(Ready.can_move_to(PickedUp, Fulfillment::Pickup));
        assert!(!Ready.can_move_to(PickedUp, Fulfillment::Delivery));
        assert!(!Ready.can_move_to(OutForDelivery, Fulfillment::Pickup));
    }

    #[test]
    fn no_skipping_no_going_back_and_finals_are_final() {
        assert!(!Pending.can_move_to(Ready, Fulfillment::Delivery));
        assert!(!Preparing.can_move_to(Confirmed, Fulfillment::Delivery));
        for status in [Delivered, PickedUp, Canceled] {
            for next in OrderStatus::ALL {
                assert!(
                    !status.can_move_to(*next, Fulfillment::Delivery),
                    "{status:?} → {next:?}"
                );
                assert!(
                    !status.can_move_to(*next, Fulfillment::Pickup),
                    "{status:?} → {next:?}"
                );
            }
        }
    }

    #[test]
    fn cancel_from_any_open_status() {
        for status in [Pending, Confirmed, Preparing, Ready, OutForDelivery] {
            assert!(
                status.can_move_to(Canceled, Fulfillment::Delivery),
                "{status:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(*status));
        }
        assert_eq!(
            "card_on_delivery".parse::<PaymentMethod>(),
            Ok(PaymentMethod::CardOnDelivery)
        );
        assert!("teleport".parse::<Fulfillment>().is_err());
    }
}
