//! Bulk campaigns: the tax office's CSV of what each debtor owes (TARI, canteen, lamp
//! contributions), read record by record and checked before anything is billed.
//!
//! The file is UTF-8 (a BOM is tolerated, as Excel writes one), `;`-separated as Italian Excel
//! saves it, with a header row naming the columns in Italian (see [`COLUMNS`]). Fields may be
//! quoted with `"`, doubling a quote inside; a quoted field may span lines. Reading is split in
//! two steps so that the caller decides how the bytes arrive and memory stays flat however long
//! the file is: [`RecordSplitter`] turns lines into records, [`Validator`] turns records into
//! [`CampaignRow`]s or [`Problem`]s, keeping only what duplicate detection needs.

use super::collection::Collection;
use super::position::{
    DebtPosition, Debtor, Iupd, MAX_AMOUNT, MAX_OPTIONS, PaymentOption, PositionError, TEXT_MAX,
    Transfer,
};
use crate::form::{Decimal, DecimalError};
use crate::pagopa::{IuvBase, NoticeNumber};
use crate::{Cents, CodiceFiscale, EnteCodiceFiscale};
use jiff::civil::Date;
use std::collections::HashMap;
use std::collections::hash_map::{Entry, RandomState};
use std::fmt;
use std::hash::BuildHasher;

/// The field separator: Italian Excel saves "CSV" with semicolons, since the comma is the
/// decimal separator.
pub const SEPARATOR: char = ';';
/// A row's own key is at most this long: it becomes part of the GPD `iupd` (at most 70
/// characters with the creditor and the IUV) and the name of the notice's PDF file.
pub const REFERENCE_MAX: usize = 35;

/// The columns, in Italian as the office's spreadsheets name them.
pub const RIFERIMENTO: &str = "riferimento";
pub const CODICE_FISCALE: &str = "codice_fiscale";
pub const NOMINATIVO: &str = "nominativo";
pub const CAUSALE: &str = "causale";
pub const IMPORTO: &str = "importo";
pub const SCADENZA: &str = "scadenza";
pub const RATE: &str = "rate";
pub const EMAIL: &str = "email";

/// Every column; `rate` and `email` may be left out of the header.
pub const COLUMNS: [&str; 8] = [
    RIFERIMENTO,
    CODICE_FISCALE,
    NOMINATIVO,
    CAUSALE,
    IMPORTO,
    SCADENZA,
    RATE,
    EMAIL,
];
const REQUIRED: [&str; 6] = [
    RIFERIMENTO,
    CODICE_FISCALE,
    NOMINATIVO,
    CAUSALE,
    IMPORTO,
    SCADENZA,
];

/// What is wrong with one place of the file: `line 17, importo: "12,345" has more than two
/// decimals`. `field` is empty when the problem is the whole record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the file where the record starts (the header is line 1).
    pub line: usize,
    pub field: String,
    pub reason: String,
}

impl Problem {
    fn new(line: usize, field: &str, reason: impl Into<String>) -> Problem {
        Problem {
            line,
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}, {}: {}", self.line, self.field, self.reason)
        }
    }
}

/// One record of the file: the line it starts on and its fields, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits lines into `;`-separated records, honouring quotes (which may hide separators and
/// line breaks). Feed it the file's lines in order, without their line terminator.
#[derive(Debug, Default)]
pub struct RecordSplitter {
    lines: usize,
    open: Option<OpenRecord>,
}

#[derive(Debug)]
struct OpenRecord {
    line: usize,
    fields: Vec<String>,
    field: String,
}

impl RecordSplitter {
    pub fn new() -> RecordSplitter {
        RecordSplitter::default()
    }

    /// Lines seen so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    /// The next line of the file. Returns the record it completes, if any: `None` for a blank
    /// line or a line that ends inside quotes.
    pub fn push_line(&mut self, line: &str) -> Result<Option<Record>, Problem> {
        self.lines += 1;
        let mut line = line.strip_suffix('\r').unwrap_or(line);
        if self.lines == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let (mut open, mut quoted) = match self.open.take() {
            Some(mut open) => {
                // The line break was inside quotes: it belongs to the field.
                open.field.push('\n');
                (open, true)
            }
            None => {
                if line.trim().is_empty() {
                    return Ok(None);
                }
                (
                    OpenRecord {
                        line: self.lines,
                        fields: Vec::new(),
                        field: String::new(),
                    },
                    false,
                )
            }
        };
        let mut chars = line.chars().peekable();
        // Whether the current field started with a quote (only then may quotes close it).
        let mut was_quoted = quoted || !open.field.is_empty();
        while let Some(c) = chars.next() {
            if quoted {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        open.field.push('"');
                    } else {
                        quoted = false;
                    }
                } else {
                    open.field.push(c);
                }
            } else if c == SEPARATOR {
                open.fields.push(std::mem::take(&mut open.field));
                was_quoted = false;
            } else if c == '"' && open.field.trim().is_empty() && !was_quoted {
                open.field.clear();
                quoted = true;
                was_quoted = true;
            } else if c == '"' {
                return Err(Problem::new(
                    open.line,
                    "",
                    "a quote in the middle of a field: quote the whole field and double the quotes inside it",
                ));
            } else if was_quoted && !c.is_whitespace() {
                return Err(Problem::new(
                    open.line,
                    "",
                    "text after the closing quote of a field",
                ));
            } else if !was_quoted {
                open.field.push(c);
            }
        }
        if quoted {
            self.open = Some(open);
            return Ok(None);
        }
        open.fields.push(open.field);
        Ok(Some(Record {
            line: open.line,
            fields: open.fields,
        }))
    }

    /// The end of the file: a record still inside quotes is a problem.
    pub fn finish(&mut self) -> Result<(), Problem> {
        match self.open.take() {
            Some(open) => Err(Problem::new(
                open.line,
                "",
                "a quoted field is never closed",
            )),
            None => Ok(()),
        }
    }
}

/// A valid row: one debtor, one position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    pub line: usize,
    /// The office's own key of the row, unique in the file.
    pub reference: String,
    pub debtor: Debtor,
    /// The *causale*, also the remittance information.
    pub reason: String,
    pub amount: Cents,
    /// The due date of the single payment of the whole.
    pub due_date: Date,
    /// The instalments' due dates, ascending; empty for a single payment only.
    pub instalments: Vec<Date>,
}

impl CampaignRow {
    /// How many notice numbers the row's position needs: the single payment and each
    /// instalment.
    pub fn notice_count(&self) -> usize {
        1 + self.instalments.len()
    }

    /// The instalments' amounts: the whole split evenly, the cents left over on the first,
    /// so the instalments always add up to the single payment.
    pub fn instalment_amounts(&self) -> Vec<Cents> {
        let n = self.instalments.len() as i64;
        if n == 0 {
            return Vec::new();
        }
        let share = self.amount.get() / n;
        let remainder = self.amount.get() - share * n;
        (0..n)
            .map(|i| Cents::new(if i == 0 { share + remainder } else { share }))
            .collect()
    }

    /// The position collecting this row for the comune, with notice numbers made of `bases`
    /// (one per [`CampaignRow::notice_count`]): the single payment first, then the
    /// instalments. Its `iupd` is `<creditor>-<IUV of the single payment>-<riferimento>`:
    /// unique because the IUV is, and readable in the pagoPA back office.
    pub fn position(
        &self,
        creditor: &EnteCodiceFiscale,
        company_name: &str,
        collection: &Collection,
        bases: &[IuvBase],
    ) -> Result<DebtPosition, PositionError> {
        if bases.len() != self.notice_count() {
            return Err(PositionError::OptionCount);
        }
        let notices: Vec<NoticeNumber> = bases
            .iter()
            .map(|base| NoticeNumber::new(collection.segregation_code, *base))
            .collect();
        let transfer = |amount: Cents| {
            Transfer::new(
                amount,
                &self.reason,
                collection.fees_taxonomy.clone(),
                collection.fee_destination(),
            )
        };
        let mut options = Vec::with_capacity(notices.len());
        let mut notice_iter = notices.iter();
        let first = notice_iter.next().ok_or(PositionError::OptionCount)?;
        options.push(PaymentOption::new(
            first.clone(),
            &self.reason,
            self.due_date,
            false,
            vec![transfer(self.amount)?],
        )?);
        let count = self.instalments.len();
        for (i, ((due, amount), notice)) in self
            .instalments
            .iter()
            .zip(self.instalment_amounts())
            .zip(notice_iter)
            .enumerate()
        {
            let suffix = format!(" - rata {}/{count}", i + 1);
            let room = TEXT_MAX.saturating_sub(suffix.chars().count());
            let description: String = self.reason.chars().take(room).collect::<String>() + &suffix;
            options.push(PaymentOption::new(
                notice.clone(),
                &description,
                *due,
                true,
                vec![transfer(amount)?],
            )?);
        }
        let iupd = Iupd::for_origin(
            creditor,
            &format!("{}-{}", first.iuv().as_str(), self.reference),
        )?;
        DebtPosition::new(
            iupd,
            self.debtor.clone(),
            company_name,
            collection.sector.as_deref(),
            false,
            options,
        )
    }
}

/// Where each column is in the file's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Index of each of [`COLUMNS`], `None` for an optional column left out.
    index: [Option<usize>; COLUMNS.len()],
    width: usize,
}

impl Header {
    /// Reads the header record: every required column present, each once, nothing unknown
    /// (a typo would otherwise silently drop a column).
    pub fn parse(record: &Record) -> Result<Header, Vec<Problem>> {
        let mut index = [None; COLUMNS.len()];
        let mut problems = Vec::new();
        for (i, name) in record.fields.iter().enumerate() {
            let name = name.trim().to_lowercase();
            match COLUMNS.iter().position(|c| *c == name) {
                Some(c) if index[c].is_some() => problems.push(Problem::new(
                    record.line,
                    &name,
                    "the column appears twice in the header",
                )),
                Some(c) => index[c] = Some(i),
                None => problems.push(Problem::new(
                    record.line,
                    "",
                    format!(
                        "unknown column {name:?} in the header (the columns are {})",
                        COLUMNS.join(";")
                    ),
                )),
            }
        }
        for required in REQUIRED {
            if let Some(c) = COLUMNS.iter().position(|c| *c == required)
                && index[c].is_none()
            {
                problems.push(Problem::new(
                    record.line,
                    required,
                    "the column is missing from the header",
                ));
            }
        }
        if problems.is_empty() {
            Ok(Header {
                index,
                width: record.fields.len(),
            })
        } else {
            Err(problems)
        }
    }

    fn get<'r>(&self, record: &'r Record, column: &str) -> &'r str {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|c| self.index[c])
            .and_then(|i| record.fields.get(i))
            .map_or("", |f| f.trim())
    }
}

/// What the valid rows add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub rows: u64,
    pub amount: Cents,
    /// Rows payable in instalments.
    pub with_instalments: u64,
    /// Notice numbers the campaign will take (single payments and instalments).
    pub notices: u64,
}

/// Checks records against the header and each other. Holds one small entry per row for
/// duplicate detection (a keyed 64-bit hash of the `riferimento` and its line), never the
/// rows themselves.
#[derive(Debug)]
pub struct Validator {
    header: Header,
    today: Date,
    hasher: RandomState,
    seen: HashMap<u64, usize>,
    totals: Totals,
}

impl Validator {
    /// `today` is the first acceptable due date.
    pub fn new(header: Header, today: Date) -> Validator {
        Validator {
            header,
            today,
            hasher: RandomState::new(),
            seen: HashMap::new(),
            totals: Totals::default(),
        }
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// One data record: a typed row, or every problem found in it.
    pub fn check(&mut self, record: &Record) -> Result<CampaignRow, Vec<Problem>> {
        let line = record.line;
        if record.fields.len() != self.header.width {
            return Err(vec![Problem::new(
                line,
                "",
                format!(
                    "has {} fields, the header has {} (is a ';' inside a field not quoted?)",
                    record.fields.len(),
                    self.header.width
                ),
            )]);
        }
        let mut problems = Vec::new();
        let field = |column| self.header.get(record, column);

        let reference = field(RIFERIMENTO);
        if let Err(reason) = check_reference(reference) {
            problems.push(Problem::new(line, RIFERIMENTO, reason));
        } else {
            // A keyed 64-bit hash instead of the text: memory per row stays a few bytes. Two
            // different keys collide with probability ~n²/2⁶⁵ (under 10⁻⁷ for a million rows),
            // and a collision could only refuse a file, never bill twice.
            match self.seen.entry(self.hasher.hash_one(reference)) {
                Entry::Occupied(first) => problems.push(Problem::new(
                    line,
                    RIFERIMENTO,
                    format!(
                        "{reference:?} repeats the riferimento of line {}",
                        first.get()
                    ),
                )),
                Entry::Vacant(slot) => {
                    slot.insert(line);
                }
            }
        }

        let name = field(NOMINATIVO);
        if name.is_empty() {
            problems.push(Problem::new(line, NOMINATIVO, "is empty"));
        } else if name.chars().count() > TEXT_MAX {
            problems.push(Problem::new(
                line,
                NOMINATIVO,
                format!("is longer than {TEXT_MAX} characters"),
            ));
        }
        let cf = field(CODICE_FISCALE).to_ascii_uppercase();
        let debtor = match check_fiscal_code(&cf) {
            Err(reason) => {
                problems.push(Problem::new(line, CODICE_FISCALE, reason));
                None
            }
            Ok(()) => Debtor::identify(&cf, name).ok(),
        };

        let reason = field(CAUSALE);
        if reason.is_empty() {
            problems.push(Problem::new(line, CAUSALE, "is empty"));
        } else if reason.chars().count() > TEXT_MAX {
            problems.push(Problem::new(
                line,
                CAUSALE,
                format!(
                    "is {} characters long, pagoPA allows {TEXT_MAX}",
                    reason.chars().count()
                ),
            ));
        }

        let amount_text = field(IMPORTO);
        let amount = match parse_amount(amount_text) {
            Ok(amount) => Some(amount),
            Err(reason) => {
                problems.push(Problem::new(
                    line,
                    IMPORTO,
                    format!("{amount_text:?} {reason}"),
                ));
                None
            }
        };

        let due_text = field(SCADENZA);
        let due_date = match self.parse_due(due_text) {
            Ok(date) => Some(date),
            Err(reason) => {
                problems.push(Problem::new(
                    line,
                    SCADENZA,
                    format!("{due_text:?} {reason}"),
                ));
                None
            }
        };

        let instalments_text = field(RATE);
        let mut instalments = Vec::new();
        if !instalments_text.is_empty() {
            let parts: Vec<&str> = instalments_text.split('|').map(str::trim).collect();
            let mut ok = true;
            for part in &parts {
                match self.parse_due(part) {
                    Ok(date) => instalments.push(date),
                    Err(reason) => {
                        problems.push(Problem::new(line, RATE, format!("{part:?} {reason}")));
                        ok = false;
                    }
                }
            }
            if ok {
                if parts.len() < 2 {
                    problems.push(Problem::new(
                        line,
                        RATE,
                        "one instalment is the single payment: give two or more dates, or none",
                    ));
                } else if parts.len() >= MAX_OPTIONS {
                    problems.push(Problem::new(
                        line,
                        RATE,
                        format!("pagoPA allows at most {} instalments", MAX_OPTIONS - 1),
                    ));
                } else if instalments.windows(2).any(|w| w[0] >= w[1]) {
                    problems.push(Problem::new(
                        line,
                        RATE,
                        "the instalments' dates must be in ascending order, each after the previous",
                    ));
                } else if let Some(amount) = amount
                    && amount.get() < parts.len() as i64
                {
                    problems.push(Problem::new(
                        line,
                        RATE,
                        "the amount is too small to split into that many instalments",
                    ));
                }
            }
        }

        let email = field(EMAIL);
        if !email.is_empty() && !is_email(email) {
            problems.push(Problem::new(
                line,
                EMAIL,
                format!("{email:?} is not an e-mail address"),
            ));
        }

        match (debtor, amount, due_date) {
            (Some(mut debtor), Some(amount), Some(due_date)) if problems.is_empty() => {
                debtor.email = (!email.is_empty()).then(|| email.to_owned());
                let row = CampaignRow {
                    line,
                    reference: reference.to_owned(),
                    debtor,
                    reason: reason.to_owned(),
                    amount,
                    due_date,
                    instalments,
                };
                self.totals.rows += 1;
                self.totals.amount = self.totals.amount.checked_add(amount).unwrap_or(MAX_AMOUNT);
                self.totals.with_instalments += u64::from(!row.instalments.is_empty());
                self.totals.notices += row.notice_count() as u64;
                Ok(row)
            }
            _ => {
                if problems.is_empty() {
                    problems.push(Problem::new(line, "", "is not a valid row"));
                }
                Err(problems)
            }
        }
    }

    fn parse_due(&self, text: &str) -> Result<Date, String> {
        let date = parse_date(text)
            .ok_or_else(|| "is not a date such as 31/05/2027 or 2027-05-31".to_owned())?;
        if date < self.today {
            return Err(format!("is in the past (today is {})", self.today));
        }
        Ok(date)
    }
}

/// `31/05/2027` (how Italian spreadsheets write it) or `2027-05-31` (ISO).
pub fn parse_date(text: &str) -> Option<Date> {
    let number = |s: &str, len: usize| -> Option<i16> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = if let Some((d, rest)) = text.split_once('/') {
        let (m, y) = rest.split_once('/')?;
        (number(y, 4)?, number(m, 2)?, number(d, 2)?)
    } else {
        let mut parts = text.splitn(3, '-');
        let y = parts.next()?;
        let m = parts.next()?;
        let d = parts.next()?;
        (number(y, 4)?, number(m, 2)?, number(d, 2)?)
    };
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

fn parse_amount(text: &str) -> Result<Cents, &'static str> {
    if text.is_empty() {
        return Err("is empty");
    }
    let decimal = Decimal::parse(text).map_err(|e| match e {
        DecimalError::TooManyDecimals => "has more than two decimals",
        DecimalError::NotANumber => {
            "is not an amount in euros such as 312,50 (no thousands separators)"
        }
    })?;
    let cents = Cents::new(decimal.hundredths());
    if cents.get() < 1 {
        Err("must be at least 0,01 euro")
    } else if cents > MAX_AMOUNT {
        Err("is more than pagoPA allows (999.999.999,99 euro)")
    } else {
        Ok(cents)
    }
}

fn check_reference(reference: &str) -> Result<(), String> {
    if reference.is_empty() {
        return Err("is empty".into());
    }
    let ok = reference.len() <= REFERENCE_MAX
        && !reference.starts_with('.')
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{reference:?} must be 1 to {REFERENCE_MAX} letters, digits, '-', '_' or '.', not starting with '.'"
        ))
    }
}

fn check_fiscal_code(cf: &str) -> Result<(), String> {
    if cf.is_empty() {
        return Err("is empty".into());
    }
    if cf.len() == 11 && cf.bytes().all(|b| b.is_ascii_digit()) {
        return EnteCodiceFiscale::parse(cf)
            .map(|_| ())
            .map_err(|e| format!("{cf:?} is not a company's codice fiscale: {e}"));
    }
    CodiceFiscale::parse(cf)
        .map(|_| ())
        .map_err(|e| format!("{cf:?} is not a codice fiscale: {e}"))
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    value.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pagopa::SegregationCode;
    use crate::payment::Iban;
    use crate::payment::position::{DebtorKind, Taxonomy};
    use jiff::civil::date;

    const HEADER: &str =
        "riferimento;codice_fiscale;nominativo;causale;importo;scadenza;rate;email";

    fn today() -> Date {
        date(2027, 1, 10)
    }

    /// Splits `text` and validates every record: the rows and the problems.
    fn read(text: &str) -> (Vec<CampaignRow>, Vec<Problem>, Totals) {
        let mut splitter = RecordSplitter::new();
        let mut validator: Option<Validator> = None;
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for line in text.split('\n') {
            let record = match splitter.push_line(line) {
                Ok(Some(record)) => record,
                Ok(None) => continue,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            match &mut validator {
                None => match Header::parse(&record) {
                    Ok(header) => validator = Some(Validator::new(header, today())),
                    Err(found) => return (rows, found, Totals::default()),
                },
                Some(validator) => match validator.check(&record) {
                    Ok(row) => rows.push(row),
                    Err(found) => problems.extend(found),
                },
            }
        }
        if let Err(problem) = splitter.finish() {
            problems.push(problem);
        }
        let totals = validator.map(|v| v.totals()).unwrap_or_default();
        (rows, problems, totals)
    }

    fn collection() -> Collection {
        Collection {
            segregation_code: SegregationCode::new(1).unwrap(),
            iban: Iban::parse("IT60X0542811101000000123456").unwrap(),
            postal_iban: None,
            postal_account: None,
            postal_account_holder: None,
            cbill: None,
            sector: Some("Ufficio tributi".into()),
            fees_taxonomy: Taxonomy::parse("9/0101108TS/").unwrap(),
            stamp_taxonomy: Taxonomy::parse("9/0101108TS/").unwrap(),
            due_days: 30,
            spontaneous: Vec::new(),
        }
    }

    #[test]
    fn reads_an_excel_file_with_bom_crlf_and_quotes() {
        let text = format!(
            "\u{feff}{HEADER}\r\n\
             TARI-1;rssmra80a01h501u;Mario Rossi;TARI 2027;312,50;31/05/2027;;mario@example.it\r\n\
             TARI-2;00000000000;\"Ditta \"\"Verde\"\"; s.r.l.\";\"TARI 2027\nutenza non domestica\";1.200,00;2027-05-31;;\r\n"
        );
        let (rows, problems, _) = read(&text);
        // 1.200,00 has a thousands separator: refused, not misread as 1,20.
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 3);
        assert_eq!(problems[0].field, IMPORTO);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.amount, Cents::new(31_250));
        assert_eq!(row.debtor.fiscal_code, "RSSMRA80A01H501U");
        assert_eq!(row.debtor.email.as_deref(), Some("mario@example.it"));
        assert_eq!(row.due_date, date(2027, 5, 31));

        let fixed = text.replace("1.200,00", "1200");
        let (rows, problems, totals) = read(&fixed);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[1].debtor.full_name, "Ditta \"Verde\"; s.r.l.");
        assert_eq!(rows[1].debtor.kind, DebtorKind::Company);
        assert_eq!(rows[1].reason, "TARI 2027\nutenza non domestica");
        assert_eq!(totals.rows, 2);
        assert_eq!(totals.amount, Cents::new(151_250));
        assert_eq!(totals.notices, 2);
    }

    #[test]
    fn reports_every_problem_with_its_line_and_column() {
        let text = format!(
            "{HEADER}\n\
             A1;RSSMRA80A01H501U;Mario Rossi;TARI;12,345;31/05/2027;;\n\
             A1;RSSMRA80A01H501X;;TARI;10;31/13/2027;;nobody\n\
             A 3;RSSMRA80A01H501U;Mario Rossi;{long};10;01/01/2020;;\n\
             A4;RSSMRA80A01H501U;Mario Rossi;TARI;10\n\
             A5;RSSMRA80A01H501U;Mario Rossi;TARI;0,02;31/05/2027;31/03/2027|31/01/2027|30/04/2027;\n\
             A6;RSSMRA80A01H501U;Mario Rossi;TARI;10;31/05/2027;31/03/2027;\n",
            long = "x".repeat(141)
        );
        let (rows, problems, totals) = read(&text);
        assert!(rows.is_empty());
        assert_eq!(totals.rows, 0);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown.contains(&"line 2, importo: \"12,345\" has more than two decimals".to_owned()),
            "{shown:#?}"
        );
        let at =
            |line: usize, field: &str| problems.iter().any(|p| p.line == line && p.field == field);
        assert!(at(3, RIFERIMENTO), "duplicate: {shown:#?}");
        assert!(
            shown
                .iter()
                .any(|s| s.contains("repeats the riferimento of line 2"))
        );
        assert!(at(3, CODICE_FISCALE));
        assert!(at(3, NOMINATIVO));
        assert!(at(3, SCADENZA));
        assert!(at(3, EMAIL));
        assert!(at(4, RIFERIMENTO));
        assert!(at(4, CAUSALE));
        assert!(at(4, SCADENZA), "in the past");
        assert!(at(5, ""), "missing fields");
        assert!(at(6, RATE), "not ascending");
        assert!(at(7, RATE), "a lone instalment");
    }

    #[test]
    fn checks_the_header() {
        let (_, problems, _) = read("riferimento;codice_fiscale;nome;causale;importo;importo\n");
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown.iter().any(|s| s.contains("unknown column \"nome\"")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 1, importo: the column appears twice"))
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 1, nominativo: the column is missing"))
        );
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("line 1, scadenza: the column is missing"))
        );
        // Optional columns may be left out, in any order.
        let (rows, problems, _) = read(
            "scadenza;importo;causale;nominativo;codice_fiscale;riferimento\n2027-05-31;5;Mensa;Mario Rossi;RSSMRA80A01H501U;M-1\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].reference, "M-1");
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opens() {
        let (_, problems, _) = read(&format!("{HEADER}\nA1;\"RSSMRA80A01H501U;x\n"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].reason.contains("never closed"));
    }

    #[test]
    fn instalments_add_up_to_the_whole_with_the_remainder_first() {
        let text = format!(
            "{HEADER}\nT-9;RSSMRA80A01H501U;Mario Rossi;TARI 2027;100,00;31/07/2027;31/03/2027 | 31/05/2027 | 31/07/2027;\n"
        );
        let (rows, problems, totals) = read(&text);
        assert!(problems.is_empty(), "{problems:?}");
        let row = &rows[0];
        assert_eq!(
            row.instalment_amounts(),
            vec![Cents::new(3334), Cents::new(3333), Cents::new(3333)]
        );
        assert_eq!(totals.notices, 4);
        assert_eq!(totals.with_instalments, 1);
        let creditor = EnteCodiceFiscale::parse("00000000000").unwrap();
        let bases: Vec<IuvBase> = (1..=4)
            .map(|n| IuvBase::new(2_027_000_000_000 + n).unwrap())
            .collect();
        let position = row
            .position(&creditor, "Comune di Borgoverde", &collection(), &bases)
            .unwrap();
        assert_eq!(position.options.len(), 4);
        assert_eq!(position.total(), Cents::new(10_000));
        assert_eq!(position.single().unwrap().due_date, date(2027, 7, 31));
        let instalments: Vec<&PaymentOption> = position.instalments().collect();
        assert_eq!(instalments[0].description, "TARI 2027 - rata 1/3");
        assert_eq!(instalments[2].due_date, date(2027, 7, 31));
        assert_eq!(position.office_name.as_deref(), Some("Ufficio tributi"));
        assert_eq!(
            position.iupd.as_str(),
            format!(
                "00000000000-{}-T-9",
                position.options[0].notice_number.iuv().as_str()
            )
        );
        assert!(
            row.position(&creditor, "Comune", &collection(), &bases[..1])
                .is_err()
        );
    }

    #[test]
    fn the_longest_reference_still_makes_a_valid_iupd() {
        let reference = "R".repeat(REFERENCE_MAX);
        let text = format!("{HEADER}\n{reference};00000000000;Ditta;Canone;1;2027-02-01;;\n");
        let (rows, problems, _) = read(&text);
        assert!(problems.is_empty(), "{problems:?}");
        let creditor = EnteCodiceFiscale::parse("00000000000").unwrap();
        let base = IuvBase::new(9_999_999_999_999).unwrap();
        assert!(
            rows[0]
                .position(&creditor, "Comune", &collection(), &[base])
                .is_ok()
        );
        let too_long = format!("{HEADER}\n{reference}X;00000000000;Ditta;Canone;1;2027-02-01;;\n");
        assert_eq!(read(&too_long).1[0].field, RIFERIMENTO);
    }

    #[test]
    fn dates_are_italian_or_iso_only() {
        assert_eq!(parse_date("31/05/2027"), Some(date(2027, 5, 31)));
        assert_eq!(parse_date("2027-05-31"), Some(date(2027, 5, 31)));
        assert_eq!(parse_date("31-05-2027"), None);
        assert_eq!(parse_date("1/5/2027"), None);
        assert_eq!(parse_date("2027-02-30"), None);
    }
}
