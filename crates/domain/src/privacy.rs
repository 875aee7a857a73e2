//! Customers' data rights (LGPD): what an erased customer keeps.
//!
//! Erasing anonymises rather than deletes: the customer's orders keep their amounts for
//! accounting and point at the same row, whose personal data is replaced by the values here.

use crate::CustomerId;

/// The name an erased customer is shown with.
pub const ERASED_NAME: &str = "Cliente removido";

/// What marks a stored phone as the placeholder of an erased customer.
const ERASED_PHONE_PREFIX: &str = "erased:";

/// The phone an erased customer keeps: unique per customer (the column is unique per tenant and
/// not null), never a phone number, so no later checkout or WhatsApp message matches it.
pub fn erased_phone(customer: CustomerId) -> String {
    format!("{ERASED_PHONE_PREFIX}{customer}")
}

/// Whether a stored phone is an erased customer's placeholder.
pub fn is_erased_phone(stored: &str) -> bool {
    stored.starts_with(ERASED_PHONE_PREFIX)
}

/// The part of a CEP an erased delivery keeps: its first five digits (the region, sector and
/// sub-sector: a part of a city, not a street), for reports by region.
pub fn cep_prefix(cep: &str) -> String {
    cep.chars().filter(char::is_ascii_digit).take(5).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Phone;

    #[test]
    fn the_placeholder_phone_is_the_customers_own_and_never_a_phone() {
        let customer = CustomerId::generate();
        let placeholder = erased_phone(customer);
        assert!(placeholder.contains(&customer.to_string()));
        assert!(is_erased_phone(&placeholder));
        assert_ne!(placeholder, erased_phone(CustomerId::generate()));
        assert!(Phone::parse(&placeholder).is_err());
        assert!(!is_erased_phone("+5511987654321"));
    }

    #[test]
    fn a_cep_keeps_its_five_leading_digits() {
        assert_eq!(cep_prefix("01310-100"), "01310");
        assert_eq!(cep_prefix("01310100"), "01310");
        assert_eq!(cep_prefix("01310"), "01310");
        assert_eq!(cep_prefix(""), "");
        assert_eq!(cep_prefix("0131"), "0131");
    }
}
