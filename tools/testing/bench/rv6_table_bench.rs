// SPDX-License-Identifier: GPL-2.0

//! `make bench` for the context tables: the cost of one data-path look-up as the table grows
//! from 10^2 to 10^6 objects, in `kernel::rhashtable` (RCU, what `rv6_shim6` uses) and in the
//! ordered tree under an IRQ-safe spinlock it replaced.  Each look-up is what the receive path
//! does with a payload header's tag: find the object by a random 47-bit key and take a
//! reference.  Runs at insmod, prints one `rv6-bench:` line per size and refuses to stay loaded
//! (`EAGAIN`), like `tcrypt`.

use kernel::{
    impl_rhash_item, new_rhashtable, new_spinlock_irq,
    prelude::*,
    rbtree::{RBTree, RBTreeNode},
    rhashtable::{RhashLinks, RhashTable},
    sync::{rcu, Arc},
    time::{delay::fsleep, Delta, Instant, Monotonic},
};

module! {
    type: TableBench,
    name: "rv6_table_bench",
    authors: ["rv6 developers"],
    description: "Look-up cost of the Shim6 context tables from 10^2 to 10^6 objects (benchmark)",
    license: "GPL",
    params: {
        label: i64 {
            default: 0,
            description: "Run label printed with every line (the bench script's round)",
        },
        max: i64 {
            default: 1_000_000,
            description: "Largest table measured",
        },
        lookups: i64 {
            default: 200_000,
            description: "Look-ups timed at each size",
        },
    },
}

/// A stand-in for a context: its tag and its links.
struct Item {
    links: RhashLinks,
    tag: u64,
}

impl_rhash_item! { impl RhashItem<0> for Item { links: self.links, key: self.tag: u64 } }

/// The `i`th tag: 47 bits, distinct for every `i` below 2^47 (an odd multiplier is a
/// bijection modulo a power of two), spread like random ones.
fn tag(i: u64) -> u64 {
    i.wrapping_mul(0x5851_f42d_4c95_7f2d) & ((1 << 47) - 1)
}

/// Nanoseconds per call of `op` over `n` calls, the tags looked up spread over the `size`
/// objects; `op` returns whether it found its object.
fn measure(n: u64, size: u64, mut op: impl FnMut(u64) -> bool) -> Result<u64> {
    let start = Instant::<Monotonic>::now();
    let mut i = 0u64;
    for k in 0..n {
        // A stride coprime with every size measured visits the objects in a scattered order.
        i = (i + 7919) % size;
        if !op(tag(i)) {
            pr_err!(
                "rv6-bench: table: tag {} of object {} not found at {}\n",
                tag(i),
                i,
                k
            );
            return Err(ENOENT);
        }
    }
    Ok(u64::try_from(start.elapsed().as_nanos()).unwrap_or(0) / n.max(1))
}

struct TableBench;

impl kernel::Module for TableBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let label = module_parameters::label.value();
        let max = u64::try_from(module_parameters::max.value()).map_err(|_| EINVAL)?;
        let n = u64::try_from(module_parameters::lookups.value()).map_err(|_| EINVAL)?;
        let hash: Pin<KBox<RhashTable<Item>>> = KBox::pin_init(new_rhashtable!(), GFP_KERNEL)?;
        let tree = KBox::pin_init(
            new_spinlock_irq!(RBTree::<u64, Arc<Item>>::new()),
            GFP_KERNEL,
        )?;
        let mut size = 0u64;
        let mut target = 100u64;
        while target <= max {
            while size < target {
                let item = Arc::new(
                    Item {
                        links: RhashLinks::new(),
                        tag: tag(size),
                    },
                    GFP_KERNEL,
                )?;
                let node = RBTreeNode::new(item.tag, item.clone(), GFP_KERNEL)?;
                tree.lock().insert(node);
                hash.insert(item)?;
                size += 1;
            }
            // A table that just passed 75% full is being rehashed into a bigger one by a
            // worker, and look-ups meanwhile may try both: measure the table at rest.
            fsleep(Delta::from_millis(500));
            let rhashtable = measure(n, size, |t| {
                let rcu = rcu::read_lock();
                hash.lookup(&t, &rcu).map(Arc::from).is_some()
            })?;
            let rbtree = measure(n, size, |t| tree.lock().get(&t).cloned().is_some())?;
            pr_info!(
                "rv6-bench: label={} table objects={} lookups={} rhashtable_ns={} rbtree_ns={}\n",
                label,
                size,
                n,
                rhashtable,
                rbtree
            );
            target *= 10;
        }
        // Both structures go with their objects; nothing stays loaded.
        Err(EAGAIN)
    }
}
