//! Brazilian phone numbers in E.164 (`+55` + DDD + number).

use std::fmt;

use serde::Serialize;

/// A Brazilian mobile or landline number, normalized to E.164: `+5511987654321`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Brazilian phone number with area code (DDD)")]
pub struct InvalidPhone;

impl Phone {
    /// Accepts what people type: `(11) 98765-4321`, `11987654321`, `+55 11 98765 4321`,
    /// `011 98765-4321`, and mobiles written without the ninth digit (`11 8765-4321`).
    pub fn parse(raw: &str) -> Result<Self, InvalidPhone> {
        let trimmed = raw.trim();
        if trimmed.is_empty()
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')' | '-' | ' ' | '.'))
        {
            return Err(InvalidPhone);
        }
        let international = trimmed.starts_with('+');
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let national = if international {
            digits.strip_prefix("55").ok_or(InvalidPhone)?.to_owned()
        } else if digits.len() >= 12 && digits.starts_with("55") {
            digits[2..].to_owned()
        } else {
            digits.trim_start_matches('0').to_owned()
        };
        if !(10..=11).contains(&national.len()) {
            return Err(InvalidPhone);
        }
        let (ddd, subscriber) = national.split_at(2);
        let ddd_ok = ddd.bytes().all(|b| (b'1'..=b'9').contains(&b));
        if !ddd_ok {
            return Err(InvalidPhone);
        }
        let first = subscriber.as_bytes()[0];
        let subscriber = match subscriber.len() {
            // Mobiles have nine digits starting with 9.
            9 if first == b'9' => subscriber.to_owned(),
            // Eight digits: a landline (2 to 5), or a mobile written before the ninth digit.
            8 if (b'2'..=b'5').contains(&first) => subscriber.to_owned(),
            8 if (b'6'..=b'9').contains(&first) => format!("9{subscriber}"),
            _ => return Err(InvalidPhone),
        };
        Ok(Self(format!("+55{ddd}{subscriber}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without `+` (how WhatsApp addresses numbers).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn is_mobile(&self) -> bool {
        self.0.len() == 14
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_ways_people_write_a_mobile_number() {
        for raw in [
            "(11) 98765-4321",
            "11987654321",
            "+55 11 98765-4321",
            "+5511987654321",
            "5511987654321",
            "011 98765 4321",
            "11 8765-4321",
        ] {
            assert_eq!(
                Phone::parse(raw).map(|p| p.0),
                Ok("+5511987654321".into()),
                "{raw}"
            );
        }
    }

    #[test]
    fn landlines_keep_eight_digits() {
        let phone = Phone::parse("(21) 3456-7890").expect("landline");
        assert_eq!(phone.as_str(), "+552134567890");
        assert!(!phone.is_mobile());
    }

    #[test]
    fn everything_else_is_refused() {
        for raw in [
            "",
            "abc",
            "987654321",
            "+1 415 555 0100",
            "(11) 1234-5678",
            "(00) 98765-4321",
            "11 98765-43210",
            "11 9876-543",
            "+55 11 0876-5432",
            "11987654321; drop",
        ] {
            assert_eq!(Phone::parse(raw), Err(InvalidPhone), "{raw}");
        }
    }

    proptest! {
        #[test]
        fn normalizing_is_idempotent(ddd in 11u32..=99, number in 0u32..100_000_000) {
            let raw = format!("{ddd}9{number:08}");
            if let Ok(phone) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
                prop_assert_eq!(phone.as_str().len(), 14);
            }
        }

        #[test]
        fn parsing_never_panics(raw in "\\PC{0,30}") {
            let _ = Phone::parse(&raw);
        }
    }
}
