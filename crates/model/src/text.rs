//! `Text`: an immutable shared string for the event text that repeats across a large list.
//!
//! A 100,000-stub list has about 560,000 task events, and their `DisplayMessage`,
//! `Message` and `Details` keys and values are a few thousand distinct strings ("Task
//! started by client", "exit_code", "0"). While `decode` runs, every `Text` it reads goes
//! through a pool, so equal text is one allocation shared by all the events that hold it.
//! Outside a decode a `Text` is simply its own `Arc<str>`.

use serde::de::{Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock};

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Arc<str>);

static EMPTY: LazyLock<Text> = LazyLock::new(|| Text(Arc::from("")));

thread_local! {
    static POOL: RefCell<Option<HashSet<Arc<str>>>> = const { RefCell::new(None) };
}

impl Text {
    /// Through the pool when a decode is running.
    pub fn intern(s: &str) -> Text {
        if s.is_empty() {
            return Text::default();
        }
        POOL.with(|p| match p.borrow_mut().as_mut() {
            Some(set) => match set.get(s) {
                Some(a) => Text(a.clone()),
                None => {
                    let a: Arc<str> = Arc::from(s);
                    set.insert(a.clone());
                    Text(a)
                }
            },
            None => Text(Arc::from(s)),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// While one is alive, `Text::intern` shares equal strings. Nested scopes share the
/// outermost one's pool, which is dropped with it.
#[derive(Debug)]
pub(crate) struct PoolScope {
    owner: bool,
}

impl PoolScope {
    pub(crate) fn enter() -> PoolScope {
        let owner = POOL.with(|p| {
            let mut p = p.borrow_mut();
            let owner = p.is_none();
            if owner {
                *p = Some(HashSet::new());
            }
            owner
        });
        PoolScope { owner }
    }
}

impl Drop for PoolScope {
    fn drop(&mut self) {
        if self.owner {
            POOL.with(|p| *p.borrow_mut() = None);
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        EMPTY.clone()
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::intern(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::intern(&s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&self.0)
    }
}

/// Reads exactly as `String` does (same errors), then interns.
impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text::intern(v))
            }
        }
        de.deserialize_string(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_shared_only_inside_a_pool_scope() {
        let (a, b) = (Text::from("Task started by client"), Text::from("Task started by client"));
        assert!(!Arc::ptr_eq(&a.0, &b.0));
        let scope = PoolScope::enter();
        let (c, d) = (Text::from("Task started by client"), Text::from("Task started by client"));
        assert!(Arc::ptr_eq(&c.0, &d.0));
        drop(scope);
        assert_eq!(a, c);
        POOL.with(|p| assert!(p.borrow().is_none()));
        let err = serde_json::from_str::<Text>("5").unwrap_err().to_string();
        assert_eq!(err, serde_json::from_str::<String>("5").unwrap_err().to_string());
    }
}
