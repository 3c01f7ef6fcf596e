//! Measures the time from starting QEMU to the console shell's prompt, over
//! several boots of the default image: `cargo run --release -p ibex-tests
//! --bin boot-time [BOOTS]`.

use ibex_tests::{default_image, Vm};
use std::time::Duration;

fn main() {
    let boots: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5)
        .max(1);
    let image = default_image();
    let mut times: Vec<Duration> = (0..boots)
        .map(|_| {
            let vm = Vm::boot(image);
            vm.uptime()
        })
        .collect();
    times.sort();
    let ms = |d: Duration| d.as_millis();
    println!(
        "QEMU start to prompt over {boots} boots: min {} ms, median {} ms, max {} ms",
        ms(times[0]),
        ms(times[boots / 2]),
        ms(times[boots - 1])
    );
}
