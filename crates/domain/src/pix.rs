//! PIX "copia e cola" (BR Code): the EMV merchant-presented QR payload BACEN specifies for a
//! charge of an order (SPEC §18), the receiver's key as BACEN's directory (DICT) accepts it, and
//! the charge identifiers (`txid`). Pure: the server and its tests build the same text.

use std::fmt;
use std::str::FromStr;

/// Where the payer's bank finds the charge: the receiver's key (a static charge, confirmed by
/// staff) or the payment provider's location URL (a dynamic charge, confirmed by the provider).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account<'a> {
    Key(&'a str),
    /// The location the provider answered, without `https://`.
    Location(&'a str),
}

/// What a BR Code carries for one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrCode<'a> {
    /// The receiver's PIX key (CPF, CNPJ, e-mail, phone or random key).
    pub key: &'a str,
    /// The receiver's name and city as the payer's bank shows them.
    pub merchant_name: &'a str,
    pub merchant_city: &'a str,
    /// The amount in cents; `None` lets the payer type it.
    pub amount_cents: Option<i64>,
    /// The charge's identifier (`txid`), up to 25 letters and digits; `None` is `***`.
    pub txid: Option<&'a str>,
}

/// A dynamic charge's BR Code: the provider's location instead of the key, `***` as txid (the
/// payer's bank reads the charge, amount included, from the location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicBrCode<'a> {
    pub location: &'a str,
    pub merchant_name: &'a str,
    pub merchant_city: &'a str,
    pub amount_cents: i64,
}

/// The receiver's name is cut to 25 characters and the city to 15, as the standard allows.
const NAME_LENGTH: usize = 25;
const CITY_LENGTH: usize = 15;

impl BrCode<'_> {
    /// The payload: fields `ID`, two-digit length, value; the CRC16 (`63`) closes it.
    pub fn payload(&self) -> String {
        payload(
            Account::Key(self.key),
            self.merchant_name,
            self.merchant_city,
            self.amount_cents,
            self.txid,
            false,
        )
    }
}

impl DynamicBrCode<'_> {
    pub fn payload(&self) -> String {
        let location = self
            .location
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        payload(
            Account::Location(location),
            self.merchant_name,
            self.merchant_city,
            Some(self.amount_cents),
            None,
            true,
        )
    }
}

fn payload(
    account: Account<'_>,
    merchant_name: &str,
    merchant_city: &str,
    amount_cents: Option<i64>,
    txid: Option<&str>,
    one_payment: bool,
) -> String {
    let account = field("00", "br.gov.bcb.pix")
        + &match account {
            Account::Key(key) => field("01", key),
            Account::Location(url) => field("25", url),
        };
    // `01` `12` marks a code for one payment (a dynamic charge); a static one may be reused.
    let mut payload = field("00", "01");
    if one_payment {
        payload += &field("01", "12");
    }
    payload += &field("26", &account);
    payload += &field("52", "0000");
    payload += &field("53", "986");
    if let Some(cents) = amount_cents {
        payload += &field("54", &format_amount(cents));
    }
    payload += &field("58", "BR");
    payload += &field("59", &plain(merchant_name, NAME_LENGTH));
    payload += &field("60", &plain(merchant_city, CITY_LENGTH));
    payload += &field("62", &field("05", txid.unwrap_or("***")));
    payload += "6304";
    let crc = crc16_ccitt(payload.as_bytes());
    payload + &format!("{crc:04X}")
}

/// Reais with two decimals and a point, as the BR Code and the PIX API write amounts.
pub fn format_amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// An amount as the PIX API writes it (`"54.90"`), in cents; `None` unless it is one.
pub fn parse_amount(text: &str) -> Option<i64> {
    let (reais, centavos) = text.trim().split_once('.').unwrap_or((text.trim(), "00"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(reais) || !digits(centavos) || centavos.len() > 2 || reais.len() > 12 {
        return None;
    }
    let centavos = if centavos.len() == 1 {
        format!("{centavos}0")
    } else {
        centavos.to_owned()
    };
    Some(reais.parse::<i64>().ok()? * 100 + centavos.parse::<i64>().ok()?)
}

/// The top-level fields of a BR Code, in order, after its CRC is checked; `None` when the text
/// is not a well-formed payload. Readers (tests, support tools) see what banks would read.
pub fn parse_fields(payload: &str) -> Option<Vec<(String, String)>> {
    let (body, crc) = payload.split_at_checked(payload.len().checked_sub(4)?)?;
    if !body.ends_with("6304") || u16::from_str_radix(crc, 16).ok()? != crc16_ccitt(body.as_bytes())
    {
        return None;
    }
    let fields = parse_tlv(payload)?;
    (fields.last()?.0 == "63").then_some(fields)
}

/// `ID`, two-digit length, value, repeated; lengths count characters.
pub fn parse_tlv(text: &str) -> Option<Vec<(String, String)>> {
    let chars: Vec<char> = text.chars().collect();
    let mut fields = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let id: String = chars.get(at..at + 2)?.iter().collect();
        let length: usize = chars
            .get(at + 2..at + 4)?
            .iter()
            .collect::<String>()
            .parse()
            .ok()?;
        let value: String = chars.get(at + 4..at + 4 + length)?.iter().collect();
        fields.push((id, value));
        at += 4 + length;
    }
    Some(fields)
}

fn field(id: &str, value: &str) -> String {
    format!("{id}{:02}{value}", value.chars().count())
}

/// Letters without accents and at most `length` characters: bank apps show the name as sent,
/// and some refuse what is not plain ASCII.
fn plain(text: &str, length: usize) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
            'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'A',
            'é' | 'ê' | 'è' | 'ë' => 'e',
            'É' | 'Ê' | 'È' | 'Ë' => 'E',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
            'ó' | 'ô' | 'õ' | 'ò' | 'ö' => 'o',
            'Ó' | 'Ô' | 'Õ' | 'Ò' | 'Ö' => 'O',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
            'ç' => 'c',
            'Ç' => 'C',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => ' ',
        })
        .take(length)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// CRC16-CCITT (polynomial 0x1021, initial 0xFFFF, no reflection), as the BR Code uses.
pub fn crc16_ccitt(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF_u16, |crc, byte| {
        (0..8).fold(crc ^ (u16::from(*byte) << 8), |crc, _| {
            if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            }
        })
    })
}

/// How long a txid may be: 1 to 25 in a static BR Code, 26 to 35 for a charge created through
/// the PIX API (`PUT /v2/cob/{txid}`).
pub const STATIC_TXID_LENGTH: usize = 25;

/// A charge's txid from 128 random bits: letters and digits only, 25 for a static code (the
/// first 25 of the 32 hex digits, still 100 bits) or 32 for the PIX API.
pub fn txid_from(random: u128, for_api: bool) -> String {
    let hex = format!("{random:032x}");
    if for_api {
        hex
    } else {
        hex[..STATIC_TXID_LENGTH].to_owned()
    }
}

/// Whether a txid is one the PIX API accepts (`[a-zA-Z0-9]{26,35}`) or a static code carries
/// (1 to 25).
pub fn valid_txid(txid: &str, for_api: bool) -> bool {
    let range = if for_api {
        26..=35
    } else {
        1..=STATIC_TXID_LENGTH
    };
    range.contains(&txid.len()) && txid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The kinds of key BACEN's directory (DICT) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixKeyKind {
    Cpf,
    Cnpj,
    Email,
    Phone,
    Random,
}

impl PixKeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpf => "cpf",
            Self::Cnpj => "cnpj",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Random => "random",
        }
    }
}

/// A receiver's PIX key, in the form the directory stores it: CPF and CNPJ as digits, phones as
/// `+55` and digits, e-mails lower case, random keys as lower-case UUIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixKey {
    kind: PixKeyKind,
    value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PixKeyError {
    #[error("a PIX key is needed")]
    Empty,
    #[error("the CPF's check digits do not match")]
    BadCpf,
    #[error("the CNPJ's check digits do not match")]
    BadCnpj,
    #[error("a phone key is +55, the area code and the number (10 or 11 digits)")]
    BadPhone,
    #[error("the e-mail key is not an address")]
    BadEmail,
    #[error("not a PIX key: use a CPF, CNPJ, e-mail, +55 phone or random key (UUID)")]
    Unknown,
}

impl PixKey {
    pub fn kind(&self) -> PixKeyKind {
        self.kind
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for PixKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for PixKey {
    type Err = PixKeyError;

    /// Reads the key by its shape: `+` a phone, `@` an e-mail, 36 characters with dashes a
    /// random key, 11 digits a CPF and 14 a CNPJ (punctuation allowed as people write them).
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PixKeyError::Empty);
        }
        let key = |kind, value: String| Ok(Self { kind, value });
        if let Some(number) = raw.strip_prefix('+') {
            let digits: String = number
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
                .collect();
            let national = digits.strip_prefix("55").ok_or(PixKeyError::BadPhone)?;
            let well_formed = national.bytes().all(|b| b.is_ascii_digit())
                && matches!(national.len(), 10 | 11)
                && !national.starts_with('0');
            return if well_formed {
                key(PixKeyKind::Phone, format!("+{digits}"))
            } else {
                Err(PixKeyError::BadPhone)
            };
        }
        if raw.contains('@') {
            let (local, domain) = raw.split_once('@').ok_or(PixKeyError::BadEmail)?;
            let well_formed = !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && raw.len() <= 77
                && !raw.contains(char::is_whitespace)
                && raw.matches('@').count() == 1;
            return if well_formed {
                key(PixKeyKind::Email, raw.to_lowercase())
            } else {
                Err(PixKeyError::BadEmail)
            };
        }
        if raw.len() == 36 && uuid::Uuid::try_parse(raw).is_ok() {
            return key(PixKeyKind::Random, raw.to_lowercase());
        }
        let is_document = raw
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '/'));
        let digits: Vec<u32> = raw.chars().filter_map(|c| c.to_digit(10)).collect();
        match (is_document, digits.len()) {
            (true, 11) if cpf_valid(&digits) => key(PixKeyKind::Cpf, digits_text(&digits)),
            (true, 11) => Err(PixKeyError::BadCpf),
            (true, 14) if cnpj_valid(&digits) => key(PixKeyKind::Cnpj, digits_text(&digits)),
            (true, 14) => Err(PixKeyError::BadCnpj),
            _ => Err(PixKeyError::Unknown),
        }
    }
}

fn digits_text(digits: &[u32]) -> String {
    digits
        .iter()
        .filter_map(|d| char::from_digit(*d, 10))
        .collect()
}

/// The mod-11 check digit over `digits` with the given weights.
fn check_digit(digits: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match sum % 11 {
        0 | 1 => 0,
        rest => 11 - rest,
    }
}

fn cpf_valid(digits: &[u32]) -> bool {
    // Eleven equal digits pass the arithmetic but are no one's CPF.
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let first = check_digit(&digits[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]);
    let second = check_digit(&digits[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[9] == first && digits[10] == second
}

fn cnpj_valid(digits: &[u32]) -> bool {
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let first = check_digit(&digits[..12], &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    let second = check_digit(&digits[..13], &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[12] == first && digits[13] == second
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_manuals_static_example_is_reproduced_to_the_crc() {
        // The static BR Code example of BACEN's "Manual de Padrões para Iniciação do Pix".
        let code = BrCode {
            key: "123e4567-e12b-12d1-a456-426655440000",
            merchant_name: "Fulano de Tal",
            merchant_city: "BRASILIA",
            amount_cents: None,
            txid: None,
        };
        assert_eq!(
            code.payload(),
            "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000\
             5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
        );
    }

    #[test]
    fn the_crc_is_ccitt_false() {
        // The standard check value of CRC-16/CCITT-FALSE.
        assert_eq!(crc16_ccitt(b"123456789"), 0x29B1);
    }

    #[test]
    fn amount_name_and_city_are_written_as_banks_read_them() {
        let code = BrCode {
            key: "pizzaria@exemplo.com.br",
            merchant_name: "Pizzaria São João da Praça Fina",
            merchant_city: "São José dos Campos",
            amount_cents: Some(5490),
            txid: Some("PEDIDO57"),
        };
        let payload = code.payload();
        assert!(payload.contains("540554.90"), "{payload}");
        assert!(
            payload.contains("5925Pizzaria Sao Joao da Prac6015"),
            "{payload}"
        );
        assert!(payload.contains("6015Sao Jose dos Ca62"), "{payload}");
        assert!(payload.contains("62120508PEDIDO57"), "{payload}");
    }

    #[test]
    fn keys_are_read_by_their_shape_and_checked() {
        let cases = [
            ("529.982.247-25", Ok((PixKeyKind::Cpf, "52998224725"))),
            ("52998224724", Err(PixKeyError::BadCpf)),
            ("111.111.111-11", Err(PixKeyError::BadCpf)),
            (
                "11.222.333/0001-81",
                Ok((PixKeyKind::Cnpj, "11222333000181")),
            ),
            ("11222333000180", Err(PixKeyError::BadCnpj)),
            (
                "+55 (11) 98765-4321",
                Ok((PixKeyKind::Phone, "+5511987654321")),
            ),
            ("+5411987654321", Err(PixKeyError::BadPhone)),
            ("+55119876", Err(PixKeyError::BadPhone)),
            (
                "Pizzaria@Exemplo.com.br",
                Ok((PixKeyKind::Email, "pizzaria@exemplo.com.br")),
            ),
            ("pizzaria@localhost", Err(PixKeyError::BadEmail)),
            (
                "123E4567-E12B-12D1-A456-426655440000",
                Ok((PixKeyKind::Random, "123e4567-e12b-12d1-a456-426655440000")),
            ),
            ("  ", Err(PixKeyError::Empty)),
            ("12345", Err(PixKeyError::Unknown)),
        ];
        for (raw, expected) in cases {
            let read = raw.parse::<PixKey>();
            let read = read.as_ref().map(|key| (key.kind(), key.as_str()));
            assert_eq!(read, expected.as_ref().map(|(k, v)| (*k, *v)), "{raw}");
        }
    }

    #[test]
    fn a_dynamic_code_points_at_the_location_and_is_for_one_payment() {
        let payload = DynamicBrCode {
            location: "https://pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25",
            merchant_name: "Pizzaria",
            merchant_city: "SAO PAULO",
            amount_cents: 5490,
        }
        .payload();
        let fields = parse_fields(&payload).expect("a well-formed payload");
        assert_eq!(fields[1], ("01".into(), "12".into()));
        let account = parse_tlv(&fields[2].1).expect("the account template");
        assert_eq!(
            account,
            vec![
                ("00".into(), "br.gov.bcb.pix".into()),
                (
                    "25".into(),
                    "pix.example.com/qr/v2/9d36b84fc70b478fb95c12729b90ca25".into()
                ),
            ]
        );
        assert!(payload.contains("62070503***"));
    }

    #[test]
    fn amounts_read_as_the_api_writes_them() {
        assert_eq!(parse_amount("54.90"), Some(5490));
        assert_eq!(parse_amount("54.9"), Some(5490));
        assert_eq!(parse_amount("7"), Some(700));
        assert_eq!(parse_amount("0.01"), Some(1));
        for bad in ["", "-1.00", "1.234", "1,00", "abc", "1.", ".5"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
        assert_eq!(format_amount(5490), "54.90");
        assert_eq!(format_amount(5), "0.05");
    }

    #[test]
    fn a_tampered_payload_does_not_parse() {
        let payload = BrCode {
            key: "pizzaria@exemplo.com.br",
            merchant_name: "Pizzaria",
            merchant_city: "SAO PAULO",
            amount_cents: Some(5490),
            txid: Some("PEDIDO57"),
        }
        .payload();
        assert!(parse_fields(&payload).is_some());
        let tampered = payload.replace("54.90", "14.90");
        assert_eq!(parse_fields(&tampered), None);
        assert_eq!(parse_fields("6304"), None);
        assert_eq!(parse_fields(""), None);
    }

    #[test]
    fn txids_fit_where_they_go() {
        let random = u128::MAX / 3;
        let api = txid_from(random, true);
        let static_code = txid_from(random, false);
        assert!(valid_txid(&api, true) && api.len() == 32);
        assert!(valid_txid(&static_code, false) && static_code.len() == 25);
        assert!(!valid_txid(&static_code, true));
        assert!(!valid_txid("has-dash", false));
    }

    proptest! {
        #[test]
        fn what_is_built_parses_back(
            cents in 1i64..100_000_000,
            txid in "[A-Za-z0-9]{1,25}",
            name in "[a-zA-Z ÁÉÍÓÚãõç]{1,40}",
            city in "[a-zA-Z ÁÉÍÓÚãõç]{1,30}",
        ) {
            let payload = BrCode {
                key: "pizzaria@exemplo.com.br",
                merchant_name: &name,
                merchant_city: &city,
                amount_cents: Some(cents),
                txid: Some(&txid),
            }
            .payload();
            let fields = parse_fields(&payload).expect("what is built parses");
            let value = |id: &str| fields.iter().find(|(k, _)| k == id).map(|(_, v)| v.clone());
            prop_assert_eq!(value("54").and_then(|a| parse_amount(&a)), Some(cents));
            prop_assert_eq!(value("58"), Some("BR".to_owned()));
            let additional = parse_tlv(&value("62").unwrap_or_default()).unwrap_or_default();
            prop_assert_eq!(additional, vec![("05".to_owned(), txid.clone())]);
            let written_name = value("59").unwrap_or_default();
            prop_assert!(written_name.len() <= 25 && written_name.is_ascii());
            let written_city = value("60").unwrap_or_default();
            prop_assert!(written_city.len() <= 15 && written_city.is_ascii());
        }

        #[test]
        fn every_payload_ends_with_its_own_crc(cents in 1i64..10_000_000, txid in "[A-Za-z0-9]{1,25}") {
            let payload = BrCode {
                key: "+5511987654321",
                merchant_name: "Loja",
                merchant_city: "SAO PAULO",
                amount_cents: Some(cents),
                txid: Some(&txid),
            }
            .payload();
            let (body, crc) = payload.split_at(payload.len() - 4);
            prop_assert!(body.ends_with("6304"));
            prop_assert_eq!(crc, format!("{:04X}", crc16_ccitt(body.as_bytes())));
            let expected_amount = format!("{}.{:02}", cents / 100, cents % 100);
            let amount_field = format!("54{:02}{}", expected_amount.len(), expected_amount);
            prop_assert!(payload.contains(&amount_field), "{}", payload);
        }
    }
}
