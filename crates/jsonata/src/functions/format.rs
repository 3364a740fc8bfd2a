//! Picture-driven number formatting. `$formatNumber`: XPath 3.1 `format-number` pictures
//! (prefix, integer part with optional grouping, fraction part, exponent, suffix with `%` or
//! per-mille; a second sub-picture after `;` for negative numbers), with the decimal-format
//! options JSONata accepts. `$formatInteger`/`$parseInteger`: XPath `format-integer` pictures
//! for decimal digits with grouping, words (`w`, `W`, `Ww`), roman numerals (`i`, `I`) and
//! letters (`a`, `A`), with the `;o` (ordinal) modifier.

use std::rc::Rc;

use super::numeric::round_half_even;
use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::Value;

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("formatNumber", 2, 3, true, 3, format_number),
    builtin("formatInteger", 2, 2, true, 2, format_integer),
    builtin("parseInteger", 2, 2, true, 2, parse_integer),
];

/// The decimal format: XPath's defaults, overridable through `$formatNumber`'s options.
struct Symbols {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: String,
    per_mille: String,
    zero: char,
    digit: char,
    pattern: char,
}

impl Symbols {
    fn from_options(a: &Args) -> Result<Self, Error> {
        let mut s = Symbols {
            decimal: '.',
            grouping: ',',
            exponent: 'e',
            minus: "-".into(),
            percent: "%".into(),
            per_mille: "\u{2030}".into(),
            zero: '0',
            digit: '#',
            pattern: ';',
        };
        let options = match a.value(2) {
            Value::Undefined => return Ok(s),
            Value::Object(o) => o,
            _ => return Err(a.mismatch(2)),
        };
        for (key, value) in options.iter() {
            let Value::String(text) = value else {
                return Err(a.mismatch(2));
            };
            let first = text.chars().next().ok_or_else(|| a.mismatch(2))?;
            match key.as_str() {
                "decimal-separator" => s.decimal = first,
                "grouping-separator" => s.grouping = first,
                "exponent-separator" => s.exponent = first,
                "minus-sign" => s.minus = text.to_string(),
                "percent" => s.percent = text.to_string(),
                "per-mille" => s.per_mille = text.to_string(),
                "zero-digit" => s.zero = first,
                "digit" => s.digit = first,
                "pattern-separator" => s.pattern = first,
                _ => {}
            }
        }
        Ok(s)
    }

    fn is_decimal_digit(&self, c: char) -> bool {
        (c as u32).wrapping_sub(self.zero as u32) < 10
    }

    fn is_active(&self, c: char) -> bool {
        self.is_decimal_digit(c) || c == self.digit || c == self.decimal || c == self.grouping
    }
}

/// One analysed sub-picture.
struct Picture {
    prefix: String,
    suffix: String,
    integer_min: usize,
    /// Digits to the right of each grouping separator in the integer part.
    integer_groups: Vec<usize>,
    fraction_min: usize,
    fraction_max: usize,
    exponent_min: Option<usize>,
}

fn analyse(pic: &[char], sym: &Symbols, position: usize) -> Result<Picture, Error> {
    let first = pic
        .iter()
        .position(|&c| sym.is_active(c))
        .unwrap_or(pic.len());
    let last = pic
        .iter()
        .rposition(|&c| sym.is_active(c))
        .map_or(first, |i| i + 1);
    let (prefix, active, suffix) = (
        &pic[..first],
        &pic[first..last.max(first)],
        &pic[last.max(first)..],
    );
    // The exponent separator counts as active only between digits.
    let (mantissa, exponent) = match active.iter().position(|&c| c == sym.exponent) {
        Some(i) => (&active[..i], Some(&active[i + 1..])),
        None => (active, None),
    };
    let (mantissa, exponent, suffix) = match (exponent, suffix.first()) {
        (None, Some(&c))
            if c == sym.exponent && suffix.get(1).is_some_and(|&d| sym.is_decimal_digit(d)) =>
        {
            let digits = suffix[1..]
                .iter()
                .take_while(|&&d| sym.is_decimal_digit(d))
                .count();
            (
                mantissa,
                Some(&suffix[1..1 + digits]),
                &suffix[1 + digits..],
            )
        }
        _ => (mantissa, exponent, suffix),
    };
    let decimals = mantissa.iter().filter(|&&c| c == sym.decimal).count();
    if decimals > 1 {
        return Err(Error::dynamic(
            "D3081",
            position,
            "The sub-picture must not contain more than one decimal-separator",
        ));
    }
    let (integer, fraction) = match mantissa.iter().position(|&c| c == sym.decimal) {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    let mut integer_groups = Vec::new();
    let mut digits_right = 0;
    for &c in integer.iter().rev() {
        if c == sym.grouping {
            integer_groups.push(digits_right);
        } else {
            digits_right += 1;
        }
    }
    let mut integer_min = integer.iter().filter(|&&c| sym.is_decimal_digit(c)).count();
    let mut fraction_min = fraction
        .iter()
        .filter(|&&c| sym.is_decimal_digit(c))
        .count();
    let mut fraction_max = fraction
        .iter()
        .filter(|&&c| sym.is_decimal_digit(c) || c == sym.digit)
        .count();
    let exponent_min = exponent.map(|e| e.iter().filter(|&&c| sym.is_decimal_digit(c)).count());
    if integer_min == 0 && fraction_max == 0 {
        if exponent_min.is_some() {
            fraction_min = 1;
            fraction_max = 1;
        } else {
            integer_min = 1;
        }
    }
    if exponent_min.is_some() && integer_min == 0 && integer.contains(&sym.digit) {
        integer_min = 1;
    }
    Ok(Picture {
        prefix: prefix.iter().collect(),
        suffix: suffix.iter().collect(),
        integer_min,
        integer_groups,
        fraction_min,
        fraction_max,
        exponent_min,
    })
}

fn format_number(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let picture: Rc<str> = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let sym = Symbols::from_options(a)?;
    let parts: Vec<Vec<char>> = picture
        .split(sym.pattern)
        .map(|p| p.chars().collect())
        .collect();
    if parts.len() > 2 {
        return Err(Error::dynamic("D3080", a.position, "The picture string must not contain more than one instance of the pattern-separator character"));
    }
    let positive = analyse(&parts[0], &sym, a.position)?;
    let negative = match parts.get(1) {
        Some(p) => Some(analyse(p, &sym, a.position)?),
        None => None,
    };
    let pic = match (&negative, n < 0.0) {
        (Some(neg), true) => neg,
        _ => &positive,
    };
    let mut value = n.abs();
    let affixes = format!("{}{}", pic.prefix, pic.suffix);
    if affixes.contains(sym.percent.as_str()) {
        value *= 100.0;
    } else if affixes.contains(sym.per_mille.as_str()) {
        value *= 1000.0;
    }
    let mut exponent = 0i32;
    if pic.exponent_min.is_some() && value != 0.0 {
        let (lo, hi) = (
            10f64.powi(pic.integer_min as i32 - 1),
            10f64.powi(pic.integer_min as i32),
        );
        while value < lo {
            value *= 10.0;
            exponent -= 1;
        }
        while value >= hi {
            value /= 10.0;
            exponent += 1;
        }
    }
    let rounded = round_half_even(value, pic.fraction_max as i32);
    let text = format!("{rounded:.prec$}", prec = pic.fraction_max);
    let (int_digits, frac_digits) = text.split_once('.').unwrap_or((&text, ""));
    let mut integer: String = int_digits.trim_start_matches('0').to_string();
    while integer.len() < pic.integer_min {
        integer.insert(0, '0');
    }
    let mut fraction = frac_digits.to_string();
    while fraction.len() > pic.fraction_min && fraction.ends_with('0') {
        fraction.pop();
    }
    let integer = group(&integer, &pic.integer_groups, sym.grouping);
    let mut out = integer;
    if !fraction.is_empty() {
        out.push(sym.decimal);
        out.push_str(&fraction);
    }
    if let Some(min) = pic.exponent_min {
        out.push(sym.exponent);
        if exponent < 0 {
            out.push_str(&sym.minus);
        }
        out.push_str(&format!("{:0>min$}", exponent.unsigned_abs()));
    }
    let out: String = out
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_u32(sym.zero as u32 + d))
                .unwrap_or(c)
        })
        .collect();
    let minus = if n < 0.0 && negative.is_none() {
        sym.minus.as_str()
    } else {
        ""
    };
    Ok(Value::string(format!(
        "{minus}{}{out}{}",
        pic.prefix, pic.suffix
    )))
}

/// Inserts grouping separators: every N digits when the picture's groups are regular (all
/// multiples of the first), otherwise exactly where the picture put them.
fn group(digits: &str, groups: &[usize], separator: char) -> String {
    let Some(&first) = groups.first().filter(|&&g| g > 0) else {
        return digits.to_string();
    };
    let regular = groups
        .iter()
        .enumerate()
        .all(|(i, &g)| g == first * (i + 1));
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let from_right = chars.len() - i;
        if i > 0
            && (if regular {
                from_right % first == 0
            } else {
                groups.contains(&from_right)
            })
        {
            out.push(separator);
        }
        out.push(*c);
    }
    out
}

const FEW: [&str; 20] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const DECADES: [&str; 9] = [
    "ten", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const MAGNITUDES: [&str; 4] = ["thousand", "million", "billion", "trillion"];
const ROMAN: [(u64, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

/// English words as jsonata-js spells them: "two thousand, seven hundred and eighty-nine".
fn words(n: u64, after: bool) -> String {
    let lead = |sep: &str| {
        if after {
            sep.to_string()
        } else {
            String::new()
        }
    };
    if n < 20 {
        format!("{}{}", lead(" and "), FEW[n as usize])
    } else if n < 100 {
        let mut w = format!("{}{}", lead(" and "), DECADES[(n / 10 - 1) as usize]);
        if n % 10 > 0 {
            w = format!("{w}-{}", words(n % 10, false));
        }
        w
    } else if n < 1000 {
        let mut w = format!("{}{} hundred", lead(", "), FEW[(n / 100) as usize]);
        if n % 100 > 0 {
            w.push_str(&words(n % 100, true));
        }
        w
    } else {
        let magnitude = ((n as f64).log10() / 3.0)
            .floor()
            .min(MAGNITUDES.len() as f64) as u32;
        let factor = 10u64.pow(magnitude * 3);
        let mut w = format!(
            "{}{} {}",
            lead(", "),
            words(n / factor, false),
            MAGNITUDES[magnitude as usize - 1]
        );
        if n % factor > 0 {
            w.push_str(&words(n % factor, true));
        }
        w
    }
}

/// A `format-integer` picture: its primary token and whether `;o` (ordinal) follows.
/// `;c` (cardinal, the default) is accepted; other modifiers are refused.
fn integer_picture(a: &Args) -> Result<(Rc<str>, bool), Error> {
    let picture = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    match picture.rsplit_once(';') {
        None => Ok((picture, false)),
        Some((primary, "o")) => Ok((primary.into(), true)),
        Some((primary, "c")) => Ok((primary.into(), false)),
        Some(_) => Err(Error::type_error(
            "T0410",
            a.position,
            format!("The picture modifier in \"{picture}\" is not supported yet"),
        )),
    }
}

fn format_integer(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let (picture, ordinal) = integer_picture(a)?;
    let body = integer_text(n.abs().floor() as u64, &picture, ordinal).ok_or_else(|| {
        Error::type_error(
            "T0410",
            a.position,
            format!("The picture \"{picture}\" is not supported yet"),
        )
    })?;
    Ok(Value::string(if n < 0.0 {
        format!("-{body}")
    } else {
        body
    }))
}

/// `magnitude` as a `format-integer` primary token writes it (words, roman numerals,
/// letters, or decimal digits with grouping); `ordinal` adds `st`/`nd`/… or ordinal words.
/// `None` for a token this implementation does not know.
pub(crate) fn integer_text(magnitude: u64, picture: &str, ordinal: bool) -> Option<String> {
    let spelled = |w: String| if ordinal { ordinal_words(&w) } else { w };
    Some(match picture {
        "w" => spelled(words(magnitude, false)),
        "W" => spelled(words(magnitude, false)).to_uppercase(),
        "Ww" => spelled(words(magnitude, false))
            .split(' ')
            .map(|w| {
                if w == "and" {
                    w.to_string()
                } else {
                    w.split('-').map(capitalise).collect::<Vec<_>>().join("-")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        "i" | "I" => {
            let mut rest = magnitude;
            let mut out = String::new();
            for (value, numeral) in ROMAN {
                while rest >= value {
                    out.push_str(numeral);
                    rest -= value;
                }
            }
            if picture == "I" {
                out.to_uppercase()
            } else {
                out
            }
        }
        "a" | "A" => {
            // Bijective base 26: a … z, aa, ab, …
            let mut rest = magnitude;
            let mut out = Vec::new();
            while rest > 0 {
                rest -= 1;
                out.push((b'a' + (rest % 26) as u8) as char);
                rest /= 26;
            }
            let s: String = out.into_iter().rev().collect();
            if picture == "A" {
                s.to_uppercase()
            } else {
                s
            }
        }
        decimal => {
            let chars: Vec<char> = decimal.chars().collect();
            if chars.is_empty()
                || !chars
                    .iter()
                    .all(|c| c.is_ascii_digit() || *c == '#' || !c.is_alphanumeric())
            {
                return None;
            }
            let min_digits = chars.iter().filter(|c| c.is_ascii_digit()).count();
            let separator = chars
                .iter()
                .find(|c| !c.is_ascii_digit() && **c != '#')
                .copied();
            let mut groups = Vec::new();
            let mut digits_right = 0;
            for &c in chars.iter().rev() {
                if Some(c) == separator {
                    groups.push(digits_right);
                } else {
                    digits_right += 1;
                }
            }
            let digits = format!("{magnitude:0>min_digits$}");
            let text = separator.map_or(digits.clone(), |sep| group(&digits, &groups, sep));
            if ordinal {
                format!("{text}{}", ordinal_suffix(magnitude))
            } else {
                text
            }
        }
    })
}

/// English ordinal suffix: 1st, 2nd, 3rd, 4th, 11th–13th, 21st, …
fn ordinal_suffix(n: u64) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// The last word of spelled-out English made ordinal: "twenty-one" → "twenty-first".
fn ordinal_words(cardinal: &str) -> String {
    let cut = cardinal.rfind([' ', '-']).map_or(0, |i| i + 1);
    let (head, last) = cardinal.split_at(cut);
    let last = match last {
        "one" => "first".to_string(),
        "two" => "second".to_string(),
        "three" => "third".to_string(),
        "five" => "fifth".to_string(),
        "eight" => "eighth".to_string(),
        "nine" => "ninth".to_string(),
        "twelve" => "twelfth".to_string(),
        w if w.ends_with('y') => format!("{}ieth", &w[..w.len() - 1]),
        w => format!("{w}th"),
    };
    format!("{head}{last}")
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
}

fn parse_integer(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let (picture, _) = integer_picture(a)?;
    match &*picture {
        "w" | "W" | "Ww" | "i" | "I" | "a" | "A" => integer_value(&s, &picture)
            .map(|n| Value::Number(n as f64))
            .ok_or_else(|| unparsable(&s, &picture, a.position)),
        _ => {
            let digits: String = s
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            digits
                .parse::<i64>()
                .map(|n| Value::Number(n as f64))
                .map_err(|_| unparsable(&s, &picture, a.position))
        }
    }
}

fn unparsable(s: &str, picture: &str, position: usize) -> Error {
    Error::dynamic(
        "D3030",
        position,
        format!("Unable to parse \"{s}\" with the picture \"{picture}\""),
    )
}

/// The number `text` writes in a `format-integer` primary token's notation: words (cardinal or
/// ordinal, "nineteen hundred and eighty-four"), roman numerals, letters or decimal digits
/// (an ordinal suffix allowed). `None` when it does not read as one.
pub(crate) fn integer_value(text: &str, picture: &str) -> Option<u64> {
    match picture {
        "w" | "W" | "Ww" => {
            let (mut total, mut current) = (0u64, 0u64);
            let lower = text.to_lowercase();
            let mut any = false;
            for word in lower
                .split([' ', '-', ','])
                .filter(|w| !w.is_empty() && *w != "and")
            {
                let word = cardinal_word(word);
                any = true;
                if let Some(v) = FEW.iter().position(|f| *f == word) {
                    current += v as u64;
                } else if let Some(d) = DECADES.iter().position(|f| *f == word) {
                    current += 10 * (d as u64 + 1);
                } else if word == "hundred" {
                    current *= 100;
                } else if let Some(m) = MAGNITUDES.iter().position(|f| *f == word) {
                    total += current * 10u64.pow(3 * (m as u32 + 1));
                    current = 0;
                } else {
                    return None;
                }
            }
            any.then_some(total + current)
        }
        "i" | "I" => {
            let lower = text.to_lowercase();
            let mut rest = lower.as_str();
            let mut total = 0u64;
            for (value, numeral) in ROMAN {
                while let Some(r) = rest.strip_prefix(numeral) {
                    total += value;
                    rest = r;
                }
            }
            (rest.is_empty() && total > 0).then_some(total)
        }
        "a" | "A" => {
            let mut total = 0u64;
            for c in text.to_lowercase().chars() {
                if !c.is_ascii_lowercase() {
                    return None;
                }
                total = total * 26 + u64::from(c as u8 - b'a' + 1);
            }
            (total > 0).then_some(total)
        }
        _ => {
            let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            digits.parse().ok()
        }
    }
}

/// An ordinal number word back to its cardinal ("twelfth" → "twelve"); others unchanged.
fn cardinal_word(word: &str) -> String {
    match word {
        "first" => "one".into(),
        "second" => "two".into(),
        "third" => "three".into(),
        "fifth" => "five".into(),
        "eighth" => "eight".into(),
        "ninth" => "nine".into(),
        "twelfth" => "twelve".into(),
        w if w.ends_with("ieth") => format!("{}y", &w[..w.len() - 4]),
        w if w.ends_with("th") && w != "th" => w[..w.len() - 2].to_string(),
        w => w.to_string(),
    }
}
