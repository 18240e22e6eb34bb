//! A small least-recently-used cache whose entries are computed once: concurrent requests
//! for the same key wait for the one computation instead of repeating it (50 users opening
//! the same priority page cost one breakdown). Bounded twice, so memory stays flat however
//! many distinct queries arrive: at most `capacity` entries, and at most `budget` bytes by
//! the weights given when values are computed (the newest entry is always kept, however
//! heavy: it is being used).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug)]
pub struct Cache<T> {
    capacity: usize,
    budget: usize,
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Entry<T> {
    used: u64,
    slot: Arc<OnceLock<T>>,
    /// Bytes, once computed.
    weight: usize,
}

#[derive(Debug)]
struct Inner<T> {
    tick: u64,
    map: HashMap<String, Entry<T>>,
    /// Sum of the weights.
    total: usize,
}

impl<T> Inner<T> {
    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.remove(key) {
            self.total -= e.weight;
        }
    }

    /// Drops least recently used entries other than `keep` while over the bounds.
    fn evict(&mut self, capacity: usize, budget: usize, keep: &str) {
        while self.map.len() > capacity || (self.total > budget && self.map.len() > 1) {
            let oldest = self
                .map
                .iter()
                .filter(|(k, _)| k.as_str() != keep)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.remove(&k),
                None => break,
            }
        }
    }
}

impl<T: Clone> Cache<T> {
    /// At most `capacity` entries, unweighed.
    pub fn new(capacity: usize) -> Cache<T> {
        Cache::with_budget(capacity, usize::MAX)
    }

    /// At most `capacity` entries weighing at most `budget` bytes together.
    pub fn with_budget(capacity: usize, budget: usize) -> Cache<T> {
        Cache {
            capacity: capacity.max(1),
            budget,
            inner: Mutex::new(Inner { tick: 0, map: HashMap::new(), total: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn slot(&self, key: &str) -> Arc<OnceLock<T>> {
        let mut g = self.lock();
        g.tick += 1;
        let tick = g.tick;
        if let Some(e) = g.map.get_mut(key) {
            e.used = tick;
            return e.slot.clone();
        }
        let slot = Arc::new(OnceLock::new());
        g.map.insert(key.to_string(), Entry { used: tick, slot: slot.clone(), weight: 0 });
        g.evict(self.capacity, self.budget, key);
        slot
    }

    /// The value of `key`, computing it with `f` when absent (blocks while another thread
    /// computes the same key: call from a blocking thread).
    pub fn get_or_compute(&self, key: &str, f: impl FnOnce() -> T) -> T {
        self.slot(key).get_or_init(f).clone()
    }

    /// As [`Cache::get_or_compute`], the value weighing `weigh(value)` bytes against the
    /// budget (older entries leave to make room).
    pub fn get_or_compute_weighed(
        &self,
        key: &str,
        f: impl FnOnce() -> T,
        weigh: impl FnOnce(&T) -> usize,
    ) -> T {
        let slot = self.slot(key);
        let v = slot.get_or_init(f).clone();
        let w = weigh(&v);
        let mut g = self.lock();
        let mut changed = false;
        if let Some(e) = g.map.get_mut(key) {
            // the entry may have been dropped and made again meanwhile: weigh only ours
            if Arc::ptr_eq(&e.slot, &slot) && e.weight != w {
                let old = std::mem::replace(&mut e.weight, w);
                changed = true;
                g.total = g.total - old + w;
            }
        }
        if changed {
            g.evict(self.capacity, self.budget, key);
        }
        v
    }

    /// Drops `key` (a value too big to keep).
    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    /// The value of `key` when it is computed already (no waiting).
    pub fn peek(&self, key: &str) -> Option<T> {
        let g = self.lock();
        g.map.get(key).and_then(|e| e.slot.get().cloned())
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the computed entries weigh together.
    pub fn weight(&self) -> usize {
        self.lock().total
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn computes_once_and_forgets_the_least_recently_used() {
        let c: Cache<usize> = Cache::new(2);
        let calls = AtomicUsize::new(0);
        let f = |v: usize| {
            calls.fetch_add(1, Ordering::SeqCst);
            v
        };
        assert_eq!(c.get_or_compute("a", || f(1)), 1);
        assert_eq!(c.get_or_compute("a", || f(9)), 1);
        assert_eq!(c.get_or_compute("b", || f(2)), 2);
        assert_eq!(c.get_or_compute("a", || f(9)), 1); // a is now newer than b
        assert_eq!(c.get_or_compute("c", || f(3)), 3); // b goes
        assert_eq!(c.len(), 2);
        assert_eq!(c.peek("b"), None);
        assert_eq!(c.peek("a"), Some(1));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // concurrent askers share one computation
        let c = Arc::new(Cache::<usize>::new(4));
        let calls = Arc::new(AtomicUsize::new(0));
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (c, calls) = (c.clone(), calls.clone());
                std::thread::spawn(move || {
                    c.get_or_compute("k", || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        7
                    })
                })
            })
            .collect();
        assert!(hs.into_iter().all(|h| h.join().unwrap() == 7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn heavy_entries_push_out_the_oldest_but_never_the_newest() {
        let c: Cache<usize> = Cache::with_budget(10, 100);
        let w = |v: &usize| *v;
        assert_eq!(c.get_or_compute_weighed("a", || 40, w), 40);
        assert_eq!(c.get_or_compute_weighed("b", || 50, w), 50);
        assert_eq!(c.weight(), 90);
        // a is used again, so b is the oldest when c (30) needs room: 40 + 50 + 30 > 100
        assert_eq!(c.get_or_compute_weighed("a", || 0, w), 40);
        assert_eq!(c.get_or_compute_weighed("c", || 30, w), 30);
        assert_eq!(c.peek("b"), None);
        assert_eq!((c.len(), c.weight()), (2, 70));
        // one entry over the whole budget stays (it is in use); everything else goes
        assert_eq!(c.get_or_compute_weighed("d", || 500, w), 500);
        assert_eq!((c.len(), c.weight()), (1, 500));
        c.forget("d");
        assert_eq!((c.len(), c.weight()), (0, 0));
    }
}
