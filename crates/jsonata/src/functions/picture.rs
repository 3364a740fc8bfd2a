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

use super::format::{leading_integer, IntegerPicture};
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
    names: Option<Names>,
    /// How integer components (and zones) are written.
    integer: Option<IntegerPicture>,
    /// The width modifier `,min-max`; `*` or a malformed width is no bound.
    max_width: Option<usize>,
    /// For Y, M and D: a year's last digits kept when written ([Y01] and [Y,*-2] keep two),
    /// and the exact digit count read; `None` for no such count.
    fixed_digits: Option<usize>,
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
    let (negative, digits) = leading_integer(text);
    let n = digits.parse::<i64>().ok()?;
    Some(if negative { -n } else { n })
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
    let mut fixed_digits = None;
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
                fixed_digits = Some(max);
                format.set_mandatory(max);
            } else if format.digits().is_some() && mandatory + optional >= 2 {
                fixed_digits = Some(mandatory + optional);
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
        names,
        integer,
        max_width,
        fixed_digits,
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
        if let Some(n) = m.fixed_digits {
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

/// How one marker's text becomes a value, as jsonata-js's `generateRegex` sets it up.
enum Reader<'a> {
    /// Hours and minutes of a `Z`/`z` offset, with the separator of a regular picture.
    Zone {
        gmt: bool,
        separator: Option<char>,
    },
    Integer(&'a IntegerPicture),
    /// A name looked up exactly (case included) in a table of (name, value).
    Name(Vec<(String, f64)>),
}

impl Reader<'_> {
    /// The component's value; `None` where jsonata-js gets undefined (a name it does not
    /// know, which then counts as not given), NaN where it does (text that reads as no
    /// number, which makes the timestamp NaN).
    fn read(&self, text: &str, position: usize) -> Result<Option<f64>, Error> {
        let number = |n: Option<f64>| Ok(Some(n.unwrap_or(f64::NAN)));
        match self {
            Reader::Zone { gmt, separator } => {
                let value = if *gmt {
                    text.get(3..).unwrap_or("")
                } else {
                    text
                };
                // The hours keep their sign and the minutes are added: "-05:30" is -270
                // minutes in jsonata-js.
                let (hours, minutes) = match separator.and_then(|c| value.split_once(c)) {
                    Some((h, m)) => (js_parse_int(h), js_parse_int(m)),
                    None if value.chars().count() <= 3 => (js_parse_int(value), Some(0)),
                    None => {
                        let cut = value.char_indices().nth(3).map_or(value.len(), |(i, _)| i);
                        (js_parse_int(&value[..cut]), js_parse_int(&value[cut..]))
                    }
                };
                number(hours.zip(minutes).map(|(h, m)| (h * 60 + m) as f64))
            }
            Reader::Integer(format) => number(format.parse(text, position)?),
            Reader::Name(table) => Ok(table.iter().find(|(name, _)| name == text).map(|&(_, v)| v)),
        }
    }
}

/// `$toMillis(text, picture)` as jsonata-js's `parseDateTime` does it: the text must match
/// the picture (case-insensitively); the components given must make one of the date forms
/// {Y, M, D} or {Y, d} (the week forms {X, x, w, F} and {X, W, F} are refused, D3136) and
/// one of the time forms {H, m, s, f} or {P, h, m, s, f}; before the first component given
/// they come from `now_millis`, after it they are their minimum, and a gap between is D3136.
/// `None` when the text does not match or gives no component.
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
    let mut pattern = String::from("(?i)^");
    let mut readers = Vec::new();
    for part in &parts {
        match part {
            Part::Literal(l) => pattern.push_str(&regex::escape(l)),
            Part::Marker(m) => {
                let (group, reader) = reader(m, position)?;
                pattern.push_str(&format!("({group})"));
                readers.push((m.component, reader));
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
    // The components read, by letter; a later marker of the same component wins.
    let mut given: Vec<(char, Option<f64>)> = Vec::new();
    for ((component, reader), value) in readers.iter().zip(caps.iter().skip(1)) {
        let value = reader.read(value.map_or("", |v| v.as_str()), position)?;
        given.retain(|(c, _)| c != component);
        given.push((*component, value));
    }
    if given.is_empty() {
        return Ok(None);
    }
    let get = |c: char| given.iter().find(|(k, _)| *k == c).and_then(|(_, v)| *v);
    // jsonata-js tests values for truth in places: 0 and NaN count as absent there.
    let truthy = |v: Option<f64>| v.filter(|&v| v != 0.0 && !v.is_nan());
    // Which form the components make: none outside it, at least one in it.
    let form = |members: &str, all: &str| {
        let present: Vec<char> = all.chars().filter(|&c| truthy(get(c)).is_some()).collect();
        !present.is_empty() && present.iter().all(|&c| members.contains(c))
    };
    let dates = "YXMxWwdD";
    let by_date = form("YMD", dates);
    let by_day_of_year = !by_date && form("Yd", dates);
    let by_month_week = form("Xxw", dates);
    let by_year_week = !by_month_week && form("XW", dates);
    let by_12_hours = !form("Hmsf", "PHhmsf") && form("Phmsf", "PHhmsf");
    // jsonata-js lines up Y and D (day of the month) for a day-of-year date.
    let date_order = if by_day_of_year {
        "YD"
    } else if by_month_week {
        "XxwF"
    } else if by_year_week {
        "XWF"
    } else {
        "YMD"
    };
    let time_order = if by_12_hours { "Phmsf" } else { "Hmsf" };
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_millis) * 1_000_000)
        .map_err(|_| missing())?;
    let mut values: Vec<(char, f64)> = Vec::new();
    let (mut started, mut ended) = (false, false);
    for c in date_order.chars().chain(time_order.chars()) {
        match get(c) {
            Some(v) => {
                if ended {
                    return Err(missing());
                }
                started = true;
                values.push((c, v));
            }
            None if started => {
                ended = true;
                values.push((c, f64::from(u8::from(matches!(c, 'M' | 'D' | 'd')))));
            }
            None => values.push((c, now_fragment(now, c))),
        }
    }
    if by_month_week || by_year_week {
        return Err(missing());
    }
    // A component neither given nor lined up is undefined in jsonata-js: NaN in Date.UTC.
    let value = |c: char| {
        values
            .iter()
            .find(|(k, _)| *k == c)
            .map(|&(_, v)| v)
            .or_else(|| get(c))
            .unwrap_or(f64::NAN)
    };
    let month = value('M');
    let (mut month, mut day) = (if month > 0.0 { month - 1.0 } else { 0.0 }, value('D'));
    if by_day_of_year {
        // The day of the year counted from the first of January, like Date.UTC.
        let millis = utc_millis(value('Y'), 0.0, value('d'), [0.0; 4]);
        (month, day) = if millis.is_finite() {
            let (_, m, d) = civil_from_days((millis / 86_400_000.0).floor() as i64);
            ((m - 1) as f64, d as f64)
        } else {
            (f64::NAN, f64::NAN)
        };
    }
    let mut hour = value('H');
    if by_12_hours {
        hour = if value('h') == 12.0 { 0.0 } else { value('h') };
        // A marker taken from now is "am"/"pm" text in jsonata-js, never 1.
        if get('P') == Some(1.0) {
            hour += 12.0;
        }
    }
    let mut millis = utc_millis(
        value('Y'),
        month,
        day,
        [hour, value('m'), value('s'), value('f')],
    );
    if let Some(offset) = truthy(get('Z')).or_else(|| truthy(get('z'))) {
        millis -= offset * 60_000.0;
    }
    // jsonata-js returns NaN here (null in JSON); refused instead.
    if !millis.is_finite() {
        return Err(Error::dynamic(
            "D3110",
            position,
            format!("\"{text}\" does not give a valid timestamp with the picture \"{picture}\""),
        ));
    }
    Ok(Some(millis as i64))
}

/// The pattern and the reader of one marker (jsonata-js's `generateRegex` for a part).
fn reader(m: &Marker, position: usize) -> Result<(String, Reader<'_>), Error> {
    if let ('Z' | 'z', Some(format)) = (m.component, &m.integer) {
        let separator = format.regular_separator();
        let mut group = String::from(if m.component == 'z' { "GMT" } else { "" });
        group.push_str("[-+][0-9]+");
        if let Some(c) = separator {
            group.push_str(&regex::escape(&c.to_string()));
            group.push_str("[0-9]+");
        }
        let gmt = m.component == 'z';
        return Ok((group, Reader::Zone { gmt, separator }));
    }
    if let Some(format) = &m.integer {
        return Ok((
            format.regex(m.fixed_digits, position)?,
            Reader::Integer(format),
        ));
    }
    // Month and weekday names (cut to the maximum width), am/pm.
    let cut = |name: &str| match m.max_width.filter(|&w| w > 0) {
        Some(w) => name.chars().take(w).collect(),
        None => name.to_string(),
    };
    let table = match m.component {
        'M' | 'x' => MONTHS
            .iter()
            .zip(1..)
            .map(|(name, i)| (cut(name), f64::from(i)))
            .collect(),
        'F' => DAYS
            .iter()
            .zip(1..)
            .map(|(name, i)| (cut(name), f64::from(i)))
            .collect(),
        'P' => [("am", 0.0), ("AM", 0.0), ("pm", 1.0), ("PM", 1.0)]
            .iter()
            .map(|&(name, v)| (name.to_string(), v))
            .collect(),
        other => {
            return Err(Error::dynamic(
                "D3133",
                position,
                format!("The date/time component {other} cannot be read as a name"),
            ))
        }
    };
    Ok(("[a-zA-Z]+".into(), Reader::Name(table)))
}

/// A component of `now` (UTC) for the components a date or time needs before the first one
/// given.
fn now_fragment(now: OffsetDateTime, c: char) -> f64 {
    f64::from(match c {
        'Y' => now.year(),
        'M' => i32::from(u8::from(now.month())),
        'D' => i32::from(now.day()),
        'H' => i32::from(now.hour()),
        'h' => i32::from((now.hour() + 11) % 12 + 1),
        'm' => i32::from(now.minute()),
        's' => i32::from(now.second()),
        'f' => i32::from(now.millisecond()),
        // The am/pm marker (text in jsonata-js) and the week forms, which are refused.
        _ => 0,
    })
}

/// `Date.UTC(year, month0, day, hours, minutes, seconds, millis)`: fields truncated to
/// integers, out-of-range ones carried over (month 12 is January of the next year, day 0 the
/// last of the previous month), years 0 to 99 meaning 1900 to 1999; NaN for a NaN field or
/// beyond JavaScript's dates (±8.64e15 ms).
fn utc_millis(year: f64, month0: f64, day: f64, time: [f64; 4]) -> f64 {
    let [h, m, s, ms] = time.map(f64::trunc);
    let (year, month0, day) = (year.trunc(), month0.trunc(), day.trunc());
    let year = if (0.0..=99.0).contains(&year) {
        1900.0 + year
    } else {
        year
    } + (month0 / 12.0).floor();
    let finite = [h, m, s, ms].iter().all(|f| f.is_finite());
    if !(finite && year.abs() < 400_000.0 && day.abs() < 1e9) {
        return f64::NAN;
    }
    let first = days_from_civil(year as i64, month0.rem_euclid(12.0) as i64 + 1, 1) as f64;
    let t = (first + day - 1.0) * 86_400_000.0 + h * 3_600_000.0 + m * 60_000.0 + s * 1000.0 + ms;
    if t.abs() <= 8.64e15 {
        t
    } else {
        f64::NAN
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
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
