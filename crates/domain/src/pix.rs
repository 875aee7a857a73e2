//! PIX "copia e cola" (BR Code): the EMV merchant-presented QR payload BACEN specifies for a
//! static charge of an order (SPEC §18). Pure: the server and its tests build the same text.

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

/// The receiver's name is cut to 25 characters and the city to 15, as the standard allows.
const NAME_LENGTH: usize = 25;
const CITY_LENGTH: usize = 15;

impl BrCode<'_> {
    /// The payload: fields `ID`, two-digit length, value; the CRC16 (`63`) closes it.
    pub fn payload(&self) -> String {
        let account = field("00", "br.gov.bcb.pix") + &field("01", self.key);
        let mut payload = field("00", "01") + &field("26", &account) + &field("52", "0000");
        payload += &field("53", "986");
        if let Some(cents) = self.amount_cents {
            payload += &field("54", &format!("{}.{:02}", cents / 100, cents % 100));
        }
        payload += &field("58", "BR");
        payload += &field("59", &plain(self.merchant_name, NAME_LENGTH));
        payload += &field("60", &plain(self.merchant_city, CITY_LENGTH));
        payload += &field("62", &field("05", self.txid.unwrap_or("***")));
        payload += "6304";
        let crc = crc16_ccitt(payload.as_bytes());
        payload + &format!("{crc:04X}")
    }
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

    proptest! {
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
