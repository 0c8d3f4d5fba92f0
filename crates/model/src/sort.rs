//! One sort for the whole crate (and the app). Every `sort_by` on a new element type or
//! closure instantiates the standard library's stable sort again (quicksort, driftsort and
//! small-sort networks: about 4 KB of wasm each). Here the sorting itself is one
//! non-generic function over `u32` indices with a `dyn` comparator; only a short permutation
//! loop is generic. Ties fall back to the original position, so the result is exactly that
//! of a stable sort.

use std::cmp::Ordering;

/// The order of `0..len` sorted by `cmp`, ties by index (so stable).
#[inline(never)]
fn sorted_order(len: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<u32> {
    let len = u32::try_from(len).expect("fewer than 2^32 elements");
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_unstable_by(|&a, &b| cmp(a as usize, b as usize).then(a.cmp(&b)));
    order
}

/// Put `v[order[i]]` at `i`, in place, following each cycle once.
fn permute<T>(v: &mut [T], mut order: Vec<u32>) {
    for start in 0..order.len() {
        let mut cur = start;
        loop {
            let next = order[cur] as usize;
            order[cur] = cur as u32;
            if next == start || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

/// A stable sort by `cmp`: the same result as `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = sorted_order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    permute(v, order);
}

/// A stable sort by key: the same result as `v.sort_by_key(key)`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// The same result as `v.sort()`.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_as_std_stable_sort(v in proptest::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            let mut std = v;
            sort_by_key(&mut ours, |p| p.0);
            std.sort_by_key(|p| p.0);
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn sorts_strings() {
        let mut v = vec!["b".to_string(), "a".into(), "c".into(), "a".into()];
        sort(&mut v);
        assert_eq!(v, ["a", "a", "b", "c"]);
    }
}
