//! Data parallelism for CPU-bound batches (parsing files and state): [`map`] runs a function
//! over a slice on every core and returns the results in the slice's order, and [`cores`] says
//! how many there are. It owns only the threads; it must not know what the items are.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// How many threads can run at once (1 when unknown), asked of the OS once: on Linux the
/// answer reads the cgroup's files, four system calls and some parsing, and a plan asks for
/// every batch.
pub fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `items.iter().map(f).collect()`, on as many threads as there are cores (one when there is
/// one core or one item). Threads take the next item from a shared counter, so uneven items
/// balance; a panic in `f` is raised again here.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len());
    if threads < 2 {
        return items.iter().map(f).collect();
    }
    // One slot per item, filled where it is computed: the results are written once here and
    // once into the returned vector, not grown by doubling in each thread and then merged.
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(k) else {
                            return;
                        };
                        let r = f(item);
                        // Each index is taken once: no other thread holds this lock.
                        *slots[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                    }
                })
            })
            .collect();
        for w in workers {
            if let Err(p) = w.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    slots
        .into_iter()
        .map(
            |slot| match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
                Some(r) => r,
                None => unreachable!("every item is mapped before the threads end"),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let out = super::map(&items, |i| i * i);
        assert_eq!(out, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u8], |b| *b).is_empty());
    }

    #[test]
    fn a_panic_in_a_worker_is_raised_again_with_its_message() {
        let items: Vec<u64> = (0..100).collect();
        let caught = std::panic::catch_unwind(|| {
            super::map(&items, |&i| {
                assert!(i != 57, "item {i} is bad");
                i
            })
        });
        let payload = caught.expect_err("the panic reaches the caller");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(message, "item 57 is bad");
    }
}
