//! Files left out of a comparison on both sides, by glob over their relative paths: how a run
//! folder is compared with an `expected/` that holds only what must not change between builds
//! (products), not what records the build (job records, provenance, the manifests over them).

use crate::CompareError;

/// Globs over `/`-separated relative paths. A path is excluded when a glob matches it or one of
/// the folders above it, so `outputs/.leadline` and `outputs/.leadline/**` both leave out every
/// job record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclude {
    globs: Vec<Glob>,
}

/// `*` and `?` match within one path segment; a segment that is exactly `**` matches any number
/// of segments (none included). Matching is case-sensitive, like the file systems products
/// land on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Glob {
    segments: Vec<Vec<char>>,
}

impl Exclude {
    /// Nothing excluded.
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a glob such as `outputs/.leadline/**`, `manifest.*` or `**/*.log`.
    pub fn add(&mut self, glob: &str) -> Result<(), CompareError> {
        let invalid = |reason: &str| CompareError::Exclude {
            glob: glob.to_owned(),
            reason: reason.to_owned(),
        };
        if glob.is_empty() {
            return Err(invalid("it is empty"));
        }
        if glob.starts_with('/') {
            return Err(invalid(
                "it is absolute; globs match paths relative to the compared folders",
            ));
        }
        let trimmed = glob.strip_suffix('/').unwrap_or(glob);
        let mut segments = Vec::new();
        for segment in trimmed.split('/') {
            match segment {
                "" => return Err(invalid("it has an empty path segment (`//`)")),
                "." | ".." => return Err(invalid("`.` and `..` segments never match")),
                s if s.contains("**") && s != "**" => {
                    return Err(invalid("`**` must be a whole path segment, as in `a/**/b`"))
                }
                s => segments.push(s.chars().collect()),
            }
        }
        self.globs.push(Glob { segments });
        Ok(())
    }

    /// Whether the file at `rel` (relative, `/`-separated) is left out.
    pub fn excludes(&self, rel: &str) -> bool {
        let segments: Vec<&str> = rel.split('/').collect();
        (1..=segments.len()).any(|depth| {
            self.globs
                .iter()
                .any(|glob| glob.matches(&segments[..depth]))
        })
    }
}

impl Glob {
    /// Dynamic programming over (glob segment, path segment), so `**` never backtracks
    /// exponentially.
    fn matches(&self, path: &[&str]) -> bool {
        let (globs, paths) = (self.segments.len(), path.len());
        // matched[i][j]: glob segments i.. match path segments j..
        let mut matched = vec![vec![false; paths + 1]; globs + 1];
        matched[globs][paths] = true;
        for i in (0..globs).rev() {
            let segment = &self.segments[i];
            for j in (0..=paths).rev() {
                matched[i][j] = if segment.len() == 2 && segment.iter().all(|&c| c == '*') {
                    matched[i + 1][j] || (j < paths && matched[i][j + 1])
                } else {
                    j < paths && segment_matches(segment, path[j]) && matched[i + 1][j + 1]
                };
            }
        }
        matched[0][0]
    }
}

/// `*` (any run of characters) and `?` (one character) within one segment; linear-time
/// backtracking to the last `*`.
fn segment_matches(glob: &[char], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some('*') => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                g += 1;
                t += 1;
            }
            _ => match star {
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exclude(globs: &[&str]) -> Exclude {
        let mut exclude = Exclude::none();
        for glob in globs {
            exclude.add(glob).unwrap();
        }
        exclude
    }

    #[test]
    fn globs_match_segments_and_folders_exclude_their_content() {
        let cases = [
            (
                "outputs/.leadline/**",
                "outputs/.leadline/jobs/a.json",
                true,
            ),
            ("outputs/.leadline", "outputs/.leadline/jobs/a.json", true),
            ("outputs/.leadline/", "outputs/.leadline/jobs/a.json", true),
            ("outputs/.leadline/**", "outputs/a_cog.tif", false),
            (".leadline/**", "outputs/.leadline/jobs/a.json", false),
            ("**/.leadline", "outputs/.leadline/jobs/a.json", true),
            ("manifest.*", "manifest.cbor", true),
            ("manifest.*", "outputs/manifest.cbor", false),
            ("*.cbor", "outputs.cbor", true),
            ("**/*.json", "provenance.json", true),
            ("**/*.json", "a/b/c.json", true),
            ("a/**/c", "a/c", true),
            ("a/**/c", "a/b/b/c", true),
            ("a/**/c", "a/b/cd", false),
            ("?_cog.tif", "a_cog.tif", true),
            ("?_cog.tif", "ab_cog.tif", false),
            ("*_qc.json", "bdb_01_qc.json", true),
            ("*", "a/b", true),
            ("Manifest.*", "manifest.cbor", false),
            ("*a*b*", "xxaxxbxx", true),
            ("*a*b", "xxaxxbxxc", false),
        ];
        for (glob, path, expected) in cases {
            assert_eq!(
                exclude(&[glob]).excludes(path),
                expected,
                "{glob} vs {path}"
            );
        }
        assert!(!Exclude::none().excludes("anything"));
    }

    #[test]
    fn many_stars_stay_fast() {
        let glob = format!("{}b", "**/".repeat(30));
        let path = vec!["a"; 40].join("/");
        assert!(!exclude(&[&glob]).excludes(&path));
        let segment = format!("{}b", "*a".repeat(30));
        assert!(!exclude(&[&segment]).excludes(&"a".repeat(200)));
    }

    #[test]
    fn bad_globs_are_named_with_the_reason() {
        for (bad, reason) in [
            ("", "empty"),
            ("/outputs/**", "absolute"),
            ("a//b", "empty path segment"),
            ("a/../b", "`..`"),
            ("a**/b", "whole path segment"),
        ] {
            let error = Exclude::none().add(bad).unwrap_err().to_string();
            assert!(
                error.contains(&format!("{bad:?}")) && error.contains(reason),
                "{error}"
            );
        }
    }
}
