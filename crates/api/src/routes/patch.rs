//! PATCH bodies: a field left out changes nothing, `null` clears it.

use serde::{Deserialize, Deserializer};

/// For `Option<Option<T>>` fields with `#[serde(default, deserialize_with = "patch::nullable")]`:
/// absent → `None`, `null` → `Some(None)`, a value → `Some(Some(value))`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::nullable")]
        phone: Option<Option<String>>,
    }

    #[test]
    fn absent_null_and_value_are_told_apart() {
        let parse = |json: &str| serde_json::from_str::<Body>(json).expect("parses").phone;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"phone": null}"#), Some(None));
        assert_eq!(parse(r#"{"phone": "+55"}"#), Some(Some("+55".into())));
    }
}
