//! Where the log prefilter looks for each literal: at a 3-byte fingerprint inside it.
//!
//! The SIMD searcher (Teddy) tests the first three bytes of each of its patterns against eight
//! buckets per step. Searching for the signatures' literals themselves puts five of them in a
//! bucket, and the bucket then also fires on everything their nibbles combine into (`msg`, `The`,
//! `con`, ...), so scanning for 14 profiles cost 2.3 times scanning for one. Instead, each
//! literal is found through a fingerprint: a 3-byte piece of it that is rare in ordinary log
//! text (estimated from `ordinary_logs.txt`) and that it shares with as many other literals as
//! possible, so that the whole set fits in the eight buckets with one fingerprint each. A hit on
//! a fingerprint is confirmed by comparing the literals that own it around the hit.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Teddy's mask length: how many leading bytes of a pattern its SIMD step tests.
pub(super) const FINGERPRINT_BYTES: usize = 3;
/// Slim Teddy's buckets: fingerprints beyond this many share buckets and fire more often.
const BUCKETS: usize = 8;
/// Ordinary log lines from many apps and formats: the text fingerprints should be rare in.
const ORDINARY_LOGS: &str = include_str!("ordinary_logs.txt");
/// What one more fingerprint costs, in expected hits per byte of ordinary text, tried from the
/// cheapest up until the fingerprints fit the buckets: rarer fingerprints first, fewer if needed.
const BUCKET_PRICES: [f64; 12] = [
    0.0, 1e-4, 2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2, 1e-1,
];

/// A literal, found through a fingerprint at `offset` bytes into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Member {
    pub literal: Vec<u8>,
    pub offset: usize,
}

/// One pattern for the searcher: a fingerprint plus the bytes after it that all of its members
/// share, and the literals to confirm around a hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Anchor {
    pub pattern: Vec<u8>,
    pub members: Vec<Member>,
}

/// Anchors covering every literal (each at least [`FINGERPRINT_BYTES`] long), in the order that
/// spreads them over the searcher's buckets best.
pub(super) fn anchors(literals: &[Vec<u8>]) -> Vec<Anchor> {
    debug_assert!(literals.iter().all(|l| l.len() >= FINGERPRINT_BYTES));
    if literals.is_empty() {
        return Vec::new();
    }
    let text = OrdinaryText::new(literals);
    let candidates = candidates(literals, &text);
    let mut chosen = Vec::new();
    for price in BUCKET_PRICES {
        chosen = cover(literals.len(), &candidates, price);
        if units(&chosen).len() <= BUCKETS {
            break;
        }
    }
    let anchors = chosen
        .iter()
        .map(|fingerprint| anchor_for(fingerprint, &chosen, literals))
        .filter(|anchor| !anchor.members.is_empty())
        .collect();
    order_for_buckets(anchors, &text)
}

/// How often 3-byte strings occur in ordinary log text.
struct OrdinaryText {
    /// Occurrences of the 3-byte pieces of the literals.
    counts: HashMap<[u8; 3], u32, BuildHasherDefault<PieceHasher>>,
    /// Frequency of each byte (add-one smoothed), for strings the sample does not contain.
    byte_frequency: [f64; 256],
    positions: f64,
}

impl OrdinaryText {
    fn new(literals: &[Vec<u8>]) -> OrdinaryText {
        let mut counts: HashMap<[u8; 3], u32, BuildHasherDefault<PieceHasher>> = literals
            .iter()
            .flat_map(|literal| literal.windows(FINGERPRINT_BYTES).map(trigram))
            .map(|piece| (piece, 0))
            .collect();
        let mut bytes = [1.0f64; 256];
        let mut total = 256.0;
        let mut positions = 0.0;
        for line in ORDINARY_LOGS.lines() {
            for &byte in line.as_bytes() {
                bytes[usize::from(byte)] += 1.0;
                total += 1.0;
            }
            for window in line.as_bytes().windows(FINGERPRINT_BYTES) {
                positions += 1.0;
                if let Some(count) = counts.get_mut(&trigram(window)) {
                    *count += 1;
                }
            }
        }
        OrdinaryText {
            counts,
            byte_frequency: bytes.map(|count| count / total),
            positions,
        }
    }

    /// Expected occurrences per byte of ordinary text: counted where the sample has the piece,
    /// and from byte frequencies otherwise (a sample of 10 KB cannot tell rare from absent).
    fn rate(&self, piece: [u8; 3]) -> f64 {
        let counted = f64::from(self.counts.get(&piece).copied().unwrap_or(0)) / self.positions;
        counted
            + piece
                .iter()
                .map(|&b| self.byte_frequency[usize::from(b)])
                .product::<f64>()
    }

    /// Expected hits per byte of a bucket holding `fingerprints`: Teddy accepts every byte whose
    /// low and high nibbles each occur at that position in some fingerprint of the bucket.
    fn bucket_rate(&self, fingerprints: &[[u8; 3]]) -> f64 {
        (0..FINGERPRINT_BYTES)
            .map(|position| {
                let (low, high) = fingerprints.iter().fold((0u16, 0u16), |(low, high), f| {
                    (
                        low | 1 << (f[position] & 15),
                        high | 1 << (f[position] >> 4),
                    )
                });
                (0..=255u8)
                    .filter(|b| low & 1 << (b & 15) != 0 && high & 1 << (b >> 4) != 0)
                    .map(|b| self.byte_frequency[usize::from(b)])
                    .sum::<f64>()
            })
            .product()
    }
}

/// A multiplicative hash for 3-byte keys: counting the sample's 10,000 pieces happens at every
/// cold start, and in a `BTreeMap` it took 0.4 ms.
#[derive(Default)]
struct PieceHasher(u64);

impl Hasher for PieceHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 << 8 | u64::from(byte)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn trigram(window: &[u8]) -> [u8; 3] {
    [window[0], window[1], window[2]]
}

fn contains(literal: &[u8], piece: &[u8; 3]) -> bool {
    literal.windows(FINGERPRINT_BYTES).any(|w| w == piece)
}

/// A 3-byte piece of some literals: how often it occurs in ordinary text, and which literals
/// contain it.
struct Candidate {
    piece: [u8; 3],
    rate: f64,
    owners: Vec<usize>,
}

fn candidates(literals: &[Vec<u8>], text: &OrdinaryText) -> Vec<Candidate> {
    let mut owners: BTreeMap<[u8; 3], Vec<usize>> = BTreeMap::new();
    for (index, literal) in literals.iter().enumerate() {
        for window in literal.windows(FINGERPRINT_BYTES) {
            let list = owners.entry(trigram(window)).or_default();
            if list.last() != Some(&index) {
                list.push(index);
            }
        }
    }
    owners
        .into_iter()
        .map(|(piece, owners)| Candidate {
            piece,
            rate: text.rate(piece),
            owners,
        })
        .collect()
}

/// Greedy weighted set cover: repeatedly the fingerprint with the lowest cost per literal it
/// newly covers, where a fingerprint costs its rate in ordinary text plus `price`.
fn cover(literal_count: usize, candidates: &[Candidate], price: f64) -> Vec<[u8; 3]> {
    let mut pieces_of: Vec<Vec<usize>> = vec![Vec::new(); literal_count];
    for (index, candidate) in candidates.iter().enumerate() {
        for &owner in &candidate.owners {
            pieces_of[owner].push(index);
        }
    }
    let mut uncovered_owners: Vec<usize> = candidates.iter().map(|c| c.owners.len()).collect();
    let mut covered = vec![false; literal_count];
    let mut chosen = Vec::new();
    loop {
        let best = candidates
            .iter()
            .zip(&uncovered_owners)
            .enumerate()
            .filter(|(_, (_, new))| **new > 0)
            .map(|(index, (candidate, &new))| ((candidate.rate + price) / new as f64, index))
            .min_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(candidates[a.1].piece.cmp(&candidates[b.1].piece))
            });
        let Some((_, best)) = best else { break };
        for &literal in &candidates[best].owners {
            if !std::mem::replace(&mut covered[literal], true) {
                for &piece in &pieces_of[literal] {
                    uncovered_owners[piece] -= 1;
                }
            }
        }
        chosen.push(candidates[best].piece);
    }
    chosen
}

/// The anchor of `fingerprint`: the literals whose first chosen fingerprint it is.
fn anchor_for(fingerprint: &[u8; 3], chosen: &[[u8; 3]], literals: &[Vec<u8>]) -> Anchor {
    let mut members: Vec<Member> = literals
        .iter()
        .filter(|literal| chosen.iter().find(|f| contains(literal, f)) == Some(fingerprint))
        .map(|literal| Member {
            literal: literal.clone(),
            offset: literal
                .windows(FINGERPRINT_BYTES)
                .position(|w| w == fingerprint)
                .expect("the fingerprint was chosen from this literal"),
        })
        .collect();
    members.sort_by(|a, b| a.literal.cmp(&b.literal));
    members.dedup();
    // Every member continues the same way for a while after the fingerprint: let the searcher
    // check those bytes too.
    let mut pattern = fingerprint.to_vec();
    if let Some(first) = members.first() {
        let rest = &first.literal[first.offset + FINGERPRINT_BYTES..];
        let shared = (0..rest.len())
            .take_while(|&i| {
                members
                    .iter()
                    .all(|m| m.literal.get(m.offset + FINGERPRINT_BYTES + i) == Some(&rest[i]))
            })
            .count();
        pattern.extend_from_slice(&rest[..shared]);
    }
    Anchor { pattern, members }
}

/// What Teddy groups patterns by: fingerprints with equal low nibbles (`abase`, `ABASE`) go to
/// one bucket whatever their order.
pub(super) fn low_nibbles(fingerprint: &[u8]) -> [u8; 3] {
    trigram(fingerprint).map(|b| b & 15)
}

/// Fingerprints grouped as Teddy groups them.
fn units(fingerprints: &[[u8; 3]]) -> Vec<Vec<[u8; 3]>> {
    let mut units: BTreeMap<[u8; 3], Vec<[u8; 3]>> = BTreeMap::new();
    for f in fingerprints {
        units.entry(low_nibbles(f)).or_default().push(*f);
    }
    units.into_values().collect()
}

/// Orders anchors so that, where there are more units than buckets, the units that share a
/// bucket are the ones whose nibbles combine into the fewest extra hits. aho-corasick's Teddy
/// gives a pattern with new low nibbles the bucket `7 - id % 8` (its `Teddy::new`); if that ever
/// changes, only speed changes, never what is found.
fn order_for_buckets(anchors: Vec<Anchor>, text: &OrdinaryText) -> Vec<Anchor> {
    let fingerprint = |anchor: &Anchor| trigram(&anchor.pattern);
    let mut units: Vec<Vec<Anchor>> = Vec::new();
    for anchor in anchors {
        let low = low_nibbles(&anchor.pattern);
        match units
            .iter_mut()
            .find(|unit| low_nibbles(&unit[0].pattern) == low)
        {
            Some(unit) => unit.push(anchor),
            None => units.push(vec![anchor]),
        }
    }
    let rounds = units.len().div_ceil(BUCKETS).max(1);
    // The last round is partial: only its first `full` slots get a unit.
    let full = units.len() - BUCKETS * (rounds - 1);
    let capacity = |slot: usize| if slot < full { rounds } else { rounds - 1 };
    let unit_fingerprints = |unit: &[Anchor]| unit.iter().map(&fingerprint).collect::<Vec<_>>();
    // Place the busiest units first, each where it adds the least.
    units.sort_by(|a, b| {
        text.bucket_rate(&unit_fingerprints(b))
            .total_cmp(&text.bucket_rate(&unit_fingerprints(a)))
    });
    let mut slots: Vec<Vec<Vec<Anchor>>> = (0..BUCKETS).map(|_| Vec::new()).collect();
    for unit in units {
        let mut best: Option<(f64, usize)> = None;
        for (slot, placed) in slots.iter().enumerate() {
            if placed.len() >= capacity(slot) {
                continue;
            }
            let mut together: Vec<[u8; 3]> =
                placed.iter().flat_map(|u| unit_fingerprints(u)).collect();
            let before = if together.is_empty() {
                0.0
            } else {
                text.bucket_rate(&together)
            };
            together.extend(unit_fingerprints(&unit));
            let added = text.bucket_rate(&together) - before;
            if best.is_none_or(|(least, _)| added < least) {
                best = Some((added, slot));
            }
        }
        let (_, slot) = best.expect("capacities add up to the number of units");
        slots[slot].push(unit);
    }
    // The first anchor of each unit takes id `round * 8 + slot`; the rest of a unit follow
    // anywhere after, as Teddy groups them with the first by their low nibbles.
    let mut firsts = Vec::new();
    let mut rest = Vec::new();
    for round in 0..rounds {
        for slot in &mut slots {
            if round < slot.len() {
                let mut unit = std::mem::take(&mut slot[round]).into_iter();
                firsts.extend(unit.next());
                rest.extend(unit);
            }
        }
    }
    firsts.extend(rest);
    firsts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(literals: &[&str]) -> Vec<Vec<u8>> {
        literals.iter().map(|l| l.as_bytes().to_vec()).collect()
    }

    #[test]
    fn every_literal_belongs_to_exactly_one_anchor_at_its_fingerprint() {
        let literals = bytes(&[
            "Using built-in PostgreSQL (",
            "Failed to start built-in PostgreSQL",
            "connect to postgres: retrying",
            "Creating SQLite database file",
            "Failed to connect to the database",
            "PING DATABASE sqlite3",
            "://",
        ]);
        let anchors = anchors(&literals);
        for literal in &literals {
            let owners: Vec<&Member> = anchors
                .iter()
                .flat_map(|a| &a.members)
                .filter(|m| &m.literal == literal)
                .collect();
            assert_eq!(owners.len(), 1, "{}", String::from_utf8_lossy(literal));
        }
        for anchor in &anchors {
            for member in &anchor.members {
                assert!(
                    member.literal[member.offset..].starts_with(&anchor.pattern),
                    "{anchor:?}"
                );
            }
        }
    }

    #[test]
    fn fingerprints_avoid_the_pieces_ordinary_text_is_full_of() {
        let literals = bytes(&[
            "Failed to connect to the database",
            "Can not connect to database. Please check connectivity",
        ]);
        let text = OrdinaryText::new(&literals);
        for anchor in anchors(&literals) {
            let chosen = trigram(&anchor.pattern);
            for common in [b"to ", b"con", b"the", b"ed ", b"ect"] {
                assert!(
                    text.rate(chosen) < text.rate(*common) / 10.0,
                    "{} is not much rarer than {}",
                    String::from_utf8_lossy(&chosen),
                    String::from_utf8_lossy(common)
                );
            }
        }
    }

    #[test]
    fn more_literals_than_buckets_share_fingerprints() {
        let literals: Vec<Vec<u8>> = (0..12)
            .map(|i| format!("Q{i}Z: the database is gone").into_bytes())
            .chain((0..12).map(|i| format!("Q{i}Y: the PostgreSQL server is gone").into_bytes()))
            .collect();
        let anchors = anchors(&literals);
        let fingerprints: Vec<[u8; 3]> = anchors.iter().map(|a| trigram(&a.pattern)).collect();
        assert!(units(&fingerprints).len() <= BUCKETS, "{fingerprints:?}");
        assert_eq!(
            anchors.iter().map(|a| a.members.len()).sum::<usize>(),
            literals.len()
        );
    }

    #[test]
    fn fingerprints_beyond_the_buckets_are_spread_evenly() {
        let literals: Vec<Vec<u8>> = (0..20)
            .map(|i| format!("Q{}X{}", (b'a' + i) as char, (b'A' + i) as char).into_bytes())
            .collect();
        let anchors = anchors(&literals);
        let fingerprints: Vec<[u8; 3]> = anchors.iter().map(|a| trigram(&a.pattern)).collect();
        let unit_count = units(&fingerprints).len();
        assert!(unit_count > BUCKETS, "the test needs shared buckets");
        // Replay Teddy's assignment: new low nibbles take bucket 7 - id % 8.
        let mut bucket_of: BTreeMap<[u8; 3], usize> = BTreeMap::new();
        let mut units_in = [0usize; BUCKETS];
        for (id, f) in fingerprints.iter().enumerate() {
            let low = low_nibbles(f);
            if let std::collections::btree_map::Entry::Vacant(entry) = bucket_of.entry(low) {
                let bucket = BUCKETS - 1 - id % BUCKETS;
                entry.insert(bucket);
                units_in[bucket] += 1;
            }
        }
        let share = unit_count.div_ceil(BUCKETS);
        assert!(units_in.iter().all(|&n| n <= share), "{units_in:?}");
    }
}
