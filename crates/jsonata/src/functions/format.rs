//! Picture-driven number formatting, following jsonata-js 2.0 (which implements XPath F&O 3.1
//! §4.7 `format-number` and §4.6 `format-integer`) down to its quirks, so that an expression
//! gives here what it gives in the reference implementation.
//!
//! `$formatNumber`: a picture of up to two sub-pictures (positive `;` negative), each a prefix,
//! an active part (mantissa digits with grouping and one decimal separator, optionally an
//! exponent) and a suffix holding `%` or per-mille; validated with the D3080–D3093 errors;
//! digits from the zero-digit's family. `$formatInteger`/`$parseInteger`: [`IntegerPicture`],
//! decimal digit patterns of any Unicode digit family with regular or irregular grouping,
//! words (`w`, `W`, `Ww`), roman numerals (`i`, `I`) and letters (`a`, `A`), `;o` for
//! ordinals. [`IntegerPicture`] also formats and reads the integer components of date/time
//! pictures (`super::picture`).

use std::rc::Rc;
use std::sync::OnceLock;

use regex::Regex;

use super::numeric::round_half_even;
use super::{builtin, Args, Builtin};
use crate::error::Error;
use crate::evaluator::Evaluator;
use crate::value::{format_number as js_number_string, Value};

pub(crate) const FUNCTIONS: &[Builtin] = &[
    builtin("formatNumber", "<n-so?:s>", 3, format_number),
    builtin("formatInteger", "<n-s:s>", 2, format_integer),
    builtin("parseInteger", "<s-s:n>", 2, parse_integer),
];

// ----------------------------------------------------------------------------- $formatNumber

/// The decimal format: jsonata-js's defaults, overridable through `$formatNumber`'s options.
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

    /// A member of the decimal digit family: the zero digit and the nine code points after it.
    fn is_family(&self, c: char) -> bool {
        (c as u32).wrapping_sub(self.zero as u32) < 10
    }

    /// A digit of the family or the optional-digit sign.
    fn is_digit_sign(&self, c: char) -> bool {
        self.is_family(c) || c == self.digit
    }

    /// jsonata-js's active characters: the digit family, the decimal, exponent and grouping
    /// separators, the optional-digit sign and the pattern separator.
    fn is_active(&self, c: char) -> bool {
        self.is_digit_sign(c)
            || c == self.decimal
            || c == self.exponent
            || c == self.grouping
            || c == self.pattern
    }

    /// `digits` (ASCII, as Rust or JavaScript print numbers) in the zero digit's family.
    fn in_family(&self, digits: &str) -> Vec<char> {
        digits
            .chars()
            .map(|c| {
                c.to_digit(10)
                    .and_then(|d| char::from_u32(self.zero as u32 + d))
                    .unwrap_or(c)
            })
            .collect()
    }
}

/// A sub-picture cut into its parts (F&O 4.7.3), the way jsonata-js's `splitParts` cuts it.
struct SubPicture {
    text: String,
    chars: Vec<char>,
    active: Vec<char>,
    prefix: Vec<char>,
    suffix: Vec<char>,
    mantissa: Vec<char>,
    exponent: Option<Vec<char>>,
    integer: Vec<char>,
    fraction: Vec<char>,
}

fn split_parts(text: &str, sym: &Symbols) -> SubPicture {
    let chars: Vec<char> = text.chars().collect();
    // The prefix ends, and the suffix starts, at an active character other than the exponent
    // separator. (jsonata-js fails on a sub-picture without one; here it is all prefix, and
    // validation refuses it for having no digit.)
    let marks = |c: &char| sym.is_active(*c) && *c != sym.exponent;
    let start = chars.iter().position(marks).unwrap_or(chars.len());
    let end = chars
        .iter()
        .rposition(marks)
        .map_or(chars.len(), |i| i + 1)
        .max(start);
    let active = chars[start..end].to_vec();
    // jsonata-js looks for the exponent separator from the end of the prefix up to the start of
    // the suffix, but cuts the active part at the index it found in the whole sub-picture: after
    // a prefix the cut falls that many characters late. Kept, for the same results and errors.
    let exponent_at = chars[start..]
        .iter()
        .position(|&c| c == sym.exponent)
        .map(|i| i + start)
        .filter(|&i| i <= end);
    let (mantissa, exponent) = match exponent_at {
        None => (active.clone(), None),
        Some(i) => (
            active[..i.min(active.len())].to_vec(),
            Some(active.get(i + 1..).unwrap_or_default().to_vec()),
        ),
    };
    let (integer, fraction) = match mantissa.iter().position(|&c| c == sym.decimal) {
        // Without a decimal separator jsonata-js takes the suffix as the fractional part (it
        // holds no digits, so this only matters to the checks that look for some).
        None => (mantissa.clone(), chars[end..].to_vec()),
        Some(d) => (mantissa[..d].to_vec(), mantissa[d + 1..].to_vec()),
    };
    SubPicture {
        text: text.to_string(),
        prefix: chars[..start].to_vec(),
        suffix: chars[end..].to_vec(),
        chars,
        active,
        mantissa,
        exponent,
        integer,
        fraction,
    }
}

/// The picture rules of F&O 4.7.3 as jsonata-js checks them: every rule is tested and the
/// last one broken names the error.
fn validate(p: &SubPicture, sym: &Symbols) -> Option<&'static str> {
    let mut error = None;
    let repeated = |s: &str| p.text.find(s) != p.text.rfind(s);
    if p.text.find(sym.decimal) != p.text.rfind(sym.decimal) {
        error = Some("D3081");
    }
    if repeated(&sym.percent) {
        error = Some("D3082");
    }
    if repeated(&sym.per_mille) {
        error = Some("D3083");
    }
    let scaled = p.text.contains(&sym.percent) || p.text.contains(&sym.per_mille);
    if p.text.contains(&sym.percent) && p.text.contains(&sym.per_mille) {
        error = Some("D3084");
    }
    if !p.mantissa.iter().any(|&c| sym.is_digit_sign(c)) {
        error = Some("D3085");
    }
    if p.active.iter().any(|&c| !sym.is_active(c)) {
        error = Some("D3086");
    }
    match p.chars.iter().position(|&c| c == sym.decimal) {
        Some(d) => {
            let before = d.checked_sub(1).and_then(|i| p.chars.get(i));
            if before == Some(&sym.grouping) || p.chars.get(d + 1) == Some(&sym.grouping) {
                error = Some("D3087");
            }
        }
        None => {
            if p.integer.last() == Some(&sym.grouping) {
                error = Some("D3088");
            }
        }
    }
    if p.chars
        .windows(2)
        .any(|w| w[0] == sym.grouping && w[1] == sym.grouping)
    {
        error = Some("D3089");
    }
    if let Some(o) = p.integer.iter().position(|&c| c == sym.digit) {
        if p.integer[..o].iter().any(|&c| sym.is_family(c)) {
            error = Some("D3090");
        }
    }
    if let Some(o) = p.fraction.iter().rposition(|&c| c == sym.digit) {
        if p.fraction[o..].iter().any(|&c| sym.is_family(c)) {
            error = Some("D3091");
        }
    }
    if let Some(exponent) = &p.exponent {
        if !exponent.is_empty() && scaled {
            error = Some("D3092");
        }
        if exponent.is_empty() || exponent.iter().any(|&c| !sym.is_family(c)) {
            error = Some("D3093");
        }
    }
    error
}

fn picture_error(code: &'static str, position: usize) -> Error {
    let message = match code {
        "D3081" => "A sub-picture must not contain more than one instance of the 'decimal-separator' character",
        "D3082" => "A sub-picture must not contain more than one instance of the 'percent' character",
        "D3083" => "A sub-picture must not contain more than one instance of the 'per-mille' character",
        "D3084" => "A sub-picture must not contain both a 'percent' and a 'per-mille' character",
        "D3085" => "A sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
        "D3086" => "A sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
        "D3087" => "A sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
        "D3088" => "A sub-picture must not contain a 'grouping-separator' at the end of the integer part",
        "D3089" => "A sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
        "D3090" => "The integer part of a sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
        "D3091" => "The fractional part of a sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
        "D3092" => "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
        _ => "The exponent part of a sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
    };
    Error::dynamic(code, position, message)
}

/// What formatting needs from a sub-picture (F&O 4.7.4, jsonata-js's `analyse`).
#[derive(Clone)]
struct Layout {
    text: String,
    prefix: String,
    suffix: String,
    /// Digit positions to the right of each grouping separator of the integer part, in picture
    /// order, and their interval when they are regular (0 when not).
    integer_groups: Vec<usize>,
    regular: usize,
    /// Digit positions to the left of grouping separators in the fractional part.
    fraction_groups: Vec<usize>,
    min_integer: usize,
    /// The mantissa's integer digits when there is an exponent: the picture's mandatory ones,
    /// before the minimum is adjusted.
    scaling: usize,
    min_fraction: usize,
    max_fraction: usize,
    min_exponent: usize,
}

/// The digit counts beside each grouping separator: to its right (integer part) or to its left
/// (fractional part). jsonata-js looks for every separator after the first one in the integer
/// part, whichever part it is measuring; kept.
fn grouping_positions(part: &[char], integer: &[char], to_left: bool, sym: &Symbols) -> Vec<usize> {
    let mut positions = Vec::new();
    let mut at = part.iter().position(|&c| c == sym.grouping);
    while let Some(p) = at {
        let p_in_part = p.min(part.len());
        let side = if to_left {
            &part[..p_in_part]
        } else {
            &part[p_in_part..]
        };
        positions.push(side.iter().filter(|&&c| sym.is_digit_sign(c)).count());
        at = integer
            .iter()
            .skip(p + 1)
            .position(|&c| c == sym.grouping)
            .map(|i| i + p + 1);
    }
    positions
}

/// The interval of regular grouping positions (every multiple of their greatest common divisor
/// up to their count is one of them), or 0.
fn regular_interval(positions: &[usize]) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    let Some(&first) = positions.first() else {
        return 0;
    };
    let factor = positions.iter().skip(1).fold(first, |a, &b| gcd(a, b));
    if (1..=positions.len()).all(|i| positions.contains(&(i * factor))) {
        factor
    } else {
        0
    }
}

fn layout(p: &SubPicture, sym: &Symbols) -> Layout {
    let integer_groups = grouping_positions(&p.integer, &p.integer, false, sym);
    let count = |part: &[char], f: &dyn Fn(char) -> bool| part.iter().filter(|&&c| f(c)).count();
    let mut min_integer = count(&p.integer, &|c| sym.is_family(c));
    let scaling = min_integer;
    let mut min_fraction = count(&p.fraction, &|c| sym.is_family(c));
    let mut max_fraction = count(&p.fraction, &|c| sym.is_digit_sign(c));
    let has_exponent = p.exponent.is_some();
    if min_integer == 0 && max_fraction == 0 {
        if has_exponent {
            min_fraction = 1;
            max_fraction = 1;
        } else {
            min_integer = 1;
        }
    }
    if has_exponent && min_integer == 0 && p.integer.contains(&sym.digit) {
        min_integer = 1;
    }
    if min_integer == 0 && min_fraction == 0 {
        min_fraction = 1;
    }
    Layout {
        text: p.text.clone(),
        prefix: p.prefix.iter().collect(),
        suffix: p.suffix.iter().collect(),
        regular: regular_interval(&integer_groups),
        integer_groups,
        fraction_groups: grouping_positions(&p.fraction, &p.integer, true, sym),
        min_integer,
        scaling,
        min_fraction,
        max_fraction,
        min_exponent: p
            .exponent
            .as_ref()
            .map_or(0, |e| count(e, &|c| sym.is_family(c))),
    }
}

/// Where JavaScript's `slice` puts index `at` of a string of `len` characters: negative counts
/// from the end, and both ends are clamped.
fn js_slice_index(at: i64, len: usize) -> usize {
    let len = len as i64;
    (if at < 0 {
        (len + at).max(0)
    } else {
        at.min(len)
    }) as usize
}

fn index_of(s: &[char], c: char) -> i64 {
    s.iter().position(|&x| x == c).map_or(-1, |i| i as i64)
}

/// `Math.abs(value).toFixed(dp)` in the zero digit's family (from 1e21 JavaScript writes the
/// exponent form there too).
fn to_fixed(value: f64, dp: usize, sym: &Symbols) -> Vec<char> {
    let value = value.abs();
    let text = if value >= 1e21 {
        js_number_string(value)
    } else {
        format!("{value:.dp$}")
    };
    sym.in_family(&text)
}

impl Layout {
    /// F&O 4.7.5 bullets 3–14 as jsonata-js performs them.
    fn format(&self, n: f64, sym: &Symbols) -> String {
        let adjusted = if self.text.contains(&sym.percent) {
            n * 100.0
        } else if self.text.contains(&sym.per_mille) {
            n * 1000.0
        } else {
            n
        };
        // jsonata-js scales the signed number, and loops forever on zero or a negative number
        // with an exponent; the magnitude is scaled here and zero keeps the exponent 0.
        let mut mantissa = adjusted.abs();
        let mut exponent = None;
        if self.min_exponent > 0 {
            let max = 10f64.powf(self.scaling as f64);
            let min = 10f64.powf(self.scaling as f64 - 1.0);
            let mut e = 0i32;
            if mantissa != 0.0 && mantissa.is_finite() {
                while mantissa < min {
                    mantissa *= 10.0;
                    e -= 1;
                }
                while mantissa > max {
                    mantissa /= 10.0;
                    e += 1;
                }
            }
            exponent = Some(e);
        }
        let rounded = round_half_even(mantissa, self.max_fraction as i32);
        let mut s = to_fixed(rounded, self.max_fraction, sym);
        match s.iter().position(|&c| c == '.') {
            Some(i) => s[i] = sym.decimal,
            None => s.push(sym.decimal),
        }
        let leading = s.iter().take_while(|&&c| c == sym.zero).count();
        s.drain(..leading);
        while s.last() == Some(&sym.zero) {
            s.pop();
        }
        // Bullets 8 and 9: pad to the minimum integer and fraction sizes.
        let dp = index_of(&s, sym.decimal);
        let pad_left = self.min_integer as i64 - dp;
        let pad_right = self.min_fraction as i64 - (s.len() as i64 - dp - 1);
        for _ in 0..pad_left {
            s.insert(0, sym.zero);
        }
        for _ in 0..pad_right {
            s.push(sym.zero);
        }
        // Bullet 10: integer grouping; irregular positions are inserted where the picture had
        // them, even beyond the digits (JavaScript's slice then counts from the end).
        let mut dp = index_of(&s, sym.decimal);
        if self.regular > 0 {
            let every = self.regular as i64;
            for group in 1..=(dp - 1).div_euclid(every) {
                let at = js_slice_index(dp - group * every, s.len());
                s.insert(at, sym.grouping);
            }
        } else {
            for &pos in &self.integer_groups {
                let at = js_slice_index(dp - pos as i64, s.len());
                s.insert(at, sym.grouping);
                dp += 1;
            }
        }
        // Bullet 11: fractional grouping.
        let dp = index_of(&s, sym.decimal);
        for &pos in &self.fraction_groups {
            let at = js_slice_index(pos as i64 + dp + 1, s.len());
            s.insert(at, sym.grouping);
        }
        // Bullet 12: no decimal separator without a fraction.
        let dp = index_of(&s, sym.decimal);
        if !self.text.contains(sym.decimal) || dp == s.len() as i64 - 1 {
            s.pop();
        }
        let mut out: String = s.into_iter().collect();
        // Bullet 13: the exponent.
        if let Some(e) = exponent {
            let mut digits = to_fixed(f64::from(e), 0, sym);
            while digits.len() < self.min_exponent {
                digits.insert(0, sym.zero);
            }
            out.push(sym.exponent);
            if e < 0 {
                out.push_str(&sym.minus);
            }
            out.extend(digits);
        }
        format!("{}{out}{}", self.prefix, self.suffix)
    }
}

fn format_number(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let picture: Rc<str> = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let sym = Symbols::from_options(a)?;
    let texts: Vec<&str> = picture.split(sym.pattern).collect();
    if texts.len() > 2 {
        return Err(Error::dynamic(
            "D3080",
            a.position,
            "The picture string must not contain more than one instance of the 'pattern-separator' character",
        ));
    }
    let parts: Vec<SubPicture> = texts.iter().map(|t| split_parts(t, &sym)).collect();
    for part in &parts {
        if let Some(code) = validate(part, &sym) {
            return Err(picture_error(code, a.position));
        }
    }
    let positive = layout(&parts[0], &sym);
    // Without a negative sub-picture, negative numbers take the positive one after a minus.
    let negative = match parts.get(1) {
        Some(p) => layout(p, &sym),
        None => Layout {
            prefix: format!("{}{}", sym.minus, positive.prefix),
            ..positive.clone()
        },
    };
    let pic = if n >= 0.0 { &positive } else { &negative };
    Ok(Value::string(pic.format(n, &sym)))
}

// ------------------------------------------------------------ $formatInteger, $parseInteger

/// The zero of every Unicode decimal digit family jsonata-js recognises in a decimal digit
/// pattern (Basic Multilingual Plane only, as there).
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
/// jsonata-js's list ends with "Hundred", which thereby reads as 100 (and "hundreieth" too).
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];
const ROMAN: [(f64, &str); 13] = [
    (1000.0, "m"),
    (900.0, "cm"),
    (500.0, "d"),
    (400.0, "cd"),
    (100.0, "c"),
    (90.0, "xc"),
    (50.0, "l"),
    (40.0, "xl"),
    (10.0, "x"),
    (9.0, "ix"),
    (5.0, "v"),
    (4.0, "iv"),
    (1.0, "i"),
];
/// jsonata-js writes roman numerals recursively, one call per numeral, and overflows its stack
/// somewhere above ten million; refused here before the text grows that long.
const ROMAN_LIMIT: f64 = 1e7;

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Lower,
    Upper,
    Title,
}

/// A decimal digit pattern: digits of one family, `#`s and grouping separators.
struct DecimalPattern {
    /// The code point of the family's zero.
    zero: u32,
    mandatory: usize,
    /// The `#` signs, which date/time pictures count into a year's width.
    optional: usize,
    /// Each grouping separator with the number of digit signs to its right, rightmost first.
    separators: Vec<(usize, char)>,
    /// The interval when the separators are one character at regular positions, else 0.
    regular: usize,
}

enum Primary {
    Letters(Case),
    Roman(Case),
    Words(Case),
    Decimal(DecimalPattern),
    /// Any other token: a numbering sequence (such as `α`), which jsonata-js refuses (D3130)
    /// when it is used.
    Sequence(String),
}

/// An analysed `format-integer` picture (jsonata-js's `analyseIntegerPicture`): the primary
/// token and whether the modifier asks for ordinals.
pub(crate) struct IntegerPicture {
    primary: Primary,
    ordinal: bool,
}

impl IntegerPicture {
    /// A whole picture: the primary token, then optionally `;` and a modifier starting with
    /// `o` for ordinals (any other modifier is ignored, as jsonata-js ignores it).
    pub(crate) fn analyse(picture: &str, position: usize) -> Result<Self, Error> {
        match picture.rsplit_once(';') {
            None => Self::token(picture, false, position),
            Some((primary, modifier)) => Self::token(primary, modifier.starts_with('o'), position),
        }
    }

    /// A primary token (as date/time pictures carry it, modifier already split off).
    pub(crate) fn token(primary: &str, ordinal: bool, position: usize) -> Result<Self, Error> {
        let primary = match primary {
            "A" => Primary::Letters(Case::Upper),
            "a" => Primary::Letters(Case::Lower),
            "I" => Primary::Roman(Case::Upper),
            "i" => Primary::Roman(Case::Lower),
            "W" => Primary::Words(Case::Upper),
            "Ww" => Primary::Words(Case::Title),
            "w" => Primary::Words(Case::Lower),
            other => Self::decimal(other, position)?,
        };
        Ok(IntegerPicture { primary, ordinal })
    }

    /// A decimal digit pattern when the token has a decimal digit of some family; anything
    /// that is neither a digit nor `#` is a grouping separator.
    fn decimal(token: &str, position: usize) -> Result<Primary, Error> {
        let mut zero = None;
        let mut mandatory = 0;
        let mut optional = 0;
        let mut separators = Vec::new();
        let mut signs = 0;
        for c in token.chars().rev() {
            let code = c as u32;
            if let Some(&group) = DECIMAL_GROUPS
                .iter()
                .find(|&&g| (g..=g + 9).contains(&code))
            {
                mandatory += 1;
                signs += 1;
                if *zero.get_or_insert(group) != group {
                    return Err(Error::dynamic(
                        "D3131",
                        position,
                        "In a decimal digit pattern, all digits must be from the same decimal group",
                    ));
                }
            } else if c == '#' {
                signs += 1;
                optional += 1;
            } else {
                separators.push((signs, c));
            }
        }
        let Some(zero) = zero else {
            return Ok(Primary::Sequence(token.to_string()));
        };
        let positions: Vec<usize> = separators.iter().map(|&(p, _)| p).collect();
        let one_character = separators.windows(2).all(|w| w[0].1 == w[1].1);
        let regular = if one_character {
            regular_interval(&positions)
        } else {
            0
        };
        Ok(Primary::Decimal(DecimalPattern {
            zero,
            mandatory,
            optional,
            separators,
            regular,
        }))
    }

    /// A decimal digit pattern's mandatory and optional digit counts.
    pub(crate) fn digits(&self) -> Option<(usize, usize)> {
        match &self.primary {
            Primary::Decimal(d) => Some((d.mandatory, d.optional)),
            _ => None,
        }
    }

    /// Sets a decimal digit pattern's mandatory digits (date/time widths do).
    pub(crate) fn set_mandatory(&mut self, digits: usize) {
        if let Primary::Decimal(d) = &mut self.primary {
            d.mandatory = digits;
        }
    }

    /// A decimal digit pattern with regular grouping (`01:01` for time zones).
    pub(crate) fn is_regular(&self) -> bool {
        self.regular_separator().is_some()
    }

    /// The separator of a decimal digit pattern with regular grouping.
    pub(crate) fn regular_separator(&self) -> Option<char> {
        match &self.primary {
            Primary::Decimal(d) if d.regular > 0 => d.separators.first().map(|&(_, c)| c),
            _ => None,
        }
    }

    /// `value` (an integer) as the picture writes it (jsonata-js's `_formatInteger`).
    pub(crate) fn format(&self, value: f64, position: usize) -> Result<String, Error> {
        let negative = value < 0.0;
        let value = value.abs();
        let text = match &self.primary {
            Primary::Letters(case) => letters(value, *case),
            Primary::Roman(case) => {
                if value >= ROMAN_LIMIT {
                    return Err(Error::dynamic(
                        "U1001",
                        position,
                        format!("{value} is too large to write in roman numerals"),
                    ));
                }
                let text = roman(value);
                if *case == Case::Upper {
                    text.to_uppercase()
                } else {
                    text
                }
            }
            Primary::Words(case) => {
                // jsonata-js recurses without end on these (a stack overflow there).
                if !value.is_finite() {
                    return Err(Error::dynamic(
                        "U1001",
                        position,
                        format!("{value} cannot be written in words"),
                    ));
                }
                let text = words(value, false, self.ordinal);
                match case {
                    Case::Upper => text.to_uppercase(),
                    Case::Lower => text.to_lowercase(),
                    Case::Title => text,
                }
            }
            Primary::Decimal(pattern) => pattern.format(value, self.ordinal),
            Primary::Sequence(token) => return Err(sequence_error(token, position)),
        };
        Ok(if negative { format!("-{text}") } else { text })
    }

    /// The regular expression (for `regex`, case-insensitive) that jsonata-js matches this
    /// picture's text with in a date/time picture; `digits` is the exact digit count a year,
    /// month or day has there ([Y0001], [M01]).
    pub(crate) fn regex(&self, digits: Option<usize>, position: usize) -> Result<String, Error> {
        Ok(match &self.primary {
            Primary::Letters(Case::Upper) => "[A-Z]+".into(),
            Primary::Letters(_) => "[a-z]+".into(),
            Primary::Roman(Case::Upper) => "[MDCLXVI]+".into(),
            Primary::Roman(_) => "[mdclxvi]+".into(),
            Primary::Words(_) => {
                // Every number word (in jsonata-js's order, which decides between prefixes
                // such as "nine" and "nineteen"), "and", and the separators.
                let mut alternatives = word_keys();
                alternatives.push("and".into());
                alternatives.push(r"[\-, ]".into());
                format!("(?:{})+", alternatives.join("|"))
            }
            Primary::Decimal(d) => {
                // The optional digits may be absent: [M#1] reads one or two digits.
                let mut regex = match digits.filter(|&n| n > 0) {
                    Some(n) if d.optional == 0 => format!("[0-9]{{{n}}}"),
                    Some(n) => format!("[0-9]{{{},{n}}}", n.saturating_sub(d.optional)),
                    None => "[0-9]+".into(),
                };
                if self.ordinal {
                    regex.push_str("(?:th|st|nd|rd)");
                }
                regex
            }
            Primary::Sequence(token) => return Err(sequence_error(token, position)),
        })
    }

    /// The number `text` writes (jsonata-js's parsers, which do not check the text against
    /// the picture first); `None` where JavaScript would compute NaN.
    pub(crate) fn parse(&self, text: &str, position: usize) -> Result<Option<f64>, Error> {
        Ok(match &self.primary {
            Primary::Letters(case) => Some(letters_value(text, *case)),
            Primary::Roman(case) => {
                // jsonata-js upper-cases the text for `i` only: "mcm" does not read as `I`.
                let text = if *case == Case::Upper {
                    text.to_string()
                } else {
                    text.to_uppercase()
                };
                roman_value(&text)
            }
            Primary::Words(_) => words_value(&text.to_lowercase()),
            Primary::Decimal(pattern) => pattern.parse(text, self.ordinal),
            Primary::Sequence(token) => return Err(sequence_error(token, position)),
        })
    }
}

fn sequence_error(token: &str, position: usize) -> Error {
    Error::dynamic(
        "D3130",
        position,
        format!("Formatting or parsing an integer as a sequence starting with {token} is not supported by this implementation"),
    )
}

impl DecimalPattern {
    fn format(&self, value: f64, ordinal: bool) -> String {
        let mut s: Vec<char> = js_number_string(value).chars().collect();
        while s.len() < self.mandatory {
            s.insert(0, '0');
        }
        if self.zero != 0x30 {
            s = s
                .into_iter()
                .map(|c| char::from_u32(c as u32 + self.zero - 0x30).unwrap_or(c))
                .collect();
        }
        // `regular` is 0 for irregular grouping (or none).
        if let Some(groups) = s.len().saturating_sub(1).checked_div(self.regular) {
            let separator = self.separators.first().map_or(',', |&(_, c)| c);
            for i in (1..=groups).rev() {
                let at = s.len() - i * self.regular;
                s.insert(at, separator);
            }
        } else {
            // Leftmost separator first, each counted from the right. A position beyond the
            // digits is where JavaScript's `substr` goes astray: the separator comes first and
            // the text before the corresponding index is dropped. Kept, to give what jsonata-js
            // gives.
            for &(from_right, separator) in self.separators.iter().rev() {
                let at = s.len() as i64 - from_right as i64;
                if at >= 0 {
                    s.insert(at as usize, separator);
                } else {
                    let keep_from = js_slice_index(at, s.len());
                    s.drain(..keep_from);
                    s.insert(0, separator);
                }
            }
        }
        let mut text: String = s.iter().collect();
        if ordinal {
            let last = s.last().copied();
            let tens = s.len().checked_sub(2).map(|i| s[i]);
            let suffix = match last {
                _ if tens == Some('1') => "th",
                Some('1') => "st",
                Some('2') => "nd",
                Some('3') => "rd",
                _ => "th",
            };
            text.push_str(suffix);
        }
        text
    }

    /// The digits with the ordinal suffix and separators removed, read like JavaScript's
    /// `parseInt` (leading digits; none is NaN).
    fn parse(&self, text: &str, ordinal: bool) -> Option<f64> {
        let mut s: Vec<char> = text.chars().collect();
        if ordinal {
            s.truncate(s.len().saturating_sub(2));
        }
        if self.regular > 0 {
            // jsonata-js strips commas here, whatever the pattern's separator.
            s.retain(|&c| c != ',');
        } else {
            s.retain(|c| !self.separators.iter().any(|(_, sep)| sep == c));
        }
        if self.zero != 0x30 {
            s = s
                .into_iter()
                .map(|c| {
                    (c as u32)
                        .checked_sub(self.zero - 0x30)
                        .and_then(char::from_u32)
                })
                .collect::<Option<_>>()?;
        }
        let text: String = s.into_iter().collect();
        let (negative, digits) = leading_integer(&text);
        let n = digits.parse::<f64>().ok()?;
        Some(if negative { -n } else { n })
    }
}

/// How JavaScript's `parseInt` reads decimal text: leading whitespace, an optional sign, then
/// the leading ASCII digits (none is NaN to the caller). Returns (negative, digits).
pub(crate) fn leading_integer(text: &str) -> (bool, &str) {
    let text = text.trim_start();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    (negative, &rest[..end])
}

/// Spreadsheet column letters: 1 is `a`, 26 `z`, 27 `aa`.
fn letters(value: f64, case: Case) -> String {
    let a = if case == Case::Upper { 'A' } else { 'a' };
    let mut out = Vec::new();
    let mut rest = value;
    while rest > 0.0 {
        let offset = ((rest - 1.0) % 26.0) as u32;
        out.push(char::from_u32(a as u32 + offset).unwrap_or(a));
        rest = ((rest - 1.0) / 26.0).floor();
    }
    out.into_iter().rev().collect()
}

fn letters_value(text: &str, case: Case) -> f64 {
    let a = f64::from(if case == Case::Upper { b'A' } else { b'a' });
    text.chars()
        .rev()
        .enumerate()
        .map(|(i, c)| (f64::from(c as u32) - a + 1.0) * 26f64.powf(i as f64))
        .sum()
}

fn roman(value: f64) -> String {
    let mut rest = value;
    let mut out = String::new();
    for (n, numeral) in ROMAN {
        while rest >= n {
            out.push_str(numeral);
            rest -= n;
        }
    }
    out
}

/// Roman numerals read right to left, a smaller numeral before a larger one subtracting.
fn roman_value(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut max = 1.0;
    for c in text.chars().rev() {
        let value = match c {
            'M' => 1000.0,
            'D' => 500.0,
            'C' => 100.0,
            'L' => 50.0,
            'X' => 10.0,
            'V' => 5.0,
            'I' => 1.0,
            _ => return None,
        };
        if value < max {
            total -= value;
        } else {
            max = value;
            total += value;
        }
    }
    Some(total)
}

/// English words in title case, as jsonata-js's `numberToWords` writes them ("Two Thousand,
/// Seven Hundred and Eighty-Nine"), in floating point like it: past the trillions the
/// magnitudes repeat ("Ten Billion Trillion Trillion Trillion" is 1e46).
fn words(num: f64, after: bool, ordinal: bool) -> String {
    // jsonata-js tests `<= 19`: the same for the integers written here, and `< 20` keeps
    // every index in range.
    if num < 20.0 {
        let table = if ordinal { &ORDINALS } else { &FEW };
        let and = if after { " and " } else { "" };
        format!("{and}{}", table[num as usize])
    } else if num < 100.0 {
        let tens = (num / 10.0).floor() as usize;
        let rest = num % 10.0;
        let and = if after { " and " } else { "" };
        let mut w = format!("{and}{}", DECADES[tens - 2]);
        if rest > 0.0 {
            w = format!("{w}-{}", words(rest, false, ordinal));
        } else if ordinal {
            w.pop();
            w.push_str("ieth");
        }
        w
    } else if num < 1000.0 {
        let hundreds = (num / 100.0).floor() as usize;
        let rest = num % 100.0;
        let comma = if after { ", " } else { "" };
        let mut w = format!("{comma}{} Hundred", FEW[hundreds]);
        if rest > 0.0 {
            w.push_str(&words(rest, true, ordinal));
        } else if ordinal {
            w.push_str("th");
        }
        w
    } else {
        let magnitude = ((num.log10() / 3.0).floor() as usize).min(MAGNITUDES.len());
        let factor = 10f64.powi(magnitude as i32 * 3);
        let mantissa = (num / factor).floor();
        let rest = num - mantissa * factor;
        let comma = if after { ", " } else { "" };
        let mut w = format!(
            "{comma}{} {}",
            words(mantissa, false, false),
            MAGNITUDES[magnitude - 1]
        );
        if rest > 0.0 {
            w.push_str(&words(rest, true, ordinal));
        } else if ordinal {
            w.push_str("th");
        }
        w
    }
}

/// Every lower-case number word, cardinal and ordinal, in the order jsonata-js's `wordValues`
/// gets them.
fn word_keys() -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |k: String| {
        if !keys.contains(&k) {
            keys.push(k);
        }
    };
    for w in FEW.iter().chain(ORDINALS.iter()) {
        add(w.to_lowercase());
    }
    for d in DECADES {
        let lower = d.to_lowercase();
        let ieth = format!("{}ieth", &lower[..lower.len() - 1]);
        add(lower);
        add(ieth);
    }
    add("hundredth".into());
    for m in MAGNITUDES {
        let lower = m.to_lowercase();
        let th = format!("{lower}th");
        add(lower);
        add(th);
    }
    keys
}

/// The value of one lower-case number word, cardinal or ordinal (jsonata-js's `wordValues`).
fn word_value(word: &str) -> Option<f64> {
    let find = |table: &[&str]| table.iter().position(|w| w.eq_ignore_ascii_case(word));
    if let Some(i) = find(&FEW).or_else(|| find(&ORDINALS)) {
        return Some(i as f64);
    }
    for (i, decade) in DECADES.iter().enumerate() {
        let lower = decade.to_lowercase();
        let ieth = format!("{}ieth", &lower[..lower.len() - 1]);
        if word == lower || word == ieth {
            return Some((i as f64 + 2.0) * 10.0);
        }
    }
    if word == "hundredth" {
        return Some(100.0);
    }
    MAGNITUDES.iter().enumerate().find_map(|(i, m)| {
        let lower = m.to_lowercase();
        (word == lower || word == format!("{lower}th")).then(|| 10f64.powi(3 * (i as i32 + 1)))
    })
}

/// Lower-case words to a number (jsonata-js's `wordsToNumber`): words below 100 add to the
/// current group, larger ones multiply it, and a group that reached a thousand is closed.
fn words_value(text: &str) -> Option<f64> {
    static SPLIT: OnceLock<Regex> = OnceLock::new();
    let split = SPLIT.get_or_init(|| {
        Regex::new(r",\s|\sand\s|[\s\\-]").unwrap_or_else(|e| unreachable!("constant pattern: {e}"))
    });
    let mut groups = vec![0.0];
    for part in split.split(text) {
        let value = word_value(part)?;
        let top = groups.pop().unwrap_or(0.0);
        if value < 100.0 {
            if top >= 1000.0 {
                groups.push(top);
                groups.push(value);
            } else {
                groups.push(top + value);
            }
        } else {
            groups.push(top * value);
        }
    }
    Some(groups.iter().sum())
}

fn format_integer(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(n) = a.number(0)? else {
        return Ok(Value::Undefined);
    };
    let picture = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let format = IntegerPicture::analyse(&picture, a.position)?;
    Ok(Value::string(format.format(n.floor(), a.position)?))
}

fn parse_integer(_: &Evaluator, a: &mut Args) -> Result<Value, Error> {
    let Some(s) = a.string(0)? else {
        return Ok(Value::Undefined);
    };
    let picture = a.string(1)?.ok_or_else(|| a.mismatch(1))?;
    let format = IntegerPicture::analyse(&picture, a.position)?;
    // Where jsonata-js computes NaN (a word or numeral it does not know, no digits), an error.
    match format.parse(&s, a.position)? {
        Some(n) => Ok(Value::Number(n)),
        None => Err(Error::dynamic(
            "D3030",
            a.position,
            format!("Unable to parse \"{s}\" with the picture \"{picture}\""),
        )),
    }
}
