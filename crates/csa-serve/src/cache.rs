//! A small least-recently-used cache whose entries are computed once: concurrent requests
//! for the same key wait for the one computation instead of repeating it (50 users opening
//! the same priority page cost one breakdown). Bounded, so memory stays flat however many
//! distinct queries arrive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug)]
pub struct Cache<T> {
    capacity: usize,
    inner: Mutex<Inner<T>>,
}

#[derive(Debug)]
struct Inner<T> {
    tick: u64,
    map: HashMap<String, (u64, Arc<OnceLock<T>>)>,
}

impl<T: Clone> Cache<T> {
    pub fn new(capacity: usize) -> Cache<T> {
        Cache {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner { tick: 0, map: HashMap::new() }),
        }
    }

    fn slot(&self, key: &str) -> Arc<OnceLock<T>> {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.tick += 1;
        let tick = g.tick;
        if let Some(e) = g.map.get_mut(key) {
            e.0 = tick;
            return e.1.clone();
        }
        if g.map.len() >= self.capacity {
            if let Some(oldest) = g.map.iter().min_by_key(|(_, e)| e.0).map(|(k, _)| k.clone()) {
                g.map.remove(&oldest);
            }
        }
        let slot = Arc::new(OnceLock::new());
        g.map.insert(key.to_string(), (tick, slot.clone()));
        slot
    }

    /// The value of `key`, computing it with `f` when absent (blocks while another thread
    /// computes the same key: call from a blocking thread).
    pub fn get_or_compute(&self, key: &str, f: impl FnOnce() -> T) -> T {
        self.slot(key).get_or_init(f).clone()
    }

    /// Drops `key` (a value too big to keep).
    pub fn forget(&self, key: &str) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).map.remove(key);
    }

    /// The value of `key` when it is computed already (no waiting).
    pub fn peek(&self, key: &str) -> Option<T> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.map.get(key).and_then(|e| e.1.get().cloned())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
}
