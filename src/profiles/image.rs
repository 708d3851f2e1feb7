//! Image references as ECS task definitions write them, and which version of an app they run.
//!
//! `image` in a container definition is a Docker reference: `[REGISTRY/]PATH[:TAG][@DIGEST]`.
//! Apps change setting names, defaults and data directories between versions, so a profile
//! selects facts by the tag: a version range compared number by number (`< 17`), a named tag
//! (`legacy`), a suffix (`-rootless`) or a whole repository (`jboss/keycloak`).

use std::cmp::Ordering;
use std::fmt;

/// The repository path of an image reference, without registry, tag or digest:
/// `ghcr.io/coder/coder:v2.18.0` -> `coder/coder`,
/// `123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/coder/coder@sha256:..` -> `mirror/coder/coder`,
/// `docker.io/library/nginx` -> `nginx`.
pub fn image_repository(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let without_tag = match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    };
    let path = match without_tag.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            rest
        }
        _ => without_tag,
    };
    path.strip_prefix("library/").unwrap_or(path)
}

/// The tag of an image reference, if it has one: `gitea/gitea:1.22-rootless` -> `1.22-rootless`.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let colon = without_digest.rfind(':')?;
    let tag = &without_digest[colon + 1..];
    (!tag.contains('/') && !tag.is_empty()).then_some(tag)
}

/// Whether `repository` is `wanted` or ends with `/wanted` (a mirror's prefix is allowed).
pub fn repository_matches(repository: &str, wanted: &str) -> bool {
    repository.eq_ignore_ascii_case(wanted)
        || (repository.len() > wanted.len()
            && repository.as_bytes()[repository.len() - wanted.len() - 1] == b'/'
            && repository[repository.len() - wanted.len()..].eq_ignore_ascii_case(wanted))
}

/// A version as tags write it: numbers separated by dots, after an optional `v`
/// (`v2.18.0`, `26.0`, `1.23.16-debian`, `10-community`). What follows the numbers (a
/// pre-release or flavour) does not take part in comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagVersion {
    numbers: Vec<u64>,
}

impl TagVersion {
    /// Reads the leading version of a tag; `None` for tags such as `latest` or `lts-jdk17`.
    pub fn parse(tag: &str) -> Option<TagVersion> {
        let digits = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
        let mut numbers = Vec::new();
        let mut rest = digits;
        loop {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if end == 0 || end > 9 {
                return None;
            }
            numbers.push(rest[..end].parse().ok()?);
            rest = &rest[end..];
            match rest.strip_prefix('.') {
                Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
                _ => break,
            }
        }
        // `1.23.16-debian`, `2.0.0-beta.1`, `10-community`: a flavour follows a separator.
        // `16a` or `1x` are not versions.
        if !rest.is_empty() && !rest.starts_with(['-', '_', '+', '.']) {
            return None;
        }
        Some(TagVersion { numbers })
    }

    /// The versions a tag stands for: `1.23` is every `1.23.x`, i.e. `[1.23, 1.24)`; a full
    /// `1.23.16` is `[1.23.16, 1.23.17)`.
    /// Whether this version comes before `other` (`2.9.4` before `2.10`).
    pub fn before(&self, other: &TagVersion) -> bool {
        compare(&self.numbers, &other.numbers) == Ordering::Less
    }

    fn span(&self) -> (&[u64], Vec<u64>) {
        let mut next = self.numbers.clone();
        if let Some(last) = next.last_mut() {
            *last += 1;
        }
        (&self.numbers, next)
    }
}

/// Compares versions number by number, missing numbers counting as 0 (`17` = `17.0.0`).
fn compare(a: &[u64], b: &[u64]) -> Ordering {
    for index in 0..a.len().max(b.len()) {
        let ordering = a
            .get(index)
            .copied()
            .unwrap_or(0)
            .cmp(&b.get(index).copied().unwrap_or(0));
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Whether a tag's versions fall in a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InRange {
    Yes,
    No,
    /// The tag stands for versions on both sides (`1` against `< 1.5`).
    Partly,
}

/// A half-open version range: `< 17`, `>= 2`, `>= 0.200, < 1`. Written by profiles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRange {
    /// Inclusive lower bound.
    from: Option<Vec<u64>>,
    /// Exclusive upper bound.
    below: Option<Vec<u64>>,
    text: String,
}

impl VersionRange {
    /// Parses `< X`, `>= X` or both, comma-separated. Only these two operators exist, so
    /// that every range is half-open and adjacent ranges never overlap.
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let mut range = VersionRange {
            from: None,
            below: None,
            text: text.trim().to_string(),
        };
        for part in text.split(',').map(str::trim) {
            let (bound, number) = if let Some(number) = part.strip_prefix(">=") {
                (&mut range.from, number)
            } else if let Some(number) = part.strip_prefix('<') {
                (&mut range.below, number)
            } else {
                return Err(format!(
                    "{part:?} is not `< VERSION` or `>= VERSION` (e.g. \"< 17\", \">= 1, < 2\")"
                ));
            };
            let version = TagVersion::parse(number.trim())
                .filter(|_| !number.trim().contains(['-', '_', '+']))
                .ok_or_else(|| {
                    format!("{:?} is not a version such as 17 or 1.23.4", number.trim())
                })?;
            if bound.replace(version.numbers).is_some() {
                return Err(format!("{text:?} gives the same bound twice"));
            }
        }
        if let (Some(from), Some(below)) = (&range.from, &range.below)
            && compare(from, below) != Ordering::Less
        {
            return Err(format!("{text:?} is empty"));
        }
        Ok(range)
    }

    /// Whether the versions `version` stands for are all, none or some in the range.
    pub fn contains(&self, version: &TagVersion) -> InRange {
        let (low, high) = version.span();
        // Every version of the tag is in the range when the lowest is at or above `from`
        // and the highest below `below`; none when they all lie on one side.
        let mut all = true;
        let mut none = false;
        if let Some(from) = &self.from {
            all &= compare(low, from) != Ordering::Less;
            none |= compare(&high, from) != Ordering::Greater;
        }
        if let Some(below) = &self.below {
            all &= compare(&high, below) != Ordering::Greater;
            none |= compare(low, below) != Ordering::Less;
        }
        if none {
            InRange::No
        } else if all {
            InRange::Yes
        } else {
            InRange::Partly
        }
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Which images a set of version-dependent facts applies to. Any one criterion selects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageSelector {
    /// Repositories that always run these facts (`jboss/keycloak`).
    pub images: Vec<String>,
    /// Tags whose version lies in this range.
    pub versions: Option<VersionRange>,
    /// Tags named exactly so (`legacy`), without case.
    pub tags: Vec<String>,
    /// Tags ending so (`-legacy`, `-rootless`), without case.
    pub suffixes: Vec<String>,
}

impl ImageSelector {
    /// Whether `image` certainly, certainly not, or perhaps runs these facts.
    pub fn selects(&self, image: &str) -> InRange {
        let repository = image_repository(image);
        if self
            .images
            .iter()
            .any(|wanted| repository_matches(repository, wanted))
        {
            return InRange::Yes;
        }
        let Some(tag) = image_tag(image) else {
            return InRange::No;
        };
        if self.names_tag(tag) {
            return InRange::Yes;
        }
        match (&self.versions, TagVersion::parse(tag)) {
            (Some(range), Some(version)) => range.contains(&version),
            _ => InRange::No,
        }
    }

    /// Whether the tag is one this selector names, or ends in one of its suffixes.
    fn names_tag(&self, tag: &str) -> bool {
        let lower = tag.to_ascii_lowercase();
        self.tags
            .iter()
            .any(|named| named.eq_ignore_ascii_case(tag))
            || self
                .suffixes
                .iter()
                .any(|suffix| lower.ends_with(&suffix.to_ascii_lowercase()))
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
            && self.versions.is_none()
            && self.tags.is_empty()
            && self.suffixes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_repositories_ignore_registry_tag_and_digest() {
        assert_eq!(
            image_repository("ghcr.io/coder/coder:v2.18.0"),
            "coder/coder"
        );
        assert_eq!(image_repository("coder/coder"), "coder/coder");
        assert_eq!(
            image_repository(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/coder/coder@sha256:abc"
            ),
            "mirror/coder/coder"
        );
        assert_eq!(
            image_repository("localhost:5000/coder/coder:latest"),
            "coder/coder"
        );
        assert_eq!(image_repository("docker.io/library/nginx:1.27"), "nginx");
        assert!(repository_matches("mirror/coder/coder", "coder/coder"));
        assert!(!repository_matches("notcoder/coder", "coder/coder"));
        assert_eq!(image_tag("localhost:5000/gitea/gitea"), None);
        assert_eq!(
            image_tag("localhost:5000/gitea/gitea:1-rootless"),
            Some("1-rootless")
        );
        assert_eq!(image_tag("coder/coder@sha256:0123"), None);
    }

    #[test]
    fn tags_read_as_versions() {
        let numbers = |tag: &str| TagVersion::parse(tag).map(|v| v.numbers);
        assert_eq!(numbers("v2.18.0"), Some(vec![2, 18, 0]));
        assert_eq!(numbers("26.0"), Some(vec![26, 0]));
        assert_eq!(numbers("1.23.16-debian"), Some(vec![1, 23, 16]));
        assert_eq!(numbers("10-community"), Some(vec![10]));
        assert_eq!(numbers("2.0.0-beta.2"), Some(vec![2, 0, 0]));
        assert_eq!(numbers("16.1.1-legacy"), Some(vec![16, 1, 1]));
        for not_a_version in ["latest", "lts-jdk17", "legacy", "16a", "", "v", "nightly"] {
            assert_eq!(numbers(not_a_version), None, "{not_a_version}");
        }
    }

    #[test]
    fn ranges_compare_number_by_number_and_tags_stand_for_their_patch_releases() {
        let below_17 = VersionRange::parse("< 17").unwrap();
        let version = |tag: &str| TagVersion::parse(tag).unwrap();
        assert_eq!(below_17.contains(&version("16.1.1")), InRange::Yes);
        assert_eq!(below_17.contains(&version("12.0.2")), InRange::Yes);
        assert_eq!(below_17.contains(&version("16")), InRange::Yes);
        assert_eq!(below_17.contains(&version("17")), InRange::No);
        assert_eq!(below_17.contains(&version("17.0.0")), InRange::No);
        assert_eq!(below_17.contains(&version("26.0")), InRange::No);
        // 9 < 17 as numbers, not as text.
        assert_eq!(below_17.contains(&version("9.0.3")), InRange::Yes);
        let middle = VersionRange::parse(">= 1.5, < 2").unwrap();
        assert_eq!(middle.contains(&version("1")), InRange::Partly);
        assert_eq!(middle.contains(&version("1.5")), InRange::Yes);
        assert_eq!(middle.contains(&version("1.4.9")), InRange::No);
        assert_eq!(middle.contains(&version("2.0.0-beta.0")), InRange::No);
        for bad in ["17", "<= 17", "< x", ">= 2, < 1", "< 1, < 2", "< 1.2-beta"] {
            assert!(VersionRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn selectors_take_repositories_names_suffixes_and_ranges() {
        let legacy = ImageSelector {
            images: vec!["jboss/keycloak".to_string()],
            versions: Some(VersionRange::parse("< 17").unwrap()),
            tags: vec!["legacy".to_string()],
            suffixes: vec!["-legacy".to_string()],
        };
        for image in [
            "quay.io/keycloak/keycloak:12.0.2",
            "quay.io/keycloak/keycloak:legacy",
            "quay.io/keycloak/keycloak:17.0.1-legacy",
            "jboss/keycloak:latest",
            "jboss/keycloak",
        ] {
            assert_eq!(legacy.selects(image), InRange::Yes, "{image}");
        }
        for image in [
            "quay.io/keycloak/keycloak:26.0",
            "quay.io/keycloak/keycloak:latest",
            "quay.io/keycloak/keycloak",
            "quay.io/keycloak/keycloak@sha256:0123",
        ] {
            assert_eq!(legacy.selects(image), InRange::No, "{image}");
        }
    }
}
