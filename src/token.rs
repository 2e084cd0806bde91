//! [`Token`]: the number that ties an event back to the source it is about.

/// Associates readiness events with the [`Source`](crate::event::Source) they belong to.
///
/// A token is chosen by the caller when a source is registered and comes back untouched in every
/// [`Event`](crate::event::Event) for that source. Typical choices are an index into a `Vec` or a
/// slab of connections, or a key of a `HashMap`. minimio attaches no meaning to any value:
/// `Token(0)` and `Token(usize::MAX)` are as ordinary as any other.
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use minimio::Token;
///
/// let mut names = HashMap::new();
/// names.insert(Token(7), "listener");
/// assert_eq!(names[&Token(7)], "listener");
/// assert_eq!(usize::from(Token(7)), 7);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(token: Token) -> usize {
        token.0
    }
}
