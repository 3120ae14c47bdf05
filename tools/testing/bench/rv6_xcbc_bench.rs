// SPDX-License-Identifier: GPL-2.0

//! `make bench` for xcbc: digest throughput of the keyed hash drivers named in `drivers`, for
//! 64 B, 1500 B and 64 KiB messages, and the limit they share: raw single-block AES encryptions
//! (`aes` cipher) on the same CPU.  Runs at insmod, prints one `rv6-bench:` line per measurement
//! and refuses to stay loaded (`EAGAIN`), like `tcrypt`.

use kernel::{
    crypto::{cipher::Cipher, shash::Shash},
    prelude::*,
    str::CString,
    time::{Instant, Monotonic},
};

module! {
    type: XcbcBench,
    name: "rv6_xcbc_bench",
    authors: ["rv6 developers"],
    description: "Throughput of xcbc drivers against raw AES (benchmark, never stays loaded)",
    license: "GPL",
    imports_ns: ["CRYPTO_INTERNAL"],
    params: {
        label: i64 {
            default: 0,
            description: "Run label printed with every line (the bench script's phase)",
        },
        millis: i64 {
            default: 300,
            description: "Time spent on each measurement",
        },
    },
}

const SIZES: [usize; 3] = [64, 1500, 65536];
const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Runs `op` (which handles `bytes` bytes) until `millis` have passed; returns bytes per
/// microsecond times 1000 (KB/ms = MB/s) and the number of runs.
fn measure(bytes: usize, millis: i64, mut op: impl FnMut() -> Result) -> Result<(i64, i64)> {
    let start = Instant::<Monotonic>::now();
    let mut runs = 0i64;
    loop {
        for _ in 0..16 {
            op()?;
        }
        runs += 16;
        let ns = start.elapsed().as_nanos();
        if ns >= millis * 1_000_000 {
            // bytes/ns * 1000 = MB/s
            return Ok((runs * bytes as i64 * 1000 / ns.max(1), runs));
        }
    }
}

struct XcbcBench;

impl kernel::Module for XcbcBench {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let label = module_parameters::label.value();
        let millis = module_parameters::millis.value();
        let data = KVec::from_elem(0xa5u8, SIZES[2], GFP_KERNEL)?;

        let mut aes = Cipher::new(c"aes")?.into_sized::<16>()?;
        aes.set_key(&KEY)?;
        let mut block = [0u8; 16];
        let (mbps, _) = measure(16, millis, || {
            aes.encrypt_block(&mut block);
            Ok(())
        })?;
        pr_info!(
            "rv6-bench: label={label} driver={} size=16 MB/s={mbps}\n",
            aes.cipher().driver_name()
        );

        for name in [c"xcbc-aes-rv6", c"xcbc(aes-lib)", c"xcbc-aes-lib"] {
            let mut h = match Shash::new(name) {
                Ok(h) => h,
                Err(e) => {
                    pr_info!("rv6-bench: label={label} driver={name} missing ({e:?})\n");
                    continue;
                }
            };
            h.set_key(&KEY)?;
            let driver_name = CString::try_from_fmt(fmt!("{}", h.driver_name()))?;
            let driver: &CStr = &driver_name;
            let mut out = [0u8; 16];
            for size in SIZES {
                let (mbps, runs) = measure(size, millis, || h.digest(&data[..size], &mut out))?;
                pr_info!(
                    "rv6-bench: label={label} driver={driver} size={size} MB/s={mbps} runs={runs}\n"
                );
            }
        }
        Err(EAGAIN)
    }
}
