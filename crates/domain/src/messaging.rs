//! Messaging rules: WhatsApp statuses and the 24-hour window, message texts, push endpoints.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};

/// How long after a customer's last message a business may answer with free text.
pub const CUSTOMER_WINDOW: TimeDelta = TimeDelta::hours(24);

/// A WhatsApp message's delivery status, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "read" => Some(Self::Read),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Whether a status report changes a message. Reports arrive out of order: one older than the
/// current status is ignored, and a status never moves backwards (`read` stays `read`).
pub fn status_advances(
    current: DeliveryStatus,
    current_at: Option<DateTime<Utc>>,
    next: DeliveryStatus,
    next_at: DateTime<Utc>,
) -> bool {
    if current_at.is_some_and(|at| next_at < at) {
        return false;
    }
    match (current, next) {
        (DeliveryStatus::Failed, _) => false,
        (_, DeliveryStatus::Failed) => current != DeliveryStatus::Read,
        _ => next > current,
    }
}

/// Whether free text may be sent to a customer whose last message was at `last_inbound`.
pub fn window_open(last_inbound: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_inbound.is_some_and(|at| now < at + CUSTOMER_WINDOW && at <= now + TimeDelta::minutes(5))
}

/// The placeholders order messages fill (a tenant's link to its own tracking page can use
/// `{order_id}` and `{tracking_token}`).
pub const ORDER_PLACEHOLDERS: &[&str] = &[
    "customer",
    "number",
    "store",
    "total",
    "status",
    "reason",
    "order_id",
    "tracking_token",
];

/// The names of the template's `{name}` placeholders that `known` does not hold, in order.
/// Braces around anything but a lowercase name (`{ }`, `{Total}`…) are left for the text.
pub fn unknown_placeholders(template: &str, known: &[&str]) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let name = &rest[..close];
        let is_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if is_name && !known.contains(&name) && !unknown.iter().any(|seen| seen == name) {
            unknown.push(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    unknown
}

/// The template names tenants may override.
pub const TEMPLATE_NAMES: &[&str] = &[
    "order_confirmation",
    "order_confirmed",
    "order_preparing",
    "order_ready",
    "order_out_for_delivery",
    "order_delivered",
    "order_picked_up",
    "order_canceled",
];

/// Fills `{name}` placeholders; unknown ones stay as written (saved templates cannot have any).
pub fn render(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// The default texts customers get, by template name (tenants override them in their config).
pub fn default_template(name: &str) -> Option<&'static str> {
    Some(match name {
        "order_confirmation" => {
            "Olá, {customer}! Recebemos seu pedido #{number} na {store}. Total: {total}."
        }
        "order_confirmed" => "Seu pedido #{number} foi confirmado e logo entra em preparo.",
        "order_preparing" => "Seu pedido #{number} está sendo preparado.",
        "order_ready" => "Seu pedido #{number} está pronto!",
        "order_out_for_delivery" => "Seu pedido #{number} saiu para entrega.",
        "order_delivered" => "Seu pedido #{number} foi entregue. Bom apetite!",
        "order_picked_up" => "Seu pedido #{number} foi retirado. Obrigado!",
        "order_canceled" => "Seu pedido #{number} foi cancelado. {reason}",
        _ => return None,
    })
}

/// `R$ 12,34`.
pub fn format_brl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}R$ {},{:02}", cents / 100, cents % 100)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointRejection {
    #[error("push endpoints must use https")]
    NotHttps,
    #[error("push endpoints must not point at loopback, private or link-local addresses")]
    PrivateAddress,
    #[error("keys.p256dh must be a P-256 public key and keys.auth 16 bytes, both base64url")]
    BadKeys,
}

/// Whether a resolved address may receive server-made requests (SSRF): public unicast only.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let octets = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || octets[0] == 0
                || (octets[0] == 100 && (64..=127).contains(&octets[1]))
                || (octets[0] == 198 && (18..=19).contains(&octets[1])))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_default_text_renders_completely() {
        let values: BTreeMap<&str, String> = ORDER_PLACEHOLDERS
            .iter()
            .map(|name| (*name, format!("<{name}>")))
            .collect();
        for name in TEMPLATE_NAMES {
            let template = default_template(name).expect("a default for every name");
            assert_eq!(
                unknown_placeholders(template, ORDER_PLACEHOLDERS),
                Vec::<String>::new(),
                "{name}"
            );
            let text = render(template, &values);
            assert!(!text.contains('{') && !text.contains('}'), "{name}: {text}");
        }
    }

    #[test]
    fn unknown_placeholders_are_named_once_and_stray_braces_are_text() {
        assert_eq!(
            unknown_placeholders(
                "Olá {customer}, {tracking} {tracking} {Total} { } {x1}",
                ORDER_PLACEHOLDERS
            ),
            vec!["tracking".to_owned(), "x1".to_owned()]
        );
        assert!(unknown_placeholders("{number} {", ORDER_PLACEHOLDERS).is_empty());
    }

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("instant")
    }

    #[test]
    fn statuses_move_forward_only_and_in_time_order() {
        use DeliveryStatus::*;
        let t1 = at("2026-12-01T10:00:00Z");
        let t2 = at("2026-12-01T10:00:05Z");
        assert!(status_advances(Pending, None, Sent, t1));
        assert!(status_advances(Sent, Some(t1), Read, t2));
        assert!(
            !status_advances(Read, Some(t2), Delivered, t1),
            "an older delivered after read"
        );
        assert!(
            !status_advances(Read, Some(t1), Delivered, t2),
            "never backwards"
        );
        assert!(!status_advances(Delivered, Some(t2), Sent, t2));
        assert!(status_advances(Sent, Some(t1), Failed, t2));
        assert!(!status_advances(Failed, Some(t1), Delivered, t2));
        assert!(!status_advances(Read, Some(t1), Failed, t2));
    }

    #[test]
    fn the_window_is_24_hours_after_the_last_inbound_message() {
        let last = at("2026-12-01T10:00:00Z");
        assert!(window_open(Some(last), at("2026-12-02T09:59:59Z")));
        assert!(!window_open(Some(last), at("2026-12-02T10:00:00Z")));
        assert!(!window_open(None, last));
    }

    #[test]
    fn templates_fill_their_placeholders() {
        let values = BTreeMap::from([("number", "42".to_owned()), ("total", format_brl(12_345))]);
        assert_eq!(
            render("Pedido #{number}: {total} {unknown}", &values),
            "Pedido #42: R$ 123,45 {unknown}"
        );
        assert_eq!(format_brl(5), "R$ 0,05");
    }

    #[test]
    fn only_public_addresses_receive_pushes() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(
                !is_public_address(private.parse().expect("ip")),
                "{private}"
            );
        }
        for public in ["142.250.79.42", "2800:3f0:4001:80f::200e"] {
            assert!(is_public_address(public.parse().expect("ip")), "{public}");
        }
    }
}
