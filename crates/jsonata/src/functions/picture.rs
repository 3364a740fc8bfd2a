//! XPath `format-dateTime` pictures for `$fromMillis` and `$now`, as jsonata-js 2.0 reads and
//! writes them (its `analyseDateTimePicture`, `formatDateTime` and `parseDateTime`, quirks
//! included): literal text with `[component presentation, width]` markers (`[[`/`]]` escape
//! brackets). Components: year `Y`, month `M`, day `D`, day of year `d`, weekday `F`, ISO week
//! `W` and week-year `X`, week of the month `w` and the month `x` that week belongs to (ISO
//! 8601's first-Thursday rule applied to months), hours `H`/`h`, `P` (am/pm), minutes `m`,
//! seconds `s`, milliseconds `f`, zones `Z` and `z`, calendar `C` and era `E`. Integer
//! components are written and read with [`IntegerPicture`]; the time zone argument is a
//! [`Zone`]. [`parse`] reads a timestamp back with the same pictures.

use time::OffsetDateTime;

use super::format::IntegerPicture;
use crate::error::Error;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// How a marker writes a name (`n`, `N`, `Nn`).
#[derive(Clone, Copy, PartialEq)]
enum Names {
    Lower,
    Upper,
    Title,
}

/// One `[...]` marker, analysed as jsonata-js's `analyseDateTimePicture` does.
struct Marker {
    component: char,
    /// The first presentation modifier (`01`, `N`, `Nn`, `w`, `I`, …), or the component's
    /// default.
    presentation: String,
    /// The second presentation modifier, when the first is followed by one of `a`, `t`, `c`,
    /// `o` (only `o`, ordinal, and `t`, a zero offset written `Z`, change anything).
    modifier: Option<char>,
    ordinal: bool,
    names: Option<Names>,
    /// How integer components (and zones) are written.
    integer: Option<IntegerPicture>,
    /// The width modifier `,min-max`; `*` or a malformed width is no bound.
    max_width: Option<usize>,
    /// The year's last digits kept ([Y01] and [Y,*-2] keep two); `None` keeps them all.
    year_digits: Option<usize>,
}

/// jsonata-js's reading of a `±HHMM` time zone: `parseInt`, then the hundreds are hours and
/// the rest minutes, both taking the sign (so "-0530" is -6 hours and -30 minutes, as there).
#[derive(Clone, Copy, Default)]
pub(crate) struct Zone {
    hours: i64,
    minutes: i64,
}

impl Zone {
    fn offset_minutes(self) -> i64 {
        60 * self.hours + self.minutes
    }

    /// The offset as jsonata-js writes it with a `Z` marker: hours × 100 + minutes.
    fn hhmm(self) -> i64 {
        100 * self.hours + self.minutes
    }
}

pub(crate) fn parse_zone(zone: &str, position: usize) -> Result<Zone, Error> {
    // Without any digit JavaScript computes with NaN and writes "NaN" into the timestamp;
    // refused here instead.
    let offset = js_parse_int(zone).ok_or_else(|| {
        Error::dynamic(
            "D3110",
            position,
            format!("The time zone \"{zone}\" is not of the form ±HHMM"),
        )
    })?;
    Ok(Zone {
        hours: offset.div_euclid(100),
        minutes: offset % 100,
    })
}

/// JavaScript's `parseInt(text)` for decimal text: optional leading whitespace and sign, then
/// the leading digits; `None` for NaN (and for numbers beyond `i64`).
fn js_parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start();
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<i64>().ok().map(|n| sign * n)
}

/// Formats `millis` with `picture` at `zone` (jsonata-js's `formatDateTime`).
pub(crate) fn format(
    millis: i64,
    picture: &str,
    zone: Zone,
    position: usize,
) -> Result<String, Error> {
    // The whole picture is analysed first, so that a malformed one fails the same way
    // wherever its problem sits.
    let parts = parts(picture, position)?;
    let out_of_range = || {
        Error::dynamic(
            "D3110",
            position,
            format!("The timestamp {millis} is out of range"),
        )
    };
    let shifted = millis
        .checked_add(zone.offset_minutes() * 60_000)
        .ok_or_else(out_of_range)?;
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(shifted) * 1_000_000)
        .map_err(|_| out_of_range())?;
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(&text),
            Part::Marker(m) => out.push_str(&component(t, &m, zone, position)?),
        }
    }
    Ok(out)
}

fn marker(body: &str, position: usize) -> Result<Marker, Error> {
    let mut chars = body.chars();
    let component = chars.next().ok_or_else(|| unknown(' ', position))?;
    let rest = chars.as_str();
    let (modifiers, width) = match rest.rsplit_once(',') {
        Some((m, w)) => (m, Some(w)),
        None => (rest, None),
    };
    // jsonata-js reads widths with parseInt: the leading digits; `*` or anything malformed is
    // NaN there, which no comparison honours, so no bound.
    let parse_width = |w: &str| -> Option<usize> {
        let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let (min_width, max_width) = match width.map(|w| w.split_once('-')) {
        None => (None, None),
        Some(Some((min, max))) => (parse_width(min), parse_width(max)),
        Some(None) => (width.and_then(parse_width), None),
    };
    let (presentation, modifier) = match modifiers.chars().count() {
        0 => match default_presentation(component) {
            Some(p) => (p.to_string(), None),
            None => return Err(unknown(component, position)),
        },
        1 => (modifiers.to_string(), None),
        _ => match modifiers.chars().last() {
            Some(last @ ('a' | 't' | 'c' | 'o')) => {
                (modifiers[..modifiers.len() - 1].to_string(), Some(last))
            }
            _ => (modifiers.to_string(), None),
        },
    };
    let ordinal = modifier == Some('o');
    let names = match presentation.as_bytes() {
        [b'n', ..] => Some(Names::Lower),
        [b'N', b'n', ..] => Some(Names::Title),
        [b'N', ..] => Some(Names::Upper),
        _ => None,
    };
    let mut integer = None;
    let mut year_digits = None;
    if names.is_none() && "YMDdFWwXxHhmsf".contains(component) {
        let mut format = IntegerPicture::token(&presentation, ordinal, position)?;
        let (mut mandatory, optional) = format.digits().unwrap_or_default();
        if let Some(min) = min_width.filter(|&min| min > mandatory) {
            format.set_mandatory(min);
            mandatory = min;
        }
        // jsonata-js sets this up for months and days too, but only applies it to years; a
        // maximum width is also the number of digits written.
        if "YMD".contains(component) {
            if let Some(max) = max_width {
                year_digits = Some(max);
                format.set_mandatory(max);
            } else if format.digits().is_some() && mandatory + optional >= 2 {
                year_digits = Some(mandatory + optional);
            }
        }
        integer = Some(format);
    }
    if matches!(component, 'Z' | 'z') {
        integer = Some(IntegerPicture::analyse(&presentation, position)?);
    }
    Ok(Marker {
        component,
        presentation,
        modifier,
        ordinal,
        names,
        integer,
        max_width,
        year_digits,
    })
}

fn default_presentation(component: char) -> Option<&'static str> {
    Some(match component {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn unknown(c: char, position: usize) -> Error {
    Error::dynamic(
        "D3132",
        position,
        format!("Unknown component specifier {c} in date/time picture string"),
    )
}

/// One marker's text (jsonata-js's `formatComponent` over `getDateTimeFragment`).
fn component(t: OffsetDateTime, m: &Marker, zone: Zone, position: usize) -> Result<String, Error> {
    let date = t.date();
    let value = match m.component {
        'Y' => i64::from(t.year()),
        'M' => i64::from(u8::from(t.month())),
        'D' => i64::from(t.day()),
        'd' => i64::from(t.ordinal()),
        'F' => i64::from(t.weekday().number_from_monday()),
        'W' => i64::from(t.iso_week()),
        'w' => week_of_month(date),
        'X' => i64::from(date.to_iso_week_date().0),
        'x' => week_month(date) as i64,
        'H' => i64::from(t.hour()),
        'h' => i64::from((t.hour() + 11) % 12 + 1),
        'm' => i64::from(t.minute()),
        's' => i64::from(t.second()),
        // Milliseconds, written as an integer: [f001] is "121", [f1] too.
        'f' => i64::from(t.millisecond()),
        'P' => {
            let marker = if t.hour() < 12 { "am" } else { "pm" };
            return Ok(if m.names == Some(Names::Upper) {
                marker.to_uppercase()
            } else {
                marker.to_string()
            });
        }
        'Z' | 'z' => return zone_text(zone, m, position),
        // The one calendar and era jsonata-js knows, whatever the modifier.
        'C' | 'E' => return Ok("ISO".into()),
        // A component jsonata-js does not know, given with a presentation ([Q1]): it has no
        // value there, and JavaScript writes that as "undefined".
        _ => return Ok("undefined".into()),
    };
    let unsupported_names = || {
        Error::dynamic(
            "D3133",
            position,
            format!(
                "The name presentation \"{}\" is not supported for the date/time component {}",
                m.presentation, m.component
            ),
        )
    };
    if let Some(names) = m.names {
        let table: &[&str] = match m.component {
            'M' | 'x' => &MONTHS,
            'F' => &DAYS,
            _ => return Err(unsupported_names()),
        };
        let name = usize::try_from(value - 1)
            .ok()
            .and_then(|i| table.get(i))
            .ok_or_else(unsupported_names)?;
        let name = match names {
            Names::Upper => name.to_uppercase(),
            Names::Lower => name.to_lowercase(),
            Names::Title => name.to_string(),
        };
        return Ok(match m.max_width {
            Some(max) => name.chars().take(max).collect(),
            None => name,
        });
    }
    let mut value = value;
    if m.component == 'Y' {
        if let Some(n) = m.year_digits {
            if let Some(modulus) = u32::try_from(n).ok().and_then(|n| 10i64.checked_pow(n)) {
                value %= modulus;
            }
        }
    }
    let format = m.integer.as_ref().ok_or_else(unsupported_names)?;
    format.format(value as f64, position)
}

/// A `Z` or `z` marker: a regular pattern (`01:01`) writes hours × 100 + minutes through it;
/// otherwise one or two digits are the hours (`:MM` added when not zero), three or four the
/// offset without separator; `t` writes a zero offset as `Z`.
fn zone_text(zone: Zone, m: &Marker, position: usize) -> Result<String, Error> {
    let offset = zone.hhmm();
    let too_many = |digits: Option<usize>| {
        Error::dynamic(
            "D3134",
            position,
            format!(
                "The time zone picture \"{}\" must have 1 to 4 digits, not {}",
                m.presentation,
                digits.unwrap_or(0)
            ),
        )
    };
    let format = m.integer.as_ref().ok_or_else(|| too_many(None))?;
    let mut text = if format.is_regular() {
        format.format(offset as f64, position)?
    } else {
        match format.digits().map(|(mandatory, _)| mandatory) {
            Some(1 | 2) => {
                let mut text = format.format(zone.hours as f64, position)?;
                if zone.minutes != 0 {
                    text.push(':');
                    text.push_str(
                        &IntegerPicture::analyse("00", position)?
                            .format(zone.minutes as f64, position)?,
                    );
                }
                text
            }
            Some(3 | 4) => format.format(offset as f64, position)?,
            digits => return Err(too_many(digits)),
        }
    };
    if offset >= 0 {
        text.insert(0, '+');
    }
    if m.component == 'z' {
        text.insert_str(0, "GMT");
    }
    if offset == 0 && m.modifier == Some('t') {
        text = "Z".into();
    }
    Ok(text)
}

/// A picture split into literal text and markers.
enum Part {
    Literal(String),
    Marker(Marker),
}

fn parts(picture: &str, position: usize) -> Result<Vec<Part>, Error> {
    let chars: Vec<char> = picture.chars().collect();
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c @ ('[' | ']') if chars.get(i + 1) == Some(&c) => {
                literal.push(c);
                i += 2;
            }
            '[' => {
                let Some(close) = chars[i..].iter().position(|&c| c == ']') else {
                    return Err(Error::dynamic(
                        "D3135",
                        position,
                        "No matching closing bracket ']' in date/time picture string",
                    ));
                };
                let body: String = chars[i + 1..i + close]
                    .iter()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if !literal.is_empty() {
                    out.push(Part::Literal(std::mem::take(&mut literal)));
                }
                out.push(Part::Marker(marker(&body, position)?));
                i += close + 1;
            }
            c => {
                literal.push(c);
                i += 1;
            }
        }
    }
    if !literal.is_empty() {
        out.push(Part::Literal(literal));
    }
    Ok(out)
}

/// `$toMillis(text, picture)`: the instant `text` writes in `picture`, `None` when it does not
/// match. Components before the most significant one given come from `now_millis` (UTC),
/// those after the least significant one are their minimum; a gap between is D3136.
pub(crate) fn parse(
    text: &str,
    picture: &str,
    now_millis: i64,
    position: usize,
) -> Result<Option<i64>, Error> {
    let missing = || {
        Error::dynamic(
            "D3136",
            position,
            "The date/time picture string is missing specifiers required to parse the timestamp",
        )
    };
    let parts = parts(picture, position)?;
    let mut pattern = String::from("^");
    let mut markers = Vec::new();
    for part in &parts {
        match part {
            Part::Literal(l) => pattern.push_str(&regex::escape(l)),
            Part::Marker(m) => {
                let named = matches!(m.presentation.as_str(), "N" | "n" | "Nn");
                let group = match (m.component, m.presentation.as_str()) {
                    ('M' | 'F' | 'x', _) if named => "[a-zA-Z]+",
                    (_, _) if named && m.component != 'P' => {
                        return Err(Error::dynamic(
                            "D3133",
                            position,
                            format!(
                            "The name presentation is not supported for the date/time component {}",
                            m.component
                        ),
                        ))
                    }
                    ('P', _) => "[aApP][mM]",
                    ('Z', _) => "Z|[+-][0-9]{1,2}(?::?[0-9]{2})?",
                    ('z', _) => "GMT[+-][0-9]{1,2}(?::?[0-9]{2})?",
                    (_, "w" | "W" | "Ww") => "[a-zA-Z][a-zA-Z ,-]*?",
                    (_, "i" | "I" | "a" | "A") => "[a-zA-Z]+",
                    _ if m.ordinal => "[0-9]+(?:st|nd|rd|th)",
                    _ => "[0-9]+",
                };
                pattern.push_str(&format!("({group})"));
                markers.push(m);
            }
        }
    }
    pattern.push('$');
    let re = regex::Regex::new(&pattern).map_err(|e| {
        Error::dynamic(
            "D3136",
            position,
            format!("Unusable date/time picture: {e}"),
        )
    })?;
    let Some(caps) = re.captures(text) else {
        return Ok(None);
    };
    // Y, M, D, d (day of year), H, m, s, f; `None` where the picture has no such component.
    let mut fields: [Option<i64>; 8] = [None; 8];
    let (mut hour12, mut pm, mut offset_minutes) = (None, None, 0i64);
    let mut weeks = Vec::new();
    for (m, value) in markers.iter().zip(caps.iter().skip(1)) {
        let Some(value) = value.map(|v| v.as_str()) else {
            return Ok(None);
        };
        let number = || {
            IntegerPicture::token(&m.presentation, m.ordinal, position)?
                .parse(value, position)?
                .map(|n| n as i64)
                .ok_or_else(|| {
                    Error::dynamic(
                        "D3110",
                        position,
                        format!(
                            "Unable to read \"{value}\" as the component {}",
                            m.component
                        ),
                    )
                })
        };
        match m.component {
            'Y' => fields[0] = Some(number()?),
            'M' if matches!(m.presentation.as_str(), "N" | "n" | "Nn") => {
                let lower = value.to_lowercase();
                let month = MONTHS
                    .iter()
                    .position(|name| name.to_lowercase().starts_with(&lower))
                    .filter(|_| lower.len() >= 3)
                    .ok_or_else(|| {
                        Error::dynamic("D3110", position, format!("Unknown month name \"{value}\""))
                    })?;
                fields[1] = Some(month as i64 + 1);
            }
            'M' => fields[1] = Some(number()?),
            'D' => fields[2] = Some(number()?),
            'd' => fields[3] = Some(number()?),
            'H' => fields[4] = Some(number()?),
            'h' => hour12 = Some(number()?),
            'P' => pm = Some(value.eq_ignore_ascii_case("pm")),
            'm' => fields[5] = Some(number()?),
            's' => fields[6] = Some(number()?),
            'f' => {
                // A fraction: "1" is 100 ms, "123" is 123 ms.
                let digits: String = format!("{value:0<3}").chars().take(3).collect();
                fields[7] = Some(digits.parse().map_err(|_| missing())?);
            }
            'Z' | 'z' => {
                let zone = value.trim_start_matches("GMT");
                if zone != "Z" {
                    let sign = if zone.starts_with('-') { -1 } else { 1 };
                    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
                    let (h, mm) = if digits.len() > 2 {
                        digits.split_at(digits.len() - 2)
                    } else {
                        (digits.as_str(), "0")
                    };
                    offset_minutes = sign
                        * (h.parse::<i64>().map_err(|_| missing())? * 60
                            + mm.parse::<i64>().map_err(|_| missing())?);
                }
            }
            'X' | 'x' | 'W' | 'w' => weeks.push(m.component),
            // The weekday, era and calendar are read but do not decide the instant.
            _ => {}
        }
    }
    // jsonata-js knows two more ways to give a date, the ISO week date {X, W} and the week of
    // a month {X, x, w} (each with F), and refuses both as unsupported (D3136). Week
    // components beside a year, month or day are ignored.
    if !weeks.is_empty() && fields[..4].iter().all(Option::is_none) {
        let month_weeks = !weeks.contains(&'W');
        let year_weeks = !weeks.iter().any(|c| matches!(c, 'x' | 'w'));
        if month_weeks || year_weeks {
            return Err(missing());
        }
    }
    if let Some(h) = hour12 {
        fields[4] = Some(h % 12 + if pm == Some(true) { 12 } else { 0 });
    }
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_millis) * 1_000_000)
        .map_err(|_| missing())?;
    // The significance order, with the day of year standing in for month and day.
    let by_day_of_year = fields[3].is_some();
    let order: &[usize] = if by_day_of_year {
        &[0, 3, 4, 5, 6, 7]
    } else {
        &[0, 1, 2, 4, 5, 6, 7]
    };
    let given: Vec<usize> = order
        .iter()
        .enumerate()
        .filter(|(_, &f)| fields[f].is_some())
        .map(|(i, _)| i)
        .collect();
    // A picture without date or time components (only literals, or a weekday) names no instant.
    let (Some(&first), Some(&last)) = (given.first(), given.last()) else {
        return Ok(None);
    };
    if given.len() != last - first + 1 {
        return Err(missing());
    }
    let current = [
        i64::from(now.year()),
        i64::from(u8::from(now.month())),
        i64::from(now.day()),
        i64::from(now.ordinal()),
        i64::from(now.hour()),
        i64::from(now.minute()),
        i64::from(now.second()),
        i64::from(now.millisecond()),
    ];
    let minimum = [0, 1, 1, 1, 0, 0, 0, 0];
    for (i, &f) in order.iter().enumerate() {
        if fields[f].is_none() {
            fields[f] = Some(if i < first { current[f] } else { minimum[f] });
        }
    }
    let get = |f: usize| fields[f].unwrap_or(minimum[f]);
    let year = i32::try_from(get(0)).map_err(|_| missing())?;
    let date = if by_day_of_year {
        time::Date::from_ordinal_date(year, u16::try_from(get(3)).map_err(|_| missing())?)
    } else {
        let month = time::Month::try_from(u8::try_from(get(1)).map_err(|_| missing())?)
            .map_err(|_| missing())?;
        time::Date::from_calendar_date(year, month, u8::try_from(get(2)).map_err(|_| missing())?)
    }
    .map_err(|_| Error::dynamic("D3110", position, format!("\"{text}\" is not a valid date")))?;
    let seconds_of_day = get(4) * 3600 + get(5) * 60 + get(6);
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    Ok(Some(
        (days * 86_400 + seconds_of_day - offset_minutes * 60) * 1000 + get(7),
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1–12), by Howard Hinnant's
/// `days_from_civil`: plain arithmetic for the month arithmetic of week numbering, where a
/// `time::Date` could fall out of its range.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The month `delta` months after `year`/`month`.
fn add_months(year: i64, month: i64, delta: i64) -> (i64, i64) {
    let index = year * 12 + month - 1 + delta;
    (index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// The Monday (as days since the epoch) starting week 1 of a month: the week holding the
/// month's first Thursday, ISO 8601's rule for years, which XPath and jsonata-js apply to
/// months.
fn first_week_start((year, month): (i64, i64)) -> i64 {
    let first = days_from_civil(year, month, 1);
    // ISO weekday, Monday 1 to Sunday 7; 1970-01-01 was a Thursday.
    let weekday = (first + 3).rem_euclid(7) + 1;
    if weekday > 4 {
        first + 8 - weekday
    } else {
        first - (weekday - 1)
    }
}

fn year_month_day(date: time::Date) -> (i64, i64, i64) {
    (
        i64::from(date.year()),
        i64::from(u8::from(date.month())),
        i64::from(date.day()),
    )
}

/// `[w]`, jsonata-js's week of the month: days before the month's week 1 are in the previous
/// month's last week, days from the next month's week 1 on are in week 1.
fn week_of_month(date: time::Date) -> i64 {
    let (year, month, day) = year_month_day(date);
    let today = days_from_civil(year, month, day);
    let weeks_since = |start: i64| (today - start) as f64 / 7.0 + 1.0;
    let mut week = weeks_since(first_week_start((year, month)));
    if week > 4.0 {
        if today >= first_week_start(add_months(year, month, 1)) {
            week = 1.0;
        }
    } else if week < 1.0 {
        week = weeks_since(first_week_start(add_months(year, month, -1)));
    }
    week.floor() as i64
}

/// `[x]`: the month (1–12) whose weeks `[w]` counts `date` in.
fn week_month(date: time::Date) -> usize {
    let (year, month, day) = year_month_day(date);
    let today = days_from_civil(year, month, day);
    let (_, shown) = if today < first_week_start((year, month)) {
        add_months(year, month, -1)
    } else if today >= first_week_start(add_months(year, month, 1)) {
        add_months(year, month, 1)
    } else {
        (year, month)
    };
    shown as usize
}
