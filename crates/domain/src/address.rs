//! Brazilian postal codes.

use std::fmt;

use serde::Serialize;

/// A CEP: eight digits. Accepts `01310-100`, `01310100`, `01.310-100`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Cep(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a CEP has eight digits, like 01310-100")]
pub struct InvalidCep;

impl Cep {
    pub fn parse(raw: &str) -> Result<Self, InvalidCep> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | ' '))
            .collect();
        if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) && digits != "00000000" {
            Ok(Self(digits))
        } else {
            Err(InvalidCep)
        }
    }

    /// The eight digits.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `01310-100`.
    pub fn formatted(&self) -> String {
        format!("{}-{}", &self.0[..5], &self.0[5..])
    }
}

impl fmt::Display for Cep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_parse_to_the_same_cep() {
        for raw in ["01310-100", "01310100", "01.310-100", " 01310 100 "] {
            assert_eq!(
                Cep::parse(raw).map(|c| c.formatted()),
                Ok("01310-100".into()),
                "{raw}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "1310-100",
            "013101000",
            "0131O-100",
            "00000-000",
            "01310_100",
        ] {
            assert_eq!(Cep::parse(raw), Err(InvalidCep), "{raw}");
        }
    }
}
