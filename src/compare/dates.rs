//! ISO dates and the periods derived from them (year, month, ISO week, day).
//!
//! Accepted: `YYYY-MM-DD`, optionally followed by a time (`T` or a space and
//! anything after it, e.g. `2024-03-05T10:00:00Z`, `2024-03-05 10:00`).
//! Anything else is "unparseable" and lands in the `unknown` group.

/// The label of the group of rows whose date (or key) is missing or unparseable.
pub const UNKNOWN: &str = "unknown";

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
}

/// A period a date can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// `2024`.
    Year,
    /// `2024-03`.
    Month,
    /// ISO 8601 week, `2024-W09`.
    Week,
    /// `2024-03-05`.
    Day,
}

impl Period {
    /// The period's name on the command line and in output headers.
    pub fn name(self) -> &'static str {
        match self {
            Period::Year => "year",
            Period::Month => "month",
            Period::Week => "week",
            Period::Day => "day",
        }
    }

    /// The label of the period containing `date`.
    pub fn label(self, date: Date) -> String {
        match self {
            Period::Year => format!("{:04}", date.year),
            Period::Month => format!("{:04}-{:02}", date.year, date.month),
            Period::Week => {
                let (year, week) = date.iso_week();
                format!("{year:04}-W{week:02}")
            }
            Period::Day => format!("{:04}-{:02}-{:02}", date.year, date.month, date.day),
        }
    }
}

impl Date {
    /// Parses an ISO date with an optional time part; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.trim();
        let date_part = s.get(..10)?;
        let rest = &s[10..];
        if !(rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ')) {
            return None;
        }
        let b = date_part.as_bytes();
        if b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &date_part[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let year = digits(0..4)? as i32;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Day of the week, 1 = Monday … 7 = Sunday.
    pub fn weekday(self) -> u32 {
        // Days since 1970-01-01 (a Thursday).
        let days = self.days_since_epoch();
        ((days + 3).rem_euclid(7) + 1) as u32
    }

    /// Day of the year, 1-based.
    pub fn ordinal(self) -> u32 {
        (1..self.month)
            .map(|m| days_in_month(self.year, m))
            .sum::<u32>()
            + self.day
    }

    /// ISO 8601 week-numbering year and week (1–53).
    pub fn iso_week(self) -> (i32, u32) {
        let week = (self.ordinal() as i32 - self.weekday() as i32 + 10) / 7;
        if week < 1 {
            (self.year - 1, weeks_in_year(self.year - 1))
        } else if week as u32 > weeks_in_year(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week as u32)
        }
    }

    /// Days since 1970-01-01 (negative before).
    fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// 52 or 53: a year has 53 ISO weeks when it starts on a Thursday, or on a
/// Wednesday in a leap year.
fn weeks_in_year(year: i32) -> u32 {
    let jan1 = Date {
        year,
        month: 1,
        day: 1,
    }
    .weekday();
    52 + u32::from(jan1 == 4 || (jan1 == 3 && is_leap(year)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_dates_with_and_without_time() {
        assert_eq!(
            d("2024-03-05"),
            Date {
                year: 2024,
                month: 3,
                day: 5
            }
        );
        assert_eq!(d("2024-03-05T10:11:12Z"), d("2024-03-05"));
        assert_eq!(d(" 2024-03-05 10:11 "), d("2024-03-05"));
        assert_eq!(d("2024-02-29").day, 29);
    }

    #[test]
    fn rejects_what_is_not_an_iso_date() {
        for bad in [
            "",
            "yesterday",
            "05/03/2024",
            "2024-13-01",
            "2023-02-29",
            "2024-3-5",
            "2024-03-05x",
            "2024-03-00",
            "２０２４-03-05",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn weekdays_and_iso_weeks_match_the_calendar() {
        assert_eq!(d("1970-01-01").weekday(), 4); // Thursday
        assert_eq!(d("2024-03-05").weekday(), 2); // Tuesday
                                                  // 2021-01-03 (Sunday) belongs to 2020-W53; 2024-12-30 to 2025-W01.
        assert_eq!(d("2021-01-03").iso_week(), (2020, 53));
        assert_eq!(d("2021-01-04").iso_week(), (2021, 1));
        assert_eq!(d("2024-12-30").iso_week(), (2025, 1));
        assert_eq!(d("2024-03-05").iso_week(), (2024, 10));
    }

    #[test]
    fn period_labels() {
        let date = d("2024-03-05T08:00:00");
        assert_eq!(Period::Year.label(date), "2024");
        assert_eq!(Period::Month.label(date), "2024-03");
        assert_eq!(Period::Week.label(date), "2024-W10");
        assert_eq!(Period::Day.label(date), "2024-03-05");
    }
}
