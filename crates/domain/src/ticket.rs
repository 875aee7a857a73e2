//! Kitchen tickets for thermal printers: one layout, rendered as plain text for a given column
//! width and as ESC/POS bytes (code page CP860, Portuguese). Pure: the caller formats dates and
//! labels and sends the bytes.

/// One item of the order as the kitchen reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketLine {
    pub quantity: u32,
    pub name: String,
    /// `(quantity, name)` of each add-on.
    pub addons: Vec<(u32, String)>,
    pub notes: String,
}

/// What a ticket shows; every text is already formatted and translated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub store_name: String,
    /// The per-tenant order number, printed as `#57`.
    pub number: i64,
    /// Local time, e.g. `30/11/2026 19:42`.
    pub placed_at: String,
    /// e.g. `ENTREGA` or `RETIRADA`.
    pub fulfillment: String,
    /// Pre-orders: when to have it ready, e.g. `30/11/2026 20:30`.
    pub scheduled_for: Option<String>,
    pub customer_name: String,
    pub customer_phone: String,
    /// One line; wrapped to the width.
    pub address: Option<String>,
    pub lines: Vec<TicketLine>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_fee_cents: i64,
    pub total_cents: i64,
    /// e.g. `PIX (pago)` or `Dinheiro - troco para R$ 100,00`.
    pub payment: String,
}

/// Columns of the printer's default font: 80 mm paper prints 48, 58 mm prints 32.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketWidth {
    Wide,
    Narrow,
}

impl TicketWidth {
    pub fn columns(self) -> usize {
        match self {
            Self::Wide => 48,
            Self::Narrow => 32,
        }
    }

    /// `"48"` or `"32"`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "48" => Some(Self::Wide),
            "32" => Some(Self::Narrow),
            _ => None,
        }
    }
}

/// `R$ 1.234,56`, `R$ 0,05`, `-R$ 5,00`.
pub fn format_brl(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let reais = (cents / 100).to_string();
    let mut grouped = String::with_capacity(reais.len() + reais.len() / 3);
    for (i, digit) in reais.chars().enumerate() {
        if i > 0 && (reais.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{sign}R$ {grouped},{:02}", cents % 100)
}

/// The ticket as text: every line at most `width` chars, each ending in `\n`.
pub fn render_text(ticket: &Ticket, width: TicketWidth) -> String {
    let columns = width.columns();
    let mut out = String::new();
    for line in layout(ticket, columns) {
        if line.style.centred() {
            let pad = columns.saturating_sub(line.text.chars().count()) / 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(&line.text);
        out.push('\n');
    }
    out
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const LF: u8 = 0x0A;
/// `ESC t 3`: Epson's number for PC860.
const CODE_PAGE_CP860: u8 = 3;
/// `GS ! n`: the low nibble is the height multiplier; double height keeps the column count.
const SIZE_DOUBLE_HEIGHT: u8 = 0x01;

/// The ticket as ESC/POS: the same lines as [`render_text`], header bold and centred by the
/// printer, then a feed and a full cut.
pub fn render_escpos(ticket: &Ticket, width: TicketWidth) -> Vec<u8> {
    let mut out = vec![ESC, b'@', ESC, b't', CODE_PAGE_CP860];
    let mut mode = Mode::default();
    for line in layout(ticket, width.columns()) {
        mode.switch(line.style.mode(), &mut out);
        // The printer centres (ESC a 1), so no padding here.
        out.extend(encode_cp860(&line.text));
        out.push(LF);
    }
    mode.switch(Mode::default(), &mut out);
    out.extend([ESC, b'd', 4, GS, b'V', 0x00]);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Store name: centred, bold.
    Title,
    /// Order number: centred, bold, double height on paper.
    Number,
    /// What the kitchen must not miss: bold.
    Strong,
    Plain,
}

impl Style {
    fn centred(self) -> bool {
        matches!(self, Self::Title | Self::Number)
    }

    fn mode(self) -> Mode {
        Mode {
            centred: self.centred(),
            bold: self != Self::Plain,
            tall: self == Self::Number,
        }
    }
}

/// The printer's state, so commands are sent only when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Mode {
    centred: bool,
    bold: bool,
    tall: bool,
}

impl Mode {
    fn switch(&mut self, to: Mode, out: &mut Vec<u8>) {
        if self.centred != to.centred {
            out.extend([ESC, b'a', u8::from(to.centred)]);
        }
        if self.bold != to.bold {
            out.extend([ESC, b'E', u8::from(to.bold)]);
        }
        if self.tall != to.tall {
            out.extend([GS, b'!', if to.tall { SIZE_DOUBLE_HEIGHT } else { 0 }]);
        }
        *self = to;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    style: Style,
}

/// The one layout both renderings print. Every text goes through [`wrap`], which sanitizes it
/// and keeps it within `width`.
fn layout(ticket: &Ticket, width: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut push = |texts: Vec<String>, style: Style| {
        lines.extend(texts.into_iter().map(|text| Line { text, style }));
    };
    let separator = || vec!["-".repeat(width)];

    push(wrap(&ticket.store_name, "", 0, width), Style::Title);
    push(
        wrap(&format!("PEDIDO #{}", ticket.number), "", 0, width),
        Style::Number,
    );
    push(wrap(&ticket.placed_at, "", 0, width), Style::Plain);
    push(wrap(&ticket.fulfillment, "", 0, width), Style::Strong);
    if let Some(scheduled) = ticket.scheduled_for.as_deref().filter(|s| has_text(s)) {
        push(prefixed("AGENDADO: ", scheduled, width), Style::Strong);
    }
    push(separator(), Style::Plain);

    let mut customer = Vec::new();
    if has_text(&ticket.customer_name) {
        customer.extend(prefixed("Cliente: ", &ticket.customer_name, width));
    }
    if has_text(&ticket.customer_phone) {
        customer.extend(prefixed("Tel.: ", &ticket.customer_phone, width));
    }
    if let Some(address) = ticket.address.as_deref().filter(|a| has_text(a)) {
        customer.extend(prefixed("End.: ", address, width));
    }
    if !customer.is_empty() {
        push(customer, Style::Plain);
        push(separator(), Style::Plain);
    }

    for item in &ticket.lines {
        push(
            prefixed(&format!("{}x ", item.quantity), &item.name, width),
            Style::Strong,
        );
        for (quantity, name) in &item.addons {
            push(
                prefixed(&format!("   + {quantity}x "), name, width),
                Style::Plain,
            );
        }
        if has_text(&item.notes) {
            push(prefixed("   Obs: ", &item.notes, width), Style::Strong);
        }
    }
    push(separator(), Style::Plain);

    push(
        amount_line("Subtotal", ticket.subtotal_cents, width),
        Style::Plain,
    );
    if ticket.discount_cents > 0 {
        push(
            amount_line("Desconto", -ticket.discount_cents, width),
            Style::Plain,
        );
    }
    if ticket.shipping_fee_cents > 0 {
        push(
            amount_line("Entrega", ticket.shipping_fee_cents, width),
            Style::Plain,
        );
    }
    push(
        amount_line("TOTAL", ticket.total_cents, width),
        Style::Strong,
    );
    push(separator(), Style::Plain);

    if has_text(&ticket.payment) {
        push(
            prefixed("Pagamento: ", &ticket.payment, width),
            Style::Plain,
        );
        push(separator(), Style::Plain);
    }
    lines
}

fn has_text(s: &str) -> bool {
    !sanitize(s).trim().is_empty()
}

/// `prefix` on the first line, continuation lines indented to align under the text.
fn prefixed(prefix: &str, text: &str, width: usize) -> Vec<String> {
    wrap(text, prefix, prefix.chars().count(), width)
}

/// `Label ........ R$ 50,00`; on two lines if the amount leaves no room for a dot.
fn amount_line(label: &str, cents: i64, width: usize) -> Vec<String> {
    let amount = format_brl(cents);
    let used = label.chars().count() + amount.chars().count() + 2;
    if used < width {
        vec![format!("{label} {} {amount}", ".".repeat(width - used))]
    } else {
        vec![label.to_owned(), format!("{amount:>width$}")]
    }
}

/// Control characters (a note could carry ESC/POS commands) and other whitespace become spaces.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Word wrap at spaces: `prefix` starts the first line, later lines start with `indent` spaces;
/// a word longer than a line is split. Lines have at most `width` chars (given a prefix shorter
/// than `width`) and no trailing spaces. Runs of spaces collapse.
fn wrap(text: &str, prefix: &str, indent: usize, width: usize) -> Vec<String> {
    let width = width.max(1);
    let indent = indent.min(width - 1);
    let clean = sanitize(text);
    let mut lines = Vec::new();
    let mut line = prefix.to_owned();
    let mut used = prefix.chars().count();
    let mut has_word = false;
    for word in clean.split(' ').filter(|w| !w.is_empty()) {
        let mut length = word.chars().count();
        if has_word && used + 1 + length <= width {
            line.push(' ');
            line.push_str(word);
            used += 1 + length;
            continue;
        }
        if has_word || used >= width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            used = indent;
        }
        let mut rest = word;
        while length > width - used {
            let room = width - used;
            let split = rest.char_indices().nth(room).map_or(rest.len(), |(i, _)| i);
            line.push_str(&rest[..split]);
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            used = indent;
            rest = &rest[split..];
            length -= room;
        }
        line.push_str(rest);
        used += length;
        has_word = true;
    }
    if has_word {
        lines.push(line);
    } else if lines.is_empty() && !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// CP860 (Portuguese): ASCII as is, the code page's letters and signs by their code points,
/// anything else `?`. One byte per char, so a line keeps its width on paper.
fn encode_cp860(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            // Control bytes never reach the printer, even if a caller skipped sanitize.
            ' '..='~' => c as u8,
            'Ç' => 0x80,
            'ü' => 0x81,
            'é' => 0x82,
            'â' => 0x83,
            'ã' => 0x84,
            'à' => 0x85,
            'Á' => 0x86,
            'ç' => 0x87,
            'ê' => 0x88,
            'Ê' => 0x89,
            'è' => 0x8A,
            'Í' => 0x8B,
            'Ô' => 0x8C,
            'ì' => 0x8D,
            'Ã' => 0x8E,
            'Â' => 0x8F,
            'É' => 0x90,
            'À' => 0x91,
            'È' => 0x92,
            'ô' => 0x93,
            'õ' => 0x94,
            'ò' => 0x95,
            'Ú' => 0x96,
            'ù' => 0x97,
            'Ì' => 0x98,
            'Õ' => 0x99,
            'Ü' => 0x9A,
            '¢' => 0x9B,
            '£' => 0x9C,
            'Ù' => 0x9D,
            'Ó' => 0x9F,
            'á' => 0xA0,
            'í' => 0xA1,
            'ó' => 0xA2,
            'ú' => 0xA3,
            'ñ' => 0xA4,
            'Ñ' => 0xA5,
            'ª' => 0xA6,
            'º' => 0xA7,
            '¿' => 0xA8,
            'Ò' => 0xA9,
            '¬' => 0xAA,
            '½' => 0xAB,
            '¼' => 0xAC,
            '¡' => 0xAD,
            '«' => 0xAE,
            '»' => 0xAF,
            'ß' => 0xE1,
            'µ' => 0xE6,
            '±' => 0xF1,
            '÷' => 0xF6,
            '°' => 0xF8,
            '·' => 0xFA,
            '²' => 0xFD,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn order() -> Ticket {
        Ticket {
            store_name: "Pizzaria São João".to_owned(),
            number: 57,
            placed_at: "30/11/2026 19:42".to_owned(),
            fulfillment: "ENTREGA".to_owned(),
            scheduled_for: Some("30/11/2026 20:30".to_owned()),
            customer_name: "Maria Aparecida dos Santos".to_owned(),
            customer_phone: "(11) 98765-4321".to_owned(),
            address: Some(
                "Rua Doutor Antônio Bento de Amorim, 1234 - apto 56 bloco B - Jardim Paulista - \
                 São Paulo/SP - CEP 01310-100"
                    .to_owned(),
            ),
            lines: vec![
                TicketLine {
                    quantity: 1,
                    name: "Pizza Grande (½ Calabresa + ½ Margherita)".to_owned(),
                    addons: vec![(1, "Borda Catupiry".to_owned())],
                    notes: "sem cebola, por favor, e bem passada no forno a lenha".to_owned(),
                },
                TicketLine {
                    quantity: 2,
                    name: "Guaraná Antarctica 2L".to_owned(),
                    addons: vec![],
                    notes: String::new(),
                },
            ],
            subtotal_cents: 9_990,
            discount_cents: 1_000,
            shipping_fee_cents: 750,
            total_cents: 9_740,
            payment: "Dinheiro - troco para R$ 100,00".to_owned(),
        }
    }

    #[test]
    fn golden_text_48_columns() {
        let expected = concat!(
            "               Pizzaria São João\n",
            "                   PEDIDO #57\n",
            "30/11/2026 19:42\n",
            "ENTREGA\n",
            "AGENDADO: 30/11/2026 20:30\n",
            "------------------------------------------------\n",
            "Cliente: Maria Aparecida dos Santos\n",
            "Tel.: (11) 98765-4321\n",
            "End.: Rua Doutor Antônio Bento de Amorim, 1234 -\n",
            "      apto 56 bloco B - Jardim Paulista - São\n",
            "      Paulo/SP - CEP 01310-100\n",
            "------------------------------------------------\n",
            "1x Pizza Grande (½ Calabresa + ½ Margherita)\n",
            "   + 1x Borda Catupiry\n",
            "   Obs: sem cebola, por favor, e bem passada no\n",
            "        forno a lenha\n",
            "2x Guaraná Antarctica 2L\n",
            "------------------------------------------------\n",
            "Subtotal .............................. R$ 99,90\n",
            "Desconto ............................. -R$ 10,00\n",
            "Entrega ................................ R$ 7,50\n",
            "TOTAL ................................. R$ 97,40\n",
            "------------------------------------------------\n",
            "Pagamento: Dinheiro - troco para R$ 100,00\n",
            "------------------------------------------------\n",
        );
        assert_eq!(render_text(&order(), TicketWidth::Wide), expected);
    }

    #[test]
    fn golden_text_32_columns() {
        let expected = concat!(
            "       Pizzaria São João\n",
            "           PEDIDO #57\n",
            "30/11/2026 19:42\n",
            "ENTREGA\n",
            "AGENDADO: 30/11/2026 20:30\n",
            "--------------------------------\n",
            "Cliente: Maria Aparecida dos\n",
            "         Santos\n",
            "Tel.: (11) 98765-4321\n",
            "End.: Rua Doutor Antônio Bento\n",
            "      de Amorim, 1234 - apto 56\n",
            "      bloco B - Jardim Paulista\n",
            "      - São Paulo/SP - CEP\n",
            "      01310-100\n",
            "--------------------------------\n",
            "1x Pizza Grande (½ Calabresa + ½\n",
            "   Margherita)\n",
            "   + 1x Borda Catupiry\n",
            "   Obs: sem cebola, por favor, e\n",
            "        bem passada no forno a\n",
            "        lenha\n",
            "2x Guaraná Antarctica 2L\n",
            "--------------------------------\n",
            "Subtotal .............. R$ 99,90\n",
            "Desconto ............. -R$ 10,00\n",
            "Entrega ................ R$ 7,50\n",
            "TOTAL ................. R$ 97,40\n",
            "--------------------------------\n",
            "Pagamento: Dinheiro - troco para\n",
            "           R$ 100,00\n",
            "--------------------------------\n",
        );
        assert_eq!(render_text(&order(), TicketWidth::Narrow), expected);
    }

    /// Walks ESC/POS output: every ESC and GS must start a command this module emits; returns
    /// the printed lines with whether each was centred.
    fn printed_lines(bytes: &[u8]) -> Vec<(bool, Vec<u8>)> {
        let mut lines = Vec::new();
        let mut current = Vec::new();
        let mut centred = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                ESC | GS => {
                    let command = &bytes[i..(i + 3).min(bytes.len())];
                    match command {
                        [ESC, b'@', ..] => i += 2,
                        [ESC, b't', CODE_PAGE_CP860] | [ESC, b'd', 4] | [GS, b'V', 0] => i += 3,
                        [ESC, b'a', n @ (0 | 1)] => {
                            centred = *n == 1;
                            i += 3;
                        }
                        [ESC, b'E', 0 | 1] | [GS, b'!', 0 | SIZE_DOUBLE_HEIGHT] => i += 3,
                        other => panic!("unexpected command {other:02X?} at {i}"),
                    }
                }
                LF => {
                    lines.push((centred, std::mem::take(&mut current)));
                    i += 1;
                }
                b => {
                    assert!(b >= 0x20 && b != 0x7F, "control byte {b:#04X} at {i}");
                    current.push(b);
                    i += 1;
                }
            }
        }
        assert!(current.is_empty(), "text after the last line feed");
        lines
    }

    /// The text rendering's lines as ESC/POS prints them: centred lines without their padding.
    fn text_as_printed(ticket: &Ticket, width: TicketWidth) -> Vec<(bool, Vec<u8>)> {
        layout(ticket, width.columns())
            .into_iter()
            .map(|line| (line.style.centred(), encode_cp860(&line.text)))
            .collect()
    }

    #[test]
    fn escpos_starts_with_init_code_page_and_a_bold_centred_header() {
        let bytes = render_escpos(&order(), TicketWidth::Wide);
        let mut prefix = vec![
            0x1B, 0x40, 0x1B, 0x74, 0x03, 0x1B, 0x61, 0x01, 0x1B, 0x45, 0x01,
        ];
        prefix.extend(b"Pizzaria S\x84o Jo\x84o\n");
        // The order number: double height, still bold and centred.
        prefix.extend([0x1D, 0x21, 0x01]);
        prefix.extend(b"PEDIDO #57\n");
        // Back to left, regular, normal size.
        prefix.extend([0x1B, 0x61, 0x00, 0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00]);
        prefix.extend(b"30/11/2026 19:42\n");
        assert_eq!(&bytes[..prefix.len()], &prefix[..]);
        assert!(bytes.ends_with(&[0x1B, 0x64, 0x04, 0x1D, 0x56, 0x00]));
    }

    #[test]
    fn escpos_encodes_portuguese_in_cp860() {
        let bytes = render_escpos(&order(), TicketWidth::Narrow);
        assert!(bytes.windows(3).any(|w| w == [b'S', 0x84, b'o']));
        assert!(bytes.windows(2).any(|w| w == [b'(', 0xAB]));
        assert!(!bytes.windows(2).any(|w| w == "½".as_bytes()));
        assert_eq!(
            encode_cp860("ÇçÃãÕõÁáÉéÍíÓóÚúÂâÊêÔôÀàü"),
            b"\x80\x87\x8E\x84\x99\x94\x86\xA0\x90\x82\x8B\xA1\x9F\xA2\x96\xA3\x8F\x83\x89\x88\x8C\x93\x91\x85\x81"
        );
        assert_eq!(
            encode_cp860("1º 2ª 50° ½ ¼"),
            b"1\xA7 2\xA6 50\xF8 \xAB \xAC"
        );
        assert_eq!(encode_cp860("€ 🍕 ñ"), b"? ? \xA4");
    }

    #[test]
    fn escpos_prints_the_text_layout_line_for_line() {
        for width in [TicketWidth::Wide, TicketWidth::Narrow] {
            let bytes = render_escpos(&order(), width);
            assert_eq!(printed_lines(&bytes), text_as_printed(&order(), width));
            let text = render_text(&order(), width);
            let text_lines: Vec<Vec<u8>> =
                text.lines().map(|l| encode_cp860(l.trim_start())).collect();
            let printed: Vec<Vec<u8>> = printed_lines(&bytes)
                .into_iter()
                .map(|(_, l)| l.trim_ascii_start().to_vec())
                .collect();
            assert_eq!(printed, text_lines);
        }
    }

    #[test]
    fn a_note_cannot_inject_printer_commands() {
        let mut injected = order();
        injected.lines[0].notes =
            "sem cebola\u{1b}@\u{1d}V\u{0}\u{1b}E\u{1}\n\r\t\u{7f}\u{9b}fim".to_owned();
        injected.customer_name = "Maria\u{1b}d\u{ff}".to_owned();
        let mut neutral = order();
        neutral.lines[0].notes = "sem cebola @ V  E     fim".to_owned();
        neutral.customer_name = "Maria d\u{ff}".to_owned();
        for width in [TicketWidth::Wide, TicketWidth::Narrow] {
            let bytes = render_escpos(&injected, width);
            assert_eq!(bytes, render_escpos(&neutral, width));
            assert_eq!(render_text(&injected, width), render_text(&neutral, width));
            // Every ESC and GS left starts one of this module's commands.
            printed_lines(&bytes);
            assert_eq!(&bytes[..2], [0x1B, b'@']);
            assert!(!bytes[2..].windows(2).any(|w| w == [0x1B, b'@']));
            assert_eq!(
                bytes.iter().filter(|b| **b == 0x1D).count(),
                3,
                "size on, size off, cut"
            );
        }
    }

    #[test]
    fn formats_brl() {
        assert_eq!(format_brl(0), "R$ 0,00");
        assert_eq!(format_brl(5), "R$ 0,05");
        assert_eq!(format_brl(100), "R$ 1,00");
        assert_eq!(format_brl(99_999), "R$ 999,99");
        assert_eq!(format_brl(123_456), "R$ 1.234,56");
        assert_eq!(format_brl(100_000_000), "R$ 1.000.000,00");
        assert_eq!(format_brl(-500), "-R$ 5,00");
        assert_eq!(format_brl(-123_456), "-R$ 1.234,56");
        assert_eq!(format_brl(i64::MIN), "-R$ 92.233.720.368.547.758,08");
    }

    #[test]
    fn an_amount_too_wide_for_the_dots_goes_under_its_label() {
        assert_eq!(
            amount_line("TOTAL", 1_234_567, 32),
            ["TOTAL ............. R$ 12.345,67"]
        );
        assert_eq!(
            amount_line("Subtotal", i64::MIN, 32),
            ["Subtotal", "   -R$ 92.233.720.368.547.758,08"]
        );
    }

    #[test]
    fn parses_widths() {
        assert_eq!(TicketWidth::parse("48"), Some(TicketWidth::Wide));
        assert_eq!(TicketWidth::parse(" 32 "), Some(TicketWidth::Narrow));
        assert_eq!(TicketWidth::parse("40"), None);
        assert_eq!(TicketWidth::Wide.columns(), 48);
        assert_eq!(TicketWidth::Narrow.columns(), 32);
    }

    #[test]
    fn wraps_at_spaces_with_an_aligned_indent() {
        assert_eq!(
            wrap("sem cebola por favor", "Obs: ", 5, 16),
            ["Obs: sem cebola", "     por favor"]
        );
        assert_eq!(wrap("  muitos   espaços  ", "", 0, 20), ["muitos espaços"]);
        assert_eq!(wrap("", "2x ", 3, 10), ["2x"]);
        assert_eq!(wrap(" \u{1b} ", "", 0, 10), Vec::<String>::new());
    }

    #[test]
    fn a_word_that_fits_exactly_is_not_split() {
        assert_eq!(wrap("abcde fghij", "", 0, 5), ["abcde", "fghij"]);
        assert_eq!(wrap("ab cd", "", 0, 5), ["ab cd"]);
        assert_eq!(wrap("ab cde", "", 0, 5), ["ab", "cde"]);
        assert_eq!(wrap("ççççç", "", 0, 5), ["ççççç"]);
        assert_eq!(wrap("abc defg", "1x ", 3, 10), ["1x abc", "   defg"]);
    }

    #[test]
    fn a_word_longer_than_the_line_is_split() {
        assert_eq!(wrap("abcdefghij", "", 0, 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("ok ãããããããã", "> ", 2, 5),
            ["> ok", "  ããã", "  ããã", "  ãã"]
        );
        assert_eq!(
            wrap("xy 123456789", "1x ", 3, 8),
            ["1x xy", "   12345", "   6789"]
        );
        // Starts on the prefix line when nothing is there yet.
        assert_eq!(wrap("abcdefgh", "1x ", 3, 6), ["1x abc", "   def", "   gh"]);
    }

    fn messy_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9 ,.()/+-]{0,12}",
                2 => "[ãçéíóúâêôõÃÇÉ½º°ª ]{0,8}",
                1 => "[a-z]{40,120}",
                1 => "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{1b}@]{0,6}",
                1 => "\\PC{0,10}",
                1 => Just("🍕👍🏽\u{200b}\u{202e}\u{2028}\u{a0}".to_owned()),
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    fn messy_ticket() -> impl Strategy<Value = Ticket> {
        let line = (
            any::<u32>(),
            messy_text(),
            prop::collection::vec((any::<u32>(), messy_text()), 0..3),
            messy_text(),
        )
            .prop_map(|(quantity, name, addons, notes)| TicketLine {
                quantity,
                name,
                addons,
                notes,
            });
        (
            (messy_text(), any::<i64>(), messy_text(), messy_text()),
            (
                prop::option::of(messy_text()),
                messy_text(),
                messy_text(),
                prop::option::of(messy_text()),
            ),
            prop::collection::vec(line, 0..4),
            (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
            messy_text(),
        )
            .prop_map(
                |(
                    (store_name, number, placed_at, fulfillment),
                    (scheduled_for, customer_name, customer_phone, address),
                    lines,
                    (subtotal_cents, discount_cents, shipping_fee_cents, total_cents),
                    payment,
                )| Ticket {
                    store_name,
                    number,
                    placed_at,
                    fulfillment,
                    scheduled_for,
                    customer_name,
                    customer_phone,
                    address,
                    lines,
                    subtotal_cents,
                    discount_cents,
                    shipping_fee_cents,
                    total_cents,
                    payment,
                },
            )
    }

    proptest! {
        #[test]
        fn no_line_is_wider_than_the_paper(ticket in messy_ticket()) {
            for width in [TicketWidth::Wide, TicketWidth::Narrow] {
                let text = render_text(&ticket, width);
                prop_assert!(text.ends_with('\n'));
                for line in text.lines() {
                    prop_assert!(line.chars().count() <= width.columns(), "{line:?} is wider than {}", width.columns());
                    prop_assert!(!line.chars().any(char::is_control), "{line:?} has a control char");
                    prop_assert_eq!(line, line.trim_end());
                }
                let bytes = render_escpos(&ticket, width);
                let printed = printed_lines(&bytes);
                prop_assert_eq!(&printed, &text_as_printed(&ticket, width));
                prop_assert!(printed.iter().all(|(_, l)| l.len() <= width.columns()));
            }
        }

        #[test]
        fn wrapped_text_keeps_every_word_in_order(text in messy_text(), width in 1usize..50, indent in 0usize..10) {
            let lines = wrap(&text, "", indent, width);
            for line in &lines {
                prop_assert!(line.chars().count() <= width);
            }
            let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
            let original: String = sanitize(&text).chars().filter(|c| *c != ' ').collect();
            prop_assert_eq!(joined, original);
        }
    }
}
