//! Tests of the `Interest` and `Token` value types.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashSet};
use std::hash::{Hash, Hasher};

use minimio::{Interest, Token};

/// The readable and writable constants report exactly their own kind.
#[test]
fn interest_constants_report_their_kind() {
    assert!(Interest::READABLE.is_readable());
    assert!(!Interest::READABLE.is_writable());
    assert!(Interest::WRITABLE.is_writable());
    assert!(!Interest::WRITABLE.is_readable());
    assert_ne!(Interest::READABLE, Interest::WRITABLE);
}

/// On Linux the priority constant reports priority only, and combines like the others.
#[cfg(target_os = "linux")]
#[test]
fn interest_priority() {
    let p = Interest::PRIORITY;
    assert!(p.is_priority());
    assert!(!p.is_readable());
    assert!(!p.is_writable());
    assert!(!Interest::READABLE.is_priority());
    let all = Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY;
    assert!(all.is_readable() && all.is_writable() && all.is_priority());
    assert_eq!(
        all.remove(Interest::PRIORITY),
        Some(Interest::READABLE | Interest::WRITABLE)
    );
    assert_eq!(format!("{p:?}"), "PRIORITY");
    assert_eq!(format!("{all:?}"), "READABLE | WRITABLE | PRIORITY");
}

/// `|`, `|=` and `add` all produce the union, and the union is commutative and idempotent.
#[test]
fn interest_union() {
    let both = Interest::READABLE | Interest::WRITABLE;
    assert!(both.is_readable());
    assert!(both.is_writable());
    assert_eq!(both, Interest::WRITABLE | Interest::READABLE);
    assert_eq!(both, Interest::READABLE.add(Interest::WRITABLE));
    assert_eq!(Interest::READABLE | Interest::READABLE, Interest::READABLE);
    assert_eq!(both | Interest::READABLE, both);

    let mut interest = Interest::READABLE;
    interest |= Interest::WRITABLE;
    assert_eq!(interest, both);
    interest |= Interest::WRITABLE;
    assert_eq!(interest, both);

    // `add` is usable in constants.
    const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    assert_eq!(BOTH, both);
}

/// `remove` takes away the given kinds, leaves the rest, and returns `None` when nothing is left.
#[test]
fn interest_remove() {
    let both = Interest::READABLE | Interest::WRITABLE;
    assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
    assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
    assert_eq!(both.remove(both), None);
    assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    assert_eq!(Interest::WRITABLE.remove(Interest::WRITABLE), None);
    // Removing something that is not there changes nothing.
    assert_eq!(
        Interest::READABLE.remove(Interest::WRITABLE),
        Some(Interest::READABLE)
    );
}

/// `Debug` names the kinds, joined with " | " in readable, writable order.
#[test]
fn interest_debug() {
    assert_eq!(format!("{:?}", Interest::READABLE), "READABLE");
    assert_eq!(format!("{:?}", Interest::WRITABLE), "WRITABLE");
    assert_eq!(
        format!("{:?}", Interest::READABLE | Interest::WRITABLE),
        "READABLE | WRITABLE"
    );
    assert_eq!(
        format!("{:?}", Interest::WRITABLE | Interest::READABLE),
        "READABLE | WRITABLE"
    );
}

/// `Interest` is a `Copy` value with a total order, usable as a key in ordered sets.
#[test]
fn interest_copy_eq_ord() {
    let a = Interest::READABLE | Interest::WRITABLE;
    let b = a;
    assert_eq!(a, b);
    let set: BTreeSet<Interest> = [Interest::READABLE, Interest::WRITABLE, a, b]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 3);
    assert_eq!(a.cmp(&b), std::cmp::Ordering::Equal);
    assert_ne!(
        Interest::READABLE.cmp(&Interest::WRITABLE),
        std::cmp::Ordering::Equal
    );
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Tokens compare, order and hash by their number.
#[test]
fn token_eq_ord_hash() {
    assert_eq!(Token(3), Token(3));
    assert_ne!(Token(3), Token(4));
    assert!(Token(1) < Token(2));
    assert!(Token(usize::MAX) > Token(0));
    assert_eq!(Token(5).max(Token(9)), Token(9));
    let ordered: Vec<Token> = [Token(9), Token(1), Token(5), Token(1)]
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(ordered, vec![Token(1), Token(5), Token(9)]);
    assert_eq!(hash_of(&Token(42)), hash_of(&Token(42)));
    let set: HashSet<Token> = (0..100).map(Token).chain((0..100).map(Token)).collect();
    assert_eq!(set.len(), 100);
}

/// A token converts to the `usize` it holds, and its field is public.
#[test]
fn token_into_usize() {
    assert_eq!(usize::from(Token(0)), 0);
    assert_eq!(usize::from(Token(12345)), 12345);
    let n: usize = Token(usize::MAX).into();
    assert_eq!(n, usize::MAX);
    assert_eq!(Token(7).0, 7);
    let copy = Token(8);
    let other = copy;
    assert_eq!(copy, other);
    assert_eq!(format!("{:?}", Token(8)), "Token(8)");
}
