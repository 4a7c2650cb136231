//! The term clock of a pratica (L. 241/1990 art. 2).
//!
//! The term runs from the receipt date (art. 2 c. 6, art. 18-bis: the day the application
//! reaches the comune, in Rome time) for `term` days, counted with [`Calendar::deadline`]:
//! the receipt day excluded, the last day counted and moved past holidays.
//!
//! Two events may SUSPEND it — pause it, not restart it:
//!
//! - a request for documents (art. 2 c. 7): once per procedure, at most 30 days. Requested on
//!   day S and answered on day E, the days S+1..=E do not count; unanswered, the suspension
//!   lapses by itself after day S+30.
//! - a notice of intended refusal (art. 10-bis, as amended by DL 76/2020 art. 12 c. 1 lett. e):
//!   sent on day N, the applicant has 10 days to file observations (a deadline of the citizen,
//!   so counted with the calendar like any other). The term "riprende a decorrere" 10 days
//!   after the observations are filed (filed on day O: days N+1..=O+10 do not count) or, with
//!   none, when the 10 days lapse (days N+1..=the observation deadline do not count).
//!
//! A suspension that began on day S with `r` days of term left (the term's last day being
//! S+r) and ended on day E leaves the term ending on E+r: the suspended days are added to the
//! term. That is the lead's formula `deadline(receipt, term + days suspended)`, with one
//! refinement: a suspension only suspends a term that is still running. One requested on
//! a day the term had already run out (possible under silenzio-inadempimento, where the office
//! must still decide late) extends nothing, and one requested on the grace day a holiday gave
//! (raw last day Sunday, suspended on Monday) has zero days left to give back.

use crate::Lang;
use crate::calendar::{Calendar, add_days, days_between};
use crate::pratica::{Silence, TermDays};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// Why the term is suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuspensionKind {
    /// Request for documents or information (art. 2 c. 7).
    Documents,
    /// Notice of intended refusal (art. 10-bis).
    RefusalNotice,
}

impl SuspensionKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (SuspensionKind::Documents, Lang::It) => "in attesa di integrazioni",
            (SuspensionKind::Documents, Lang::En) => "waiting for documents",
            (SuspensionKind::RefusalNotice, Lang::It) => "preavviso di rigetto",
            (SuspensionKind::RefusalNotice, Lang::En) => "notice of intended refusal",
        }
    }
}

/// The suspension for documents (art. 2 c. 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentsSuspension {
    /// The day the request was sent.
    pub requested_on: Date,
    /// The day the term ran again: the documents arrived or the office resumed the review.
    /// `None` while the state is still "documents requested".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_on: Option<Date>,
}

impl DocumentsSuspension {
    /// Art. 2 c. 7: "per un periodo non superiore a trenta giorni".
    pub const MAX_DAYS: i64 = 30;

    /// The last day the suspension can last: after it the term runs again, documents or not.
    pub fn lapses_on(&self) -> Date {
        add_days(self.requested_on, Self::MAX_DAYS)
    }

    /// The last suspended day, as far as is known today.
    pub fn ends_on(&self) -> Date {
        match self.resumed_on {
            Some(resumed) => resumed.min(self.lapses_on()),
            None => self.lapses_on(),
        }
    }
}

/// The suspension of the notice of intended refusal (art. 10-bis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalNoticeSuspension {
    /// The day the notice was sent (the portal delivers it the same day).
    pub noticed_on: Date,
    /// The last day to file observations: 10 days from the notice.
    pub observations_by: Date,
    /// The day the observations were filed, if they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observations_on: Option<Date>,
}

impl RefusalNoticeSuspension {
    /// "Entro il termine di dieci giorni dal ricevimento della comunicazione".
    pub const OBSERVATION_DAYS: u32 = 10;
    /// "Riprendono a decorrere dieci giorni dopo la presentazione delle osservazioni".
    pub const RESTART_AFTER_OBSERVATIONS_DAYS: i64 = 10;

    pub fn new(noticed_on: Date, calendar: &Calendar) -> RefusalNoticeSuspension {
        RefusalNoticeSuspension {
            noticed_on,
            observations_by: calendar.deadline(noticed_on, Self::OBSERVATION_DAYS),
            observations_on: None,
        }
    }

    /// The last suspended day: 10 days after the observations, or the last day to file them.
    /// Until that day passes without observations this is provisional: observations filed
    /// later in the window move it.
    pub fn ends_on(&self) -> Date {
        match self.observations_on {
            Some(filed) => add_days(filed, Self::RESTART_AFTER_OBSERVATIONS_DAYS),
            None => self.observations_by,
        }
    }
}

/// Where the term of a pratica stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TermStatus {
    /// The office must decide by `deadline` (inclusive).
    Running { deadline: Date },
    /// The term is paused since `since`; `resumes_by` is the last suspended day (at the
    /// latest: documents or observations may end it earlier or move it, see
    /// [`DocumentsSuspension::ends_on`], [`RefusalNoticeSuspension::ends_on`]); the term runs
    /// again from the next day and then ends on `deadline_if_resumed_then`.
    Suspended {
        kind: SuspensionKind,
        since: Date,
        resumes_by: Date,
        deadline_if_resumed_then: Date,
    },
    /// Decided, withdrawn or otherwise over: no term runs.
    Closed,
}

/// The term of one pratica: what it is, when it started and how it was suspended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermClock {
    term: TermDays,
    silence: Silence,
    received_on: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documents: Option<DocumentsSuspension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refusal_notice: Option<RefusalNoticeSuspension>,
}

impl TermClock {
    pub fn new(term: TermDays, silence: Silence, received_on: Date) -> TermClock {
        TermClock {
            term,
            silence,
            received_on,
            documents: None,
            refusal_notice: None,
        }
    }

    pub fn term(&self) -> TermDays {
        self.term
    }

    pub fn silence(&self) -> Silence {
        self.silence
    }

    /// The receipt date the term runs from (art. 18-bis: the filing date, in Rome).
    pub fn received_on(&self) -> Date {
        self.received_on
    }

    pub fn documents(&self) -> Option<&DocumentsSuspension> {
        self.documents.as_ref()
    }

    pub fn refusal_notice(&self) -> Option<&RefusalNoticeSuspension> {
        self.refusal_notice.as_ref()
    }

    pub(crate) fn documents_mut(&mut self) -> Option<&mut DocumentsSuspension> {
        self.documents.as_mut()
    }

    pub(crate) fn refusal_notice_mut(&mut self) -> Option<&mut RefusalNoticeSuspension> {
        self.refusal_notice.as_mut()
    }

    pub(crate) fn set_documents(&mut self, suspension: DocumentsSuspension) {
        self.documents = Some(suspension);
    }

    pub(crate) fn set_refusal_notice(&mut self, suspension: RefusalNoticeSuspension) {
        self.refusal_notice = Some(suspension);
    }

    /// The deadline before any suspension: the date the receipt announces (art. 18-bis).
    pub fn nominal_deadline(&self, calendar: &Calendar) -> Date {
        calendar.deadline(self.received_on, u32::from(self.term.get()))
    }

    /// The suspensions in the order they happened, as (kind, first day, last suspended day).
    fn suspensions(&self) -> Vec<(SuspensionKind, Date, Date)> {
        let mut all: Vec<_> = self
            .documents
            .iter()
            .map(|d| (SuspensionKind::Documents, d.requested_on, d.ends_on()))
            .chain(
                self.refusal_notice
                    .iter()
                    .map(|r| (SuspensionKind::RefusalNotice, r.noticed_on, r.ends_on())),
            )
            .collect();
        all.sort_by_key(|(_, since, _)| *since);
        all
    }

    /// Walks the suspensions and returns the raw last day (before the holiday shift) and which
    /// suspensions actually suspended a running term.
    fn walk(&self, calendar: &Calendar) -> (Date, Vec<SuspensionKind>) {
        let mut raw_end = add_days(self.received_on, i64::from(self.term.get()));
        let mut counted = Vec::new();
        for (kind, since, ends_on) in self.suspensions() {
            // A term whose (holiday-shifted) last day has passed cannot be suspended.
            if since > calendar.next_non_holiday(raw_end) {
                continue;
            }
            let days_left = i64::from(days_between(since, raw_end).max(0));
            let resumes_after = ends_on.max(since);
            raw_end = add_days(resumes_after, days_left);
            counted.push(kind);
        }
        (raw_end, counted)
    }

    /// The last day of the term with every suspension recorded so far, open ones taken at
    /// their scheduled end.
    pub fn deadline(&self, calendar: &Calendar) -> Date {
        calendar.next_non_holiday(self.walk(calendar).0)
    }

    /// Whether a suspension of this kind was recorded while the term was running, i.e. it
    /// really paused the clock.
    pub fn suspension_counts(&self, kind: SuspensionKind, calendar: &Calendar) -> bool {
        self.walk(calendar).1.contains(&kind)
    }

    /// The status while the pratica is open and, if `open_suspension` says so, suspended.
    pub(crate) fn status(
        &self,
        open_suspension: Option<SuspensionKind>,
        calendar: &Calendar,
    ) -> TermStatus {
        let deadline = self.deadline(calendar);
        let suspension = match open_suspension {
            Some(SuspensionKind::Documents) => self
                .documents
                .map(|d| (SuspensionKind::Documents, d.requested_on, d.ends_on())),
            Some(SuspensionKind::RefusalNotice) => self
                .refusal_notice
                .map(|r| (SuspensionKind::RefusalNotice, r.noticed_on, r.ends_on())),
            None => None,
        };
        match suspension {
            Some((kind, since, resumes_by)) if self.suspension_counts(kind, calendar) => {
                TermStatus::Suspended {
                    kind,
                    since,
                    resumes_by,
                    deadline_if_resumed_then: deadline,
                }
            }
            _ => TermStatus::Running { deadline },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::MonthDay;
    use jiff::civil::date;

    fn clock(term: u16, received_on: Date) -> TermClock {
        TermClock::new(TermDays::new(term).unwrap(), Silence::Inaction, received_on)
    }

    fn docs(requested_on: Date, resumed_on: Option<Date>) -> DocumentsSuspension {
        DocumentsSuspension {
            requested_on,
            resumed_on,
        }
    }

    fn notice(noticed_on: Date, observations_on: Option<Date>) -> RefusalNoticeSuspension {
        let mut notice = RefusalNoticeSuspension::new(noticed_on, &Calendar::national());
        notice.observations_on = observations_on;
        notice
    }

    /// Received Monday 2 March 2026: the nominal 30-day deadline is Wednesday 1 April 2026
    /// (Easter 2026 is 5 April, Easter Monday the 6th).
    const RECEIVED: Date = date(2026, 3, 2);

    #[test]
    fn suspension_arithmetic() {
        let cases: [(
            &str,
            Option<DocumentsSuspension>,
            Option<RefusalNoticeSuspension>,
            Date,
        ); 11] = [
            ("no suspension", None, None, date(2026, 4, 1)),
            (
                // Day 10 = 12 March, day 15 = 17 March: 5 days more.
                "documents on day 10 answered on day 15",
                Some(docs(date(2026, 3, 12), Some(date(2026, 3, 17)))),
                None,
                // 1 April + 5 = 6 April, Easter Monday: moves to 7 April.
                date(2026, 4, 7),
            ),
            (
                "documents answered the same day",
                Some(docs(date(2026, 3, 12), Some(date(2026, 3, 12)))),
                None,
                date(2026, 4, 1),
            ),
            (
                "documents never answered: 30 days at most",
                Some(docs(date(2026, 3, 12), None)),
                None,
                date(2026, 5, 2), // 1 April + 30 = 1 May (holiday) → Saturday 2 May
            ),
            (
                "documents answered late count as 30 days",
                Some(docs(date(2026, 3, 12), Some(date(2026, 5, 20)))),
                None,
                date(2026, 5, 2),
            ),
            (
                // Notice on 20 March: observations by 30 March; filed on day 4 (24 March),
                // the term runs again after 3 April: 21 March to 3 April, 14 days, suspended.
                "10-bis with observations on day 4",
                None,
                Some(notice(date(2026, 3, 20), Some(date(2026, 3, 24)))),
                date(2026, 4, 15), // 1 April + 14
            ),
            (
                "10-bis without observations: 10 days",
                None,
                Some(notice(date(2026, 3, 20), None)),
                date(2026, 4, 11), // 1 April + 10, a Saturday
            ),
            (
                "10-bis with observations on the last day",
                None,
                Some(notice(date(2026, 3, 20), Some(date(2026, 3, 30)))),
                date(2026, 4, 21), // 1 April + 20
            ),
            (
                "both suspensions",
                Some(docs(date(2026, 3, 12), Some(date(2026, 3, 17)))),
                Some(notice(date(2026, 3, 25), Some(date(2026, 3, 28)))),
                // 1 April + 5 (documents) + 13 (25 → 28 March + 10) = 19 April, a Sunday.
                date(2026, 4, 20),
            ),
            (
                "10-bis after the term ran out does not revive it",
                None,
                Some(notice(date(2026, 4, 10), None)),
                date(2026, 4, 1),
            ),
            (
                "10-bis on the last day leaves zero days after it",
                None,
                Some(notice(date(2026, 4, 1), None)),
                date(2026, 4, 11), // observations by 11 April (Saturday)
            ),
        ];
        for (why, documents, refusal_notice, expected) in cases {
            let mut clock = clock(30, RECEIVED);
            clock.documents = documents;
            clock.refusal_notice = refusal_notice;
            assert_eq!(clock.deadline(&Calendar::national()), expected, "{why}");
        }
    }

    #[test]
    fn observation_deadline_moves_past_holidays() {
        let cases = [
            (date(2026, 3, 20), date(2026, 3, 30)),   // Monday
            (date(2026, 3, 27), date(2026, 4, 7)),    // Easter Monday 6 April
            (date(2026, 3, 26), date(2026, 4, 7)),    // Easter Sunday 5 April
            (date(2025, 12, 15), date(2025, 12, 27)), // Christmas, St Stephen
        ];
        for (noticed, by) in cases {
            let notice = RefusalNoticeSuspension::new(noticed, &Calendar::national());
            assert_eq!(notice.observations_by, by, "{noticed}");
            assert_eq!(notice.ends_on(), by);
        }
    }

    #[test]
    fn a_suspension_on_the_grace_day_of_a_holiday_gives_nothing_back() {
        // 29 days from 22 March 2025 end on Sunday 20 April (Easter), shifted past Easter
        // Monday to Tuesday 22 April.
        let mut clock = clock(29, date(2025, 3, 22));
        assert_eq!(clock.deadline(&Calendar::national()), date(2025, 4, 22));
        // Documents requested on the grace Tuesday and answered on Thursday 24.
        clock.documents = Some(docs(date(2025, 4, 22), Some(date(2025, 4, 24))));
        assert_eq!(clock.deadline(&Calendar::national()), date(2025, 4, 24));
        assert!(clock.suspension_counts(SuspensionKind::Documents, &Calendar::national()));
    }

    #[test]
    fn deadline_landing_on_the_patron_day() {
        let turin = Calendar::with_patron_day(MonthDay::parse("06-24").unwrap());
        let mut clock = clock(30, date(2025, 5, 15)); // nominal: Saturday 14 June 2025
        assert_eq!(clock.nominal_deadline(&turin), date(2025, 6, 14));
        clock.documents = Some(docs(date(2025, 5, 20), Some(date(2025, 5, 30))));
        // 14 June + 10 = Tuesday 24 June, St John in Turin.
        assert_eq!(clock.deadline(&Calendar::national()), date(2025, 6, 24));
        assert_eq!(clock.deadline(&turin), date(2025, 6, 25));
    }

    #[test]
    fn status_reports_open_suspensions_only_if_they_count() {
        let calendar = Calendar::national();
        let mut clock = clock(30, RECEIVED);
        clock.documents = Some(docs(date(2026, 3, 12), None));
        assert_eq!(
            clock.status(Some(SuspensionKind::Documents), &calendar),
            TermStatus::Suspended {
                kind: SuspensionKind::Documents,
                since: date(2026, 3, 12),
                resumes_by: date(2026, 4, 11),
                deadline_if_resumed_then: date(2026, 5, 2),
            }
        );
        let mut late = self::clock(30, RECEIVED);
        late.refusal_notice = Some(notice(date(2026, 4, 10), None));
        assert_eq!(
            late.status(Some(SuspensionKind::RefusalNotice), &calendar),
            TermStatus::Running {
                deadline: date(2026, 4, 1)
            }
        );
    }
}
